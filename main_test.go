package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/basiq/basiqtest"
	"github.com/basiq-mcp/basiq-mcp/prompts"
	"github.com/basiq-mcp/basiq-mcp/testdata/mcptest"
	"github.com/basiq-mcp/basiq-mcp/tools"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var binary string

// TestMain builds basiq-mcp once; the end-to-end tests run the binary.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "basiq-mcp-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "basiq-mcp")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		panic(string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.RemoveAll(stateDir)
	os.Exit(code)
}

// stateDir keeps every run's guard state apart from the user's own.
var stateDir, _ = os.MkdirTemp("", "basiq-mcp-state")

// sandboxEnv is the environment with no Basiq key: the server must fall back
// to the simulator.
func sandboxEnv(extra ...string) []string { return mcptest.SandboxEnv(stateDir, extra...) }

func TestStdioCarriesOnlyJSONRPC(t *testing.T) {
	cmd := exec.Command(binary)
	cmd.Env = sandboxEnv()
	var stderr mcptest.LockedBuffer
	cmd.Stderr = &stderr
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	require.NoError(t, cmd.Start())
	lines := []string{
		`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"e2e","version":"1"}}}`,
		`{"jsonrpc":"2.0","method":"notifications/initialized"}`,
		`{"jsonrpc":"2.0","id":2,"method":"tools/list"}`,
		`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"list_connectors","arguments":{"query":"hooli"}}}`,
		`{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"get_user","arguments":{"user_id":"../token"}}}`,
		`{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"no_such_tool","arguments":{}}}`,
		`{"jsonrpc":"2.0","id":6,"method":"resources/read","params":{"uri":"basiq://docs/getting-started"}}`,
		`{"jsonrpc":"2.0","id":7,"method":"prompts/get","params":{"name":"troubleshoot_connection","arguments":{"user_id":"u1"}}}`,
		`{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"search_docs","arguments":{"query":"purge"}}}`,
	}
	responses, sizes := map[float64]map[string]any{}, map[float64]int{}
	var notices []string
	scanner := bufio.NewScanner(stdout)
	scanner.Buffer(make([]byte, 1<<20), 1<<22)
	for _, l := range lines {
		io.WriteString(stdin, l+"\n")
		if !strings.Contains(l, `"id"`) {
			continue
		}
		for { // notifications may come before the response
			require.True(t, scanner.Scan(), "a response for %s; stderr: %s", l, stderr.String())
			var msg map[string]any
			require.NoError(t, json.Unmarshal(scanner.Bytes(), &msg), "stdout line is JSON: %q", scanner.Text())
			require.Equal(t, "2.0", msg["jsonrpc"], "stdout line is JSON-RPC")
			if id, ok := msg["id"].(float64); ok {
				responses[id], sizes[id] = msg, len(scanner.Bytes())
				break
			}
			notices = append(notices, msg["method"].(string))
		}
	}
	stdin.Close()
	for scanner.Scan() { // anything left must be JSON-RPC too
		var msg map[string]any
		require.NoError(t, json.Unmarshal(scanner.Bytes(), &msg), "stdout line is JSON: %q", scanner.Text())
	}
	require.NoError(t, cmd.Wait(), "exit 0 when stdin closes")

	init := responses[1]["result"].(map[string]any)
	assert.Contains(t, init["instructions"], "create_auth_link")
	toolsList := responses[2]["result"].(map[string]any)["tools"].([]any)
	assert.Len(t, toolsList, defaultListed(t), "every tool the configuration allows, from the start")
	assert.LessOrEqual(t, sizes[2], 20_000, "the complete default tools/list, as sent, fits the 20,000-byte budget")
	t.Logf("tools/list: %d bytes on the wire", sizes[2])
	call := responses[3]["result"].(map[string]any)
	assert.Nil(t, call["isError"])
	assert.Contains(t, call["structuredContent"].(map[string]any)["connectors"].([]any)[0].(map[string]any)["name"], "Hooli")
	bad := responses[4]["result"].(map[string]any)
	assert.Equal(t, true, bad["isError"], "a bad argument is a tool error, not a protocol error")
	assert.NotNil(t, responses[5]["error"], "an unknown tool is a protocol error")
	guide := responses[6]["result"].(map[string]any)["contents"].([]any)[0].(map[string]any)
	assert.Contains(t, guide["text"], "Find or create the user")
	prompt := responses[7]["result"].(map[string]any)["messages"].([]any)[0].(map[string]any)
	assert.Contains(t, prompt["content"].(map[string]any)["text"], "diagnose_connection")
	assert.Empty(t, notices, "no notification: the list never changes")
	search := responses[9]["result"].(map[string]any)["structuredContent"].(map[string]any)["hits"].([]any)
	assert.Equal(t, "basiq://docs/best-practices", search[0].(map[string]any)["uri"])
	assert.Contains(t, stderr.String(), "sandbox: using the offline Basiq simulator")
	assert.Contains(t, stderr.String(), "tool=list_connectors")
}

func TestStdioWithMCPClient(t *testing.T) {
	c, err := client.NewStdioMCPClient(binary, sandboxEnv("BASIQ_MCP_READ_ONLY=1"))
	require.NoError(t, err)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	mcptest.Initialize(t, ctx, c)
	res, err := c.ListTools(ctx, mcp.ListToolsRequest{})
	require.NoError(t, err)
	for _, tl := range res.Tools {
		assert.True(t, *tl.Annotations.ReadOnlyHint, "--read-only exposes read tools only: %s", tl.Name)
	}
	out := mcptest.CallTool(t, ctx, c, "list_users", map[string]any{"limit": 1})
	assert.False(t, out.IsError)
}

func runCLI(t *testing.T, args ...string) (string, int) {
	cmd := exec.Command(binary, args...)
	cmd.Env = sandboxEnv()
	var out bytes.Buffer
	cmd.Stdout = &out
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	return out.String(), code
}

func TestToolsAndCallCommands(t *testing.T) {
	out, code := runCLI(t, "tools")
	assert.Equal(t, 0, code)
	assert.Len(t, strings.Split(strings.TrimSpace(out), "\n"), defaultListed(t), "what a model sees")
	assert.Contains(t, out, "refresh_connection")
	out, code = runCLI(t, "tools", "--allow-destructive")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "purge_connection")

	out, code = runCLI(t, "call", "list_connectors", `{"status":"major-outage"}`)
	assert.Equal(t, 0, code)
	var res struct{ Connectors []struct{ ID string } }
	require.NoError(t, json.Unmarshal([]byte(out), &res))
	assert.Equal(t, "AU00006", res.Connectors[0].ID)
	out, code = runCLI(t, "call", "list_report_types", `{}`)
	assert.Equal(t, 0, code, "call reaches on-demand tools without enabling them: %s", out)
	out, code = runCLI(t, "call", "get_user", `{"user_id":"missing"}`)
	assert.Equal(t, 1, code, "a tool error exits non-zero")
	assert.Contains(t, out, "404")
	_, code = runCLI(t, "call", "get_user", `{not json`)
	assert.Equal(t, 2, code)
	out, code = runCLI(t, "tools", "--toolsets", "reports", "--allow-destructive")
	assert.Equal(t, 0, code)
	assert.Len(t, strings.Split(strings.TrimSpace(out), "\n"), 5)
	_, code = runCLI(t, "tools", "--exclude-tools", "no_such_tool")
	assert.Equal(t, 1, code, "a misspelt tool name is refused, not ignored")
	_, err := os.Stat(filepath.Join(stateDir, "state.db"))
	assert.NoError(t, err, "guard state lives in the state directory")
}

func TestSimulatorCommandServesAndStopsOnSignal(t *testing.T) {
	cmd := exec.Command(binary, "simulator", "--addr", "127.0.0.1:0", "--time-scale", "0.01")
	cmd.Env = sandboxEnv("BASIQ_SIMULATOR_API_KEY=pinned-key")
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill() })
	lines := bufio.NewScanner(stderr)
	require.True(t, lines.Scan(), "a first log line")
	m := regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+)`).FindStringSubmatch(lines.Text())
	require.NotNil(t, m, lines.Text())

	ctx := context.Background()
	wrong, err := basiq.NewClient("other-key", basiq.WithBaseURL(m[1]))
	require.NoError(t, err)
	_, err = wrong.ListConnectors(ctx, basiq.ListConnectorsOptions{})
	assert.True(t, basiq.IsAuthFailure(err), "the pinned key is enforced: %v", err)
	c, err := basiq.NewClient("pinned-key", basiq.WithBaseURL(m[1]))
	require.NoError(t, err)
	connectors, err := c.ListConnectors(ctx, basiq.ListConnectorsOptions{ID: "AU00000"})
	require.NoError(t, err)
	assert.Equal(t, "Hooli Bank", connectors.Data[0].Institution.Name)

	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	go func() {
		for lines.Scan() {
		}
	}()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		require.NoError(t, err, "exit status 0 after SIGINT")
	case <-time.After(10 * time.Second):
		t.Fatal("the simulator did not stop on SIGINT")
	}
	assert.Empty(t, stdout.String(), "nothing on stdout")
}

func TestEveryToolAPromptNamesExists(t *testing.T) {
	names := map[string]bool{}
	for _, tl := range tools.Inventory(&tools.Deps{SearchDocs: searchDocs}) {
		names[tl.Def.Name] = true
	}
	for _, p := range prompts.All() {
		for _, tl := range p.Tools {
			assert.True(t, names[tl], "prompt %s names %s, which is not a tool", p.Def.Name, tl)
		}
	}
}

func TestUsageAndBadFlags(t *testing.T) {
	var b bytes.Buffer
	assert.Equal(t, 2, run([]string{"frobnicate"}, nil, &b, &b))
	assert.Contains(t, b.String(), `unknown command "frobnicate"`)
	b.Reset()
	assert.Equal(t, 0, run([]string{"--help"}, nil, &b, &b))
	for _, want := range []string{"BASIQ_API_KEY", "BASIQ_MCP_TRANSPORT", "BASIQ_BASE_URL", "BASIQ_MCP_READ_ONLY", "BASIQ_MCP_ALLOW_DESTRUCTIVE",
		"BASIQ_MCP_SESSION_IDLE_TTL", "BASIQ_MCP_STATE_DIR", "BASIQ_MCP_REFRESH_MODE", "BASIQ_MCP_REFRESH_COOLDOWN", "BASIQ_MCP_TOOLSETS",
		"BASIQ_MCP_EXCLUDE_TOOLS", "BASIQ_MCP_CONFIRM_KEY"} {
		assert.Contains(t, b.String(), want)
	}
	b.Reset()
	assert.Equal(t, 2, run([]string{"--transport", "carrier-pigeon"}, nil, &b, &b))
	assert.Contains(t, b.String(), "--transport must be stdio, sse or http")
	b.Reset()
	assert.Equal(t, 2, run([]string{"--refresh-mode", "lenient"}, nil, &b, &b))
	assert.Contains(t, b.String(), "--refresh-mode must be enforce, shadow or off")
	t.Setenv("BASIQ_MCP_REFRESH_COOLDOWN", "soon")
	b.Reset()
	assert.Equal(t, 2, run([]string{"tools"}, nil, &b, &b))
	assert.Contains(t, b.String(), "BASIQ_MCP_REFRESH_COOLDOWN is not a duration")
	b.Reset()
	assert.Equal(t, 0, run([]string{"simulator", "--help"}, nil, &b, &b))
	assert.Contains(t, b.String(), "BASIQ_SIMULATOR_API_KEY")
	b.Reset()
	assert.Equal(t, 2, run([]string{"simulator", "--time-scale", "0"}, nil, &b, &b))
	assert.Contains(t, b.String(), "--time-scale must be above 0")
}

// TestSecretsNeverLeak drives the binary with a recognisable API key, at
// debug level, through successes, errors, refusals and previews, then looks
// for the key and for any token the simulator issued in everything the
// process wrote.
func TestSecretsNeverLeak(t *testing.T) {
	const key = "LEAKCHECK-api-key-7f3a9c"
	sim := basiqtest.NewServer(basiqtest.WithAPIKey(key), basiqtest.WithTimeScale(0.01))
	defer sim.Close()
	state := t.TempDir()
	env := sandboxEnv("BASIQ_API_KEY="+key, "BASIQ_BASE_URL="+sim.URL, "BASIQ_MCP_STATE_DIR="+state, "BASIQ_MCP_LOG_LEVEL=debug",
		"BASIQ_MCP_ALLOW_DESTRUCTIVE=1")
	cmd := exec.Command(binary)
	cmd.Env = env
	var stderr mcptest.LockedBuffer
	cmd.Stderr = &stderr
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	require.NoError(t, cmd.Start())
	conn := sim.Connections()[0]
	calls := []string{
		`{"name":"list_users","arguments":{"limit":2}}`,
		`{"name":"get_user","arguments":{"user_id":"00000000-0000-4000-8000-000000000000"}}`,
		`{"name":"get_user","arguments":{"user_id":"../token"}}`,
		`{"name":"refresh_connection","arguments":{"user_id":"` + conn.UserID + `","connection_id":"` + conn.ConnectionID + `"}}`,
		`{"name":"refresh_connection","arguments":{"user_id":"` + conn.UserID + `","connection_id":"` + conn.ConnectionID + `"}}`,
		`{"name":"purge_connection","arguments":{"user_id":"` + conn.UserID + `","connection_id":"` + conn.ConnectionID + `"}}`,
		`{"name":"create_auth_link","arguments":{"user_id":"` + conn.UserID + `"}}`,
		`{"name":"list_transactions","arguments":{"user_id":"` + conn.UserID + `","limit":3}}`,
	}
	var out bytes.Buffer
	reader := bufio.NewReader(stdout)
	io.WriteString(stdin, `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"leak","version":"1"}}}`+"\n")
	line, _ := reader.ReadString('\n')
	out.WriteString(line)
	io.WriteString(stdin, `{"jsonrpc":"2.0","method":"notifications/initialized"}`+"\n")
	for i, c := range calls {
		io.WriteString(stdin, fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":%s}`+"\n", i+1, c))
		line, err := reader.ReadString('\n')
		require.NoError(t, err)
		out.WriteString(line)
	}
	sim.ExpireTokens() // force a renewal, so a second token exists too
	io.WriteString(stdin, `{"jsonrpc":"2.0","id":99,"method":"tools/call","params":{"name":"get_user","arguments":{"user_id":"`+conn.UserID+`"}}}`+"\n")
	line, _ = reader.ReadString('\n')
	out.WriteString(line)
	stdin.Close()
	cmd.Wait()
	audit, err := os.ReadFile(filepath.Join(state, "audit.jsonl"))
	require.NoError(t, err)
	require.Greater(t, sim.Calls("POST /token"), 1, "tokens were issued and renewed")
	require.Contains(t, out.String(), `"isError":true`, "errors were exercised")
	require.Contains(t, stderr.String(), "basiq request", "debug logging was on")
	tokenRe := regexp.MustCompile(`sim\.[0-9a-f]{16,}`)
	for name, text := range map[string]string{"stdout": out.String(), "stderr": stderr.String(), "audit log": string(audit)} {
		assert.NotContains(t, text, key, "the API key leaked into %s", name)
		assert.False(t, tokenRe.MatchString(text), "a Basiq token leaked into %s", name)
		assert.NotContains(t, strings.ToLower(text), "authorization: ", "a header leaked into %s", name)
	}
}

// defaultListed is how many tools a default server lists: every toolset,
// no destructive tool, counted from the inventory.
func defaultListed(t *testing.T) int {
	t.Helper()
	sandbox := func(context.Context, string, tools.SandboxLogin) (string, []string, error) { return "", nil, nil }
	chosen, err := tools.Select(tools.Inventory(&tools.Deps{SearchDocs: searchDocs, SandboxConsent: sandbox}), tools.Options{})
	require.NoError(t, err)
	return len(chosen)
}

// TestSwitchesFailClosed: a switch read from the environment takes 1/0,
// true/false, yes/no or on/off in any case; any other word stops start-up
// naming the variable, so "on" can never silently mean read-write.
func TestSwitchesFailClosed(t *testing.T) {
	var b bytes.Buffer
	for _, v := range []string{"on", "ON", "Yes", "1", "true"} {
		t.Setenv("BASIQ_MCP_READ_ONLY", v)
		b.Reset()
		require.Equal(t, 0, run([]string{"tools"}, nil, &b, io.Discard), v)
		assert.NotRegexp(t, `(?m)^create_user `, b.String(), "%s means read-only", v)
	}
	for _, v := range []string{"t", "y", "enabled", "nope"} {
		t.Setenv("BASIQ_MCP_READ_ONLY", v)
		b.Reset()
		assert.Equal(t, 2, run([]string{"tools"}, nil, io.Discard, &b), v)
		assert.Contains(t, b.String(), "BASIQ_MCP_READ_ONLY", v)
	}
	t.Setenv("BASIQ_MCP_READ_ONLY", "")
	b.Reset()
	assert.Equal(t, 2, run([]string{"tools", "--allow-destructive=maybe"}, nil, io.Discard, &b))
}

// TestNoStateDirectoryStopsStartUp: with no HOME, no XDG_STATE_HOME and no
// --state-dir, guard state has nowhere safe to live; start-up stops rather
// than writing ./state.db wherever the process happens to run.
func TestNoStateDirectoryStopsStartUp(t *testing.T) {
	t.Setenv("HOME", "")
	t.Setenv("XDG_STATE_HOME", "")
	t.Setenv("BASIQ_MCP_STATE_DIR", "")
	var b bytes.Buffer
	assert.Equal(t, 2, run([]string{"tools"}, nil, io.Discard, &b))
	assert.Contains(t, b.String(), "no state directory")
	assert.Equal(t, 0, run([]string{"tools", "--state-dir", t.TempDir()}, nil, io.Discard, io.Discard))
}

// statelessPost sends one 2026-07-28 request with no session to base+path
// and returns the HTTP status and the JSON-RPC message.

// TestReadOnlyServerOffersNoWritingPrompt: prompts follow the configuration
// like the instructions do.
func TestReadOnlyServerOffersNoWritingPrompt(t *testing.T) {
	base, _, _ := startServer(t, sandboxEnv(), "--transport", "http", "--read-only")
	_, list := mcptest.StatelessPost(t, base+"/mcp", "prompts/list", nil, nil)
	var names []string
	for _, p := range list["result"].(map[string]any)["prompts"].([]any) {
		names = append(names, p.(map[string]any)["name"].(string))
	}
	assert.NotContains(t, names, "connect_bank", "it would send the model to create_user")
	assert.Contains(t, names, "explain_spending")
}
