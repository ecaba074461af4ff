// Package hosting_test drives the built basiq-mcp binary the way a hosted
// deployment runs it: metrics and readiness, audit sinks, OAuth against an
// issuer of our own and against oidc-provider, scopes, customer binding and
// per-caller quotas.
package hosting_test

import (
	"context"
	"os"
	"testing"

	"github.com/basiq-mcp/basiq-mcp/testdata/mcptest"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/require"
)

// binary is the basiq-mcp command built for these tests; stateDir keeps
// their guard state apart from the user's own.
var binary, stateDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "basiq-mcp-hosting")
	if err != nil {
		panic(err)
	}
	if binary, err = mcptest.BuildBinary("../..", dir); err != nil {
		panic(err)
	}
	stateDir = dir + "/state"
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func sandboxEnv(extra ...string) []string { return mcptest.SandboxEnv(stateDir, extra...) }

func initialize(t *testing.T, ctx context.Context, c *client.Client) {
	t.Helper()
	req := mcp.InitializeRequest{}
	req.Params.ProtocolVersion = "2025-11-25"
	req.Params.ClientInfo = mcp.Implementation{Name: "hosting", Version: "1"}
	_, err := c.Initialize(ctx, req)
	require.NoError(t, err)
}

func callTool(t *testing.T, ctx context.Context, c *client.Client, name string, args map[string]any) *mcp.CallToolResult {
	t.Helper()
	req := mcp.CallToolRequest{}
	req.Params.Name, req.Params.Arguments = name, args
	res, err := c.CallTool(ctx, req)
	require.NoError(t, err)
	return res
}
