package hosting_test

import (
	"context"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/testdata/mcptest"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPromptAndResourceErrorCodes checks, on every transport the binary
// serves, that a client's bad prompt arguments come back as -32602 and a
// resource naming nothing as resource-not-found (-32002 before 2026-07-28,
// -32602 from it), not as internal errors; and that a good request is
// untouched by the rewriting that makes this possible.
func TestPromptAndResourceErrorCodes(t *testing.T) {
	stdio, err := client.NewStdioMCPClient(binary, sandboxEnv())
	require.NoError(t, err)
	t.Cleanup(func() { stdio.Close() })
	clients := map[string]*client.Client{"stdio": stdio}
	for name, transport := range map[string]string{"streamable HTTP": "http", "SSE": "sse"} {
		base := mcptest.StartServer(t, binary, sandboxEnv(), "--transport", transport)
		var c *client.Client
		if transport == "sse" {
			c, err = client.NewSSEMCPClient(base + "/sse")
		} else {
			c, err = client.NewStreamableHttpClient(base + "/mcp")
		}
		require.NoError(t, err)
		clients[name] = c
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for name, c := range clients {
		t.Run(name, func(t *testing.T) {
			require.NoError(t, c.Start(ctx))
			t.Cleanup(func() { c.Close() })
			mcptest.Initialize(t, ctx, c)
			checkCodes(t, ctx, c)
		})
	}
	t.Run("stateless 2026-07-28", func(t *testing.T) {
		url := mcptest.StartServer(t, binary, sandboxEnv(), "--transport", "http") + "/mcp"
		_, msg := mcptest.StatelessPost(t, url, "prompts/get", map[string]any{"name": "troubleshoot_connection",
			"arguments": map[string]any{"user_id": "no such id!"}}, map[string]string{"Mcp-Name": "troubleshoot_connection"})
		assert.EqualValues(t, -32602, errorCode(msg), "%v", msg)
		_, msg = mcptest.StatelessPost(t, url, "resources/read", map[string]any{"uri": "basiq://users/u-nobody"},
			map[string]string{"Mcp-Name": "basiq://users/u-nobody"})
		assert.EqualValues(t, -32602, errorCode(msg), "resource not found is invalid params from 2026-07-28: %v", msg)
		assert.Contains(t, msg["error"].(map[string]any)["message"], "resource not found")
	})
}

func checkCodes(t *testing.T, ctx context.Context, c *client.Client) {
	t.Helper()
	get := func(args map[string]string) error {
		req := mcp.GetPromptRequest{}
		req.Params.Name, req.Params.Arguments = "troubleshoot_connection", args
		_, err := c.GetPrompt(ctx, req)
		return err
	}
	read := func(uri string) error {
		req := mcp.ReadResourceRequest{}
		req.Params.URI = uri
		_, err := c.ReadResource(ctx, req)
		return err
	}
	for what, err := range map[string]error{
		"a missing argument":  get(map[string]string{}),
		"an unknown argument": get(map[string]string{"user_id": "u-1", "colour": "red"}),
		"a malformed id":      get(map[string]string{"user_id": "not an id!"}),
		"a uri id not an id":  read("basiq://users/.hidden"),
	} {
		assert.ErrorIs(t, err, mcp.ErrInvalidParams, what)
	}
	for what, err := range map[string]error{
		"an unknown user":  read("basiq://users/u-nobody"),
		"an unknown job":   read("basiq://jobs/j-nobody"),
		"an unknown guide": read("basiq://docs/no-such-guide"),
	} {
		assert.ErrorIs(t, err, mcp.ErrResourceNotFound, what)
		assert.ErrorContains(t, err, "resource not found", what)
	}
	assert.NoError(t, get(map[string]string{"user_id": "u-1"}), "a good prompt request still renders")
	assert.NoError(t, read("basiq://docs/getting-started"))
}

func errorCode(msg map[string]any) any {
	e, _ := msg["error"].(map[string]any)
	return e["code"]
}
