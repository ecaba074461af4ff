package rpcerr_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/basiq-mcp/basiq-mcp/tools/rpcerr"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// encoded is what mcp-go writes for a prompts/get whose handler returns err,
// so a change in mcp-go's encoding fails here rather than in the field.
func encoded(t *testing.T, err error) []byte {
	s := server.NewMCPServer("t", "1", server.WithPromptCapabilities(false))
	s.AddPrompt(mcp.NewPrompt("p"), func(context.Context, mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
		if err != nil {
			return nil, err
		}
		// A result quoting the phrases must pass untouched.
		return mcp.NewGetPromptResult(`{"code":-32603,"message":"invalid params: x"}`, nil), nil
	})
	msg := s.HandleMessage(context.Background(), []byte(`{"jsonrpc":"2.0","id":7,"method":"prompts/get","params":{"name":"p"}}`))
	b, jerr := json.Marshal(msg)
	require.NoError(t, jerr)
	return append(b, '\n')
}

func codeOf(t *testing.T, line []byte) float64 {
	var m struct{ Error *struct{ Code float64 } }
	require.NoError(t, json.Unmarshal(line, &m))
	if m.Error == nil {
		return 0
	}
	return m.Error.Code
}

func TestWriterSetsTheCodes(t *testing.T) {
	bad := errors.New("prompt p needs the argument \"user_id\"")
	cases := []struct {
		err  error
		want float64
	}{
		{rpcerr.InvalidParams(bad), rpcerr.CodeInvalidParams},
		{rpcerr.NotFound(bad, false), rpcerr.CodeResourceNotFound},
		{rpcerr.NotFound(bad, true), rpcerr.CodeInvalidParams},
		{bad, -32603}, // an unmarked error stays internal
		{nil, 0},
	}
	for _, c := range cases {
		in := encoded(t, c.err)
		orig := bytes.Clone(in)
		var out bytes.Buffer
		n, err := rpcerr.Writer(&out).Write(in)
		require.NoError(t, err)
		assert.Equal(t, len(in), n)
		assert.Equal(t, orig, in, "the caller's bytes are not modified")
		assert.Equal(t, len(in), out.Len(), "the length never changes")
		assert.Equal(t, c.want, codeOf(t, out.Bytes()), "%s", out.String())
		if c.err == nil {
			assert.Equal(t, in, out.Bytes(), "a result passes untouched")
		}
	}
	assert.True(t, strings.HasPrefix(rpcerr.NotFound(bad, true).Error(), "invalid params: resource not found: "),
		"from 2026-07-28 a missing resource is marked invalid params")
	assert.ErrorIs(t, rpcerr.InvalidParams(bad), bad)
}
