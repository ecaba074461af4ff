package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/testdata/mcptest"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startHTTP runs the binary on a free port and returns its base URL.
func startHTTP(t *testing.T, transport string) (string, *exec.Cmd) {
	base, cmd, _ := startServer(t, sandboxEnv(), "--transport", transport)
	return base, cmd
}

// startServer runs the binary with args on a free loopback port and returns
// its base URL, the process, and the rest of its log lines as they come
// (dropped when nobody reads them).
func startServer(t *testing.T, env []string, args ...string) (string, *exec.Cmd, <-chan string) {
	t.Helper()
	cmd := exec.Command(binary, append(args, "--addr", "127.0.0.1:0")...)
	cmd.Env = env
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := bufio.NewScanner(stderr)
	url := regexp.MustCompile(`basiq-mcp listening .*url=(http://127\.0\.0\.1:\d+)`)
	for lines.Scan() {
		if m := url.FindStringSubmatch(lines.Text()); m != nil {
			rest := make(chan string, 64)
			go func() {
				for lines.Scan() {
					select {
					case rest <- lines.Text():
					default:
					}
				}
			}()
			return m[1], cmd, rest
		}
	}
	t.Fatal("the server did not say where it listens")
	return "", nil, nil
}

func TestStreamableHTTPTransportAndHealth(t *testing.T) {
	base, cmd := startHTTP(t, "http")
	resp, err := http.Get(base + "/healthz")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	assert.JSONEq(t, `{"status":"ok","version":"`+binaryVersion(t)+`","transport":"http","store":"bbolt","store_ok":true,"basiq_breaker":"closed"}`, string(body))

	c, err := client.NewStreamableHttpClient(base + "/mcp")
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	require.NoError(t, c.Start(ctx))
	mcptest.Initialize(t, ctx, c)
	out := mcptest.CallTool(t, ctx, c, "check_connector_status", map[string]any{"connector_id": "AU00006"})
	require.False(t, out.IsError)
	assert.Equal(t, "defer", out.StructuredContent.(map[string]any)["refresh_now"])
	listed, err := c.ListTools(ctx, mcp.ListToolsRequest{})
	require.NoError(t, err)
	assert.Len(t, listed.Tools, defaultListed(t), "every tool from the start")
	c.Close()

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait(), "graceful exit on SIGTERM")
}

func TestLegacySSETransport(t *testing.T) {
	base, _ := startHTTP(t, "sse")
	c, err := client.NewSSEMCPClient(base + "/sse")
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	require.NoError(t, c.Start(ctx))
	defer c.Close()
	mcptest.Initialize(t, ctx, c)
	out := mcptest.CallTool(t, ctx, c, "list_report_types", map[string]any{})
	require.False(t, out.IsError)
	assert.Contains(t, out.Content[0].(mcp.TextContent).Text, "CON_AFFOR_01")
}

// TestIdleHTTPSessionsAreSwept checks that the state of an idle streamable
// HTTP session is dropped. mcp-go's default session ids are stateless (so the
// 2026-07-28 protocol works), so the id itself stays acceptable; what the TTL
// bounds is the memory each session holds.
func TestIdleHTTPSessionsAreSwept(t *testing.T) {
	base, _, lines := startServer(t, sandboxEnv(), "--transport", "http", "--session-idle-ttl", "300ms")
	swept := make(chan string, 1)
	go func() {
		for line := range lines {
			if strings.Contains(line, "Sweeping expired session") {
				swept <- line
				return
			}
		}
	}()
	req, _ := http.NewRequest("POST", base+"/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"ttl","version":"1"}}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	session := resp.Header.Get("Mcp-Session-Id")
	require.NotEmpty(t, session)
	select {
	case line := <-swept:
		assert.Contains(t, line, session, "the idle session was swept")
	case <-time.After(5 * time.Second):
		t.Fatal("the idle session was not swept")
	}
}

func TestHTTPNeedsATokenOffLoopback(t *testing.T) {
	cmd := exec.Command(binary, "--transport", "http", "--addr", "0.0.0.0:0")
	cmd.Env = sandboxEnv()
	out, err := cmd.CombinedOutput()
	require.Error(t, err)
	assert.Equal(t, 2, cmd.ProcessState.ExitCode())
	assert.Contains(t, string(out), "off loopback, without an auth token")
}

func TestHTTPBearerToken(t *testing.T) {
	base, _, _ := startServer(t, sandboxEnv("BASIQ_MCP_AUTH_TOKEN=a-long-random-token"), "--transport", "http")
	resp, err := http.Post(base+"/mcp", "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 401, resp.StatusCode)
	resp, err = http.Get(base + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode, "healthz needs no token")

	c, err := client.NewStreamableHttpClient(base+"/mcp", transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer a-long-random-token"}))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	require.NoError(t, c.Start(ctx))
	defer c.Close()
	mcptest.Initialize(t, ctx, c)
	assert.False(t, mcptest.CallTool(t, ctx, c, "list_connectors", map[string]any{"query": "hooli"}).IsError)
}

// TestToolsetsPerRequest: an HTTP client narrows its tools to some toolsets
// with a header or a query, per request, with no session (the stateless
// 2026-07-28 protocol); a tool outside them cannot be called; an unknown
// toolset is a 400, never everything.
func TestToolsetsPerRequest(t *testing.T) {
	base, _ := startHTTP(t, "http")
	names := func(msg map[string]any) []string {
		var out []string
		for _, tl := range msg["result"].(map[string]any)["tools"].([]any) {
			out = append(out, tl.(map[string]any)["name"].(string))
		}
		return out
	}
	_, all := mcptest.StatelessPost(t, base+"/mcp", "tools/list", nil, nil)
	assert.Len(t, names(all), defaultListed(t), "no choice: every tool")
	_, reports := mcptest.StatelessPost(t, base+"/mcp", "tools/list", nil, map[string]string{"X-MCP-Toolsets": "reports"})
	assert.ElementsMatch(t, []string{"list_report_types", "create_report", "get_report", "list_reports"}, names(reports))
	_, two := mcptest.StatelessPost(t, base+"/mcp?toolsets=consents,docs", "tools/list", nil, nil)
	assert.ElementsMatch(t, []string{"list_consents", "search_docs"}, names(two))
	_, call := mcptest.StatelessPost(t, base+"/mcp", "tools/call", map[string]any{"name": "list_connectors", "arguments": map[string]any{}},
		map[string]string{"X-MCP-Toolsets": "reports", "Mcp-Name": "list_connectors"})
	result, _ := call["result"].(map[string]any)
	require.NotNil(t, result, "a tool outside the request's toolsets is a tool error, not tool-not-found: %v", call)
	assert.Equal(t, true, result["isError"])
	assert.Contains(t, fmt.Sprint(result["content"]), "X-MCP-Toolsets", "the error says how the request chose its toolsets")
	status, _ := mcptest.StatelessPost(t, base+"/mcp", "tools/list", nil, map[string]string{"X-MCP-Toolsets": "reportz"})
	assert.Equal(t, http.StatusBadRequest, status, "a misspelt toolset is refused")
}
