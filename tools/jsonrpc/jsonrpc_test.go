package jsonrpc_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/basiq-mcp/basiq-mcp/tools/jsonrpc"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// answer is what mcp-go sends for a prompts/get or resources/read whose
// handler returns err, at a protocol version.
func answer(t *testing.T, method string, err error, modern bool) (code float64, message string) {
	s := server.NewMCPServer("t", "1", server.WithPromptCapabilities(false), server.WithResourceCapabilities(false, false))
	s.AddPrompt(mcp.NewPrompt("p"), func(context.Context, mcp.GetPromptRequest) (*mcp.GetPromptResult, error) { return nil, err })
	s.AddResource(mcp.NewResource("x://r", "r"), func(ctx context.Context, _ mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
		if errors.Is(err, errMissing) {
			return nil, jsonrpc.NotFound(ctx, err)
		}
		return nil, err
	})
	params := `{"name":"p","uri":"x://r"}`
	if modern {
		params = `{"name":"p","uri":"x://r","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":{"name":"t","version":"1"},"io.modelcontextprotocol/clientCapabilities":{}}}`
	}
	msg := s.HandleMessage(context.Background(), []byte(`{"jsonrpc":"2.0","id":7,"method":"`+method+`","params":`+params+`}`))
	b, jerr := json.Marshal(msg)
	require.NoError(t, jerr)
	var m struct {
		Error *struct {
			Code    float64
			Message string
		}
	}
	require.NoError(t, json.Unmarshal(b, &m), "%s", b)
	require.NotNil(t, m.Error, "%s", b)
	return m.Error.Code, m.Error.Message
}

var errMissing = errors.New("no user u-1")

func TestHandlerErrorsCarryTheirCodes(t *testing.T) {
	bad := errors.New(`prompt p needs the argument "user_id"`)
	code, msg := answer(t, "prompts/get", jsonrpc.InvalidParams(bad), false)
	assert.EqualValues(t, -32602, code)
	assert.Equal(t, `invalid params: prompt p needs the argument "user_id"`, msg)

	code, _ = answer(t, "prompts/get", bad, false)
	assert.EqualValues(t, -32603, code, "an unmarked error stays internal")

	code, msg = answer(t, "resources/read", errMissing, false)
	assert.EqualValues(t, jsonrpc.CodeResourceNotFound, code)
	assert.Equal(t, "resource not found: no user u-1", msg)
	code, _ = answer(t, "resources/read", errMissing, true)
	assert.EqualValues(t, jsonrpc.CodeInvalidParams, code, "from 2026-07-28 a missing resource is invalid params")

	assert.ErrorIs(t, jsonrpc.InvalidParams(bad), bad)
	assert.Equal(t, jsonrpc.CodeInvalidParams, jsonrpc.Code(jsonrpc.InvalidParams(bad)))
	assert.Equal(t, 0, jsonrpc.Code(bad))
}
