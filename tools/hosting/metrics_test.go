package hosting_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq/basiqtest"
	"github.com/basiq-mcp/basiq-mcp/testdata/mcptest"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMetricsAfterCalls drives a bearer-protected HTTP server through
// successes, a tool error, a refresh and its cooldown refusal, then scrapes
// /metrics: every family counts what happened, and no id reaches a label.
func TestMetricsAfterCalls(t *testing.T) {
	const token = "a-long-random-token"
	// Its own state: the simulator's ids are the same every start, and a
	// refresh from an earlier run (-count) would still be cooling down.
	base := mcptest.StartServer(t, binary, mcptest.SandboxEnv(t.TempDir(), "BASIQ_MCP_AUTH_TOKEN="+token), "--transport", "http")
	code, _ := mcptest.Get(t, base+"/metrics", "")
	assert.Equal(t, 401, code, "/metrics is protected like MCP")
	code, body := mcptest.Get(t, base+"/readyz", "")
	assert.Equal(t, 200, code, body)
	assert.JSONEq(t, `{"ready":true,"basiq_token":true,"store_ok":true}`, withoutCheckTime(t, body))

	c, err := client.NewStreamableHttpClient(base+"/mcp", transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + token}))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, c.Start(ctx))
	defer c.Close()
	mcptest.Initialize(t, ctx, c)
	require.True(t, mcptest.CallTool(t, ctx, c, "get_user", map[string]any{"user_id": "nosuchuser"}).IsError)
	users := mcptest.CallTool(t, ctx, c, "list_users", map[string]any{"query": "whistler"}).StructuredContent.(map[string]any)["users"].([]any)
	require.NotEmpty(t, users)
	var userID, connID string
	for _, u := range users {
		id := u.(map[string]any)["id"].(string)
		why := mcptest.CallTool(t, ctx, c, "diagnose_connection", map[string]any{"user_id": id}).StructuredContent.(map[string]any)
		for _, conn := range why["connections"].([]any) {
			if strings.HasPrefix(fmt.Sprint(conn.(map[string]any)["refresh"]), "would-refresh") && connID == "" {
				userID, connID = id, conn.(map[string]any)["id"].(string)
			}
		}
	}
	require.NotEmpty(t, connID, "a connection that can be refreshed")
	args := map[string]any{"user_id": userID, "connection_id": connID}
	first := mcptest.CallTool(t, ctx, c, "refresh_connection", args)
	require.False(t, first.IsError)
	job := first.StructuredContent.(map[string]any)["decision"].(map[string]any)["job_id"]
	mcptest.CallTool(t, ctx, c, "get_job", map[string]any{"job_id": job, "wait_seconds": 30})
	mcptest.CallTool(t, ctx, c, "refresh_connection", args) // refused: the cooldown

	code, all := mcptest.Get(t, base+"/metrics", token)
	require.Equal(t, 200, code)
	var ours []string
	for _, line := range strings.Split(all, "\n") {
		if strings.HasPrefix(line, "basiq_mcp_") && !strings.Contains(line, "_bucket{") {
			ours = append(ours, line)
		}
	}
	scrape := strings.Join(ours, "\n")
	for _, want := range []string{
		`basiq_mcp_tool_calls_total{outcome="ok",tool="list_users"} 1`,
		`basiq_mcp_tool_calls_total{outcome="tool_error",tool="get_user"} 1`,
		`basiq_mcp_tool_calls_total{outcome="ok",tool="refresh_connection"} 1`,
		`basiq_mcp_tool_calls_total{outcome="tool_error",tool="refresh_connection"} 1`,
		`basiq_mcp_tool_call_duration_seconds_count{tool="refresh_connection"} 2`,
		`basiq_mcp_guard_decisions_total{outcome="refreshed",rule="none"} 1`,
		`basiq_mcp_guard_decisions_total{outcome="refused",rule="cooldown"} 1`,
		`basiq_mcp_upstream_requests_total{method="POST",route="/users/{id}/connections/{id}/refresh",status="202"} 1`,
		`basiq_mcp_upstream_requests_total{method="GET",route="/users/{id}",status="404"}`,
		`basiq_mcp_upstream_requests_total{method="POST",route="/token",status="200"} 1`,
		`basiq_mcp_sessions_open 1`,
		`basiq_mcp_breaker_open 0`,
	} {
		assert.Contains(t, scrape, want)
	}
	for _, id := range []string{userID, connID, job.(string), "nosuchuser", token} {
		assert.NotContains(t, all, id, "no id or secret in a label")
	}
}

// TestReadinessFailsWithoutStoreOrToken: /readyz answers 503 naming what is
// missing when a Basiq key is refused. A store that does not answer is
// shown but keeps the replica ready (reads still work, and every replica
// shares the store: failing would drop them all at once), unless
// --ready-requires-store; /healthz says degraded and stays up.
func TestReadinessFailsWithoutStoreOrToken(t *testing.T) {
	sim := basiqtest.NewServer(basiqtest.WithAPIKey("the-right-key"))
	t.Cleanup(sim.Close)
	base := mcptest.StartServer(t, binary, sandboxEnv("BASIQ_API_KEY=a-wrong-key", "BASIQ_BASE_URL="+sim.URL), "--transport", "http")
	code, body := mcptest.Get(t, base+"/readyz", "")
	assert.Equal(t, 503, code)
	assert.JSONEq(t, `{"ready":false,"basiq_token":false,"store_ok":true}`, withoutCheckTime(t, body))
	assert.NotContains(t, body, "a-wrong-key")
	// Unauthenticated probes read the last outcome: 20 more probes while the
	// key is refused send no further token request (Basiq's allowance is
	// shared by every replica).
	before := sim.Calls("POST /token")
	for range 20 {
		code, _ = mcptest.Get(t, base+"/readyz", "")
		assert.Equal(t, 503, code)
	}
	assert.Equal(t, before, sim.Calls("POST /token"), "probes within 30 s of the last check cost Basiq nothing")
	assert.LessOrEqual(t, before, 2, "one check (with at most one retry) for the first probe")

	base = mcptest.StartServer(t, binary, sandboxEnv("BASIQ_MCP_STATE_URL=redis://127.0.0.1:1/0"), "--transport", "http")
	code, body = mcptest.Get(t, base+"/readyz", "")
	assert.Equal(t, 200, code, "a store outage alone keeps the replica ready")
	assert.JSONEq(t, `{"ready":true,"basiq_token":true,"store_ok":false}`, withoutCheckTime(t, body))
	code, body = mcptest.Get(t, base+"/healthz", "")
	assert.Equal(t, 200, code, "healthz says degraded, it does not fail")
	assert.Contains(t, body, `"status":"degraded"`)

	base = mcptest.StartServer(t, binary, sandboxEnv("BASIQ_MCP_STATE_URL=redis://127.0.0.1:1/0"), "--transport", "http", "--ready-requires-store")
	code, body = mcptest.Get(t, base+"/readyz", "")
	assert.Equal(t, 503, code, "unless the operator asks for it")
	assert.JSONEq(t, `{"ready":false,"basiq_token":true,"store_ok":false}`, withoutCheckTime(t, body))
}

// TestMetricsOnTheirOwnAddress: --metrics-addr serves /metrics alone, and
// the MCP address no longer does.
func TestMetricsOnTheirOwnAddress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	base := mcptest.StartServer(t, binary, sandboxEnv(), "--transport", "http", "--metrics-addr", addr)
	code, body := mcptest.Get(t, "http://"+addr+"/metrics", "")
	assert.Equal(t, 200, code)
	assert.Contains(t, body, "basiq_mcp_sessions_open 0")
	code, _ = mcptest.Get(t, base+"/metrics", "")
	assert.Equal(t, 404, code)
}

// TestAuditToStderrForLogShippers: --audit stderr --audit-reads writes one
// JSON line per read of customer data to stderr (beside the log), and sinks
// that would corrupt a result or do not exist stop start-up.
func TestAuditToStderrForLogShippers(t *testing.T) {
	var errs bytes.Buffer
	cmd := exec.Command(binary, "call", "--audit", "stderr", "--audit-reads", "get_user", `{"user_id":"nosuchuser"}`)
	cmd.Env, cmd.Stderr = sandboxEnv(), &errs
	cmd.Run() // the call fails: there is no such user
	var found bool
	for _, line := range strings.Split(errs.String(), "\n") {
		var e map[string]any
		if json.Unmarshal([]byte(line), &e) == nil && e["tool"] == "get_user" {
			found = true
			assert.Equal(t, "nosuchuser", e["userId"])
			assert.Equal(t, "read-failed", e["decision"])
		}
	}
	assert.True(t, found, "an audit line on stderr: %s", errs.String())
	file, _ := os.ReadFile(filepath.Join(stateDir, "audit.jsonl"))
	assert.NotContains(t, string(file), `"userId":"nosuchuser","decision":"read-failed"`, "only the sinks named")

	for _, bad := range [][]string{
		{"--audit", "syslog"},
		{"--audit", "stdout"},                       // the stdio transport owns stdout
		{"call", "--audit", "stdout", "list_users"}, // the command's result does
	} {
		errs.Reset()
		if bad[0] != "call" {
			bad = append([]string{"tools"}, bad...)
			bad = append(bad[:1], append([]string{"--transport", "stdio"}, bad[1:]...)...)
		}
		cmd := exec.Command(binary, bad...)
		cmd.Env, cmd.Stderr = sandboxEnv(), &errs
		err := cmd.Run()
		var exit *exec.ExitError
		require.ErrorAs(t, err, &exit, "%v", bad)
		assert.Equal(t, 2, exit.ExitCode(), "%v", bad)
		assert.Regexp(t, "audit|metrics", errs.String(), "%v", bad)
	}
}

// TestGCDefaults: the server collects at 4x the live heap with a 512 MiB
// soft limit unless GOGC or GOMEMLIMIT say otherwise (as its runtime
// metrics report).
func TestGCDefaults(t *testing.T) {
	base := mcptest.StartServer(t, binary, sandboxEnv(), "--transport", "http")
	_, scrape := mcptest.Get(t, base+"/metrics", "")
	assert.Contains(t, scrape, "go_gc_gogc_percent 400")
	assert.Contains(t, scrape, "go_gc_gomemlimit_bytes 5.36870912e+08")
	base = mcptest.StartServer(t, binary, sandboxEnv("GOGC=150", "GOMEMLIMIT=1GiB"), "--transport", "http")
	_, scrape = mcptest.Get(t, base+"/metrics", "")
	assert.Contains(t, scrape, "go_gc_gogc_percent 150", "the operator's GOGC wins")
	assert.Contains(t, scrape, "go_gc_gomemlimit_bytes 1.073741824e+09", "and their GOMEMLIMIT")
}

// withoutCheckTime drops the time of the last token check from a /readyz
// body, which every probe shows.
func withoutCheckTime(t *testing.T, body string) string {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &m), body)
	_, err := time.Parse(time.RFC3339, m["basiq_token_checked"].(string))
	require.NoError(t, err, body)
	delete(m, "basiq_token_checked")
	out, _ := json.Marshal(m)
	return string(out)
}
