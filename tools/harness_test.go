package tools_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/basiq/basiqtest"
	"github.com/basiq-mcp/basiq-mcp/testdata/mcptest"
	"github.com/basiq-mcp/basiq-mcp/tools"
	"github.com/basiq-mcp/basiq-mcp/tools/guard"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/require"
)

// harness is an MCP server with the tools, backed by the simulator, and a
// real MCP client talking to it in process.
type harness struct {
	sim    *basiqtest.Server
	client *client.Client
	server *server.MCPServer
	audit  *mcptest.LockedBuffer
	deps   *tools.Deps
}

// newHarness lists every toolset unless opts choose: most tests are about
// the tools, not about which are listed first (onDemandHarness is).
func newHarness(t testing.TB, opts tools.Options, simOpts ...basiqtest.Option) *harness {
	if opts.Toolsets == nil && opts.Tools == nil {
		opts.Toolsets = []string{"all"}
	}
	return newGuardedHarness(t, opts, guard.DefaultPolicy(), filepath.Join(t.TempDir(), "guard.db"), simOpts...)
}

// newGuardedHarness also chooses the refresh policy and the state file (so
// a test can restart the server on the same state).
func newGuardedHarness(t testing.TB, opts tools.Options, policy guard.Policy, statePath string, simOpts ...basiqtest.Option) *harness {
	t.Helper()
	sim := basiqtest.NewServer(append([]basiqtest.Option{basiqtest.WithTimeScale(0.002)}, simOpts...)...)
	t.Cleanup(sim.Close)
	h := harnessAt(t, sim.URL, opts, policy, statePath)
	h.sim = sim
	h.deps.SimulatorURL = sim.URL
	return h
}

// harnessAt builds the server and client against any Basiq at baseURL (the
// simulator, or a Basiq built from the published OpenAPI files).
func harnessAt(t testing.TB, baseURL string, opts tools.Options, policy guard.Policy, statePath string) *harness {
	t.Helper()
	bc, err := basiq.NewClient(harnessKey, basiq.WithBaseURL(baseURL),
		basiq.WithRetryPolicy(basiq.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond, MaxElapsed: time.Second}))
	require.NoError(t, err)
	store, err := guard.OpenBolt(statePath)
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	audit := &mcptest.LockedBuffer{}
	deps := &tools.Deps{Client: bc, Log: slog.New(slog.DiscardHandler), PollInterval: 5 * time.Millisecond, Audit: guard.NewAudit(audit),
		Confirm: guard.NewConfirmer([]byte("test-key-for-confirmations"), store, nil), Idem: guard.NewIdempotency(store, nil),
		Users: guard.NewDirectory(store, nil), SearchDocs: fakeSearch}
	deps.Governor = guard.NewGovernor(bc, store, deps.Audit, policy, nil, nil)
	s := server.NewMCPServer("basiq-mcp", "test", server.WithToolCapabilities(false))
	listed, err := tools.Register(s, deps, opts)
	require.NoError(t, err)
	server.WithInstructions(tools.Instructions(listed, false))(s)
	c := connect(t, s, "tools-test")
	t.Cleanup(func() {
		if strings.Contains(audit.String(), harnessKey) || tokenShape.MatchString(audit.String()) {
			t.Error("a secret reached the audit log")
		}
	})
	return &harness{client: c, server: s, audit: audit, deps: deps}
}

func connect(t testing.TB, s *server.MCPServer, name string) *client.Client {
	return mcptest.Connect(t, s, name)
}

// harnessKey is recognisable, so that every test can check that neither it
// nor a Basiq token ever reaches a tool result or the audit log.
const harnessKey = "LEAKCHECK-harness-key-51c0"

var tokenShape = regexp.MustCompile(`sim\.[0-9a-f]{16,}`)

// call invokes a tool and returns the result, failing on a protocol error
// or on a secret in the result.
func (h *harness) call(t *testing.T, name string, args map[string]any) *mcp.CallToolResult {
	t.Helper()
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	res, err := h.client.CallTool(context.Background(), req)
	require.NoError(t, err, "tool %s: protocol error", name)
	raw, _ := json.Marshal(res)
	require.NotContains(t, string(raw), harnessKey, "tool %s leaked the API key", name)
	require.False(t, tokenShape.Match(raw), "tool %s leaked a token", name)
	return res
}

// ok calls a tool that must succeed and decodes its structured content,
// checking that the text content says the same.
func (h *harness) ok(t *testing.T, name string, args map[string]any, out any) {
	t.Helper()
	res := h.call(t, name, args)
	require.False(t, res.IsError, "tool %s failed: %s", name, text(res))
	raw, err := json.Marshal(res.StructuredContent)
	require.NoError(t, err)
	require.JSONEq(t, string(raw), text(res), "text and structured content agree")
	// Decoding into a value used before keeps what this answer leaves out
	// (json reuses slice elements), so it starts from zero.
	if v := reflect.ValueOf(out); v.Kind() == reflect.Pointer && !v.IsNil() {
		v.Elem().Set(reflect.Zero(v.Elem().Type()))
	}
	require.NoError(t, json.Unmarshal(raw, out))
}

// fail calls a tool that must return a tool error and returns its text.
func (h *harness) fail(t *testing.T, name string, args map[string]any) string {
	t.Helper()
	res := h.call(t, name, args)
	require.True(t, res.IsError, "tool %s should fail, got: %s", name, text(res))
	return text(res)
}

func text(res *mcp.CallToolResult) string {
	if len(res.Content) == 0 {
		return ""
	}
	if tc, ok := res.Content[0].(mcp.TextContent); ok {
		return tc.Text
	}
	return ""
}

func (h *harness) listTools(t *testing.T) []mcp.Tool {
	t.Helper()
	res, err := h.client.ListTools(context.Background(), mcp.ListToolsRequest{})
	require.NoError(t, err)
	return res.Tools
}

// fakeSearch stands in for the guides' search, which lives in resources.
func fakeSearch(query string, limit int) []tools.DocHit {
	return []tools.DocHit{{URI: "basiq://docs/test", Title: "Test guide", Section: query}}[:min(limit, 1)]
}
