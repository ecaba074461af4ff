package mcptest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
)

// BuildBinary builds the basiq-mcp command in module (the repository
// root, relative to the calling test's package) into dir.
func BuildBinary(module, dir string) (string, error) {
	bin := filepath.Join(dir, "basiq-mcp")
	if out, err := exec.Command("go", "build", "-o", bin, module).CombinedOutput(); err != nil {
		return "", &buildError{string(out)}
	}
	return bin, nil
}

var (
	buildOnce sync.Once
	built     string
	buildErr  error
)

// Binary builds the basiq-mcp command in module once per test binary and
// returns its path (the temporary folder stays until the machine clears
// it: the process may still run the sandbox it started).
func Binary(t testing.TB, module string) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "basiq-mcp-bin")
		if err != nil {
			buildErr = err
			return
		}
		built, buildErr = BuildBinary(module, dir)
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return built
}

type buildError struct{ out string }

func (e *buildError) Error() string { return "building basiq-mcp: " + e.out }

// SandboxEnv is the environment without any Basiq setting (so the binary
// runs on its simulator), with guard state in stateDir and no live docs.
func SandboxEnv(stateDir string, extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "BASIQ_") {
			env = append(env, kv)
		}
	}
	return append(append(env, "NO_COLOR=1", "BASIQ_MCP_STATE_DIR="+stateDir, "BASIQ_MCP_DOCS_URL=off",
		"BASIQ_MCP_SANDBOX_IDLE=1m"), extra...) // call's shared sandbox goes soon after the tests
}

var listening = regexp.MustCompile(`basiq-mcp listening .*url=(http://127\.0\.0\.1:\d+)`)

// StartServer runs bin with args on a free loopback port and returns its
// base URL; the process is killed when the test ends.
func StartServer(t testing.TB, bin string, env []string, args ...string) string {
	t.Helper()
	url, _ := StartProcess(t, bin, env, args...)
	return url
}

// StartProcess is StartServer that also gives the process, for a test
// that kills it itself.
func StartProcess(t testing.TB, bin string, env []string, args ...string) (string, *os.Process) {
	t.Helper()
	cmd := exec.Command(bin, append(args, "--addr", "127.0.0.1:0")...)
	cmd.Env = env
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := bufio.NewScanner(stderr)
	for lines.Scan() {
		if m := listening.FindStringSubmatch(lines.Text()); m != nil {
			go io.Copy(io.Discard, stderr)
			return m[1], cmd.Process
		}
	}
	t.Fatal("the server did not say where it listens")
	return "", nil
}

// StatelessPost sends one 2026-07-28 request (no session: the protocol
// version and client travel in _meta and headers) and returns the HTTP
// status and the JSON-RPC message, read from JSON or from an SSE event.
func StatelessPost(t testing.TB, url, method string, params map[string]any, header map[string]string) (int, map[string]any) {
	t.Helper()
	req := StatelessRequest(url, method, params, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, Message(raw)
}

// StatelessResult sends one stateless request announcing capabilities and
// returns its JSON-RPC result, failing the test when the answer has none.
func StatelessResult(t testing.TB, url, method string, params, capabilities map[string]any) map[string]any {
	t.Helper()
	resp, err := http.DefaultClient.Do(StatelessRequest(url, method, params, capabilities))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	result, _ := Message(raw)["result"].(map[string]any)
	if result == nil {
		t.Fatalf("%s: no result: %s", method, raw)
	}
	return result
}

// Message is the JSON-RPC message of an answer, read from JSON or from its
// first SSE event; nil when there is none (a refusal in plain text).
func Message(raw []byte) map[string]any {
	if i := bytes.Index(raw, []byte("data: ")); i >= 0 {
		raw = bytes.TrimSpace(bytes.SplitN(raw[i+6:], []byte("\n"), 2)[0])
	}
	var msg map[string]any
	_ = json.Unmarshal(raw, &msg)
	return msg
}

// StatelessRequest is one 2026-07-28 request without a session: the
// protocol version, the client and its capabilities (nil: none) travel in
// _meta, the method and a tool's name (params["name"]) in headers.
func StatelessRequest(url, method string, params, capabilities map[string]any) *http.Request {
	if params == nil {
		params = map[string]any{}
	}
	if capabilities == nil {
		capabilities = map[string]any{}
	}
	params["_meta"] = map[string]any{"io.modelcontextprotocol/protocolVersion": "2026-07-28",
		"io.modelcontextprotocol/clientInfo": map[string]any{"name": "e2e", "version": "1"}, "io.modelcontextprotocol/clientCapabilities": capabilities}
	body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("MCP-Protocol-Version", "2026-07-28")
	req.Header.Set("Mcp-Method", method)
	if name, ok := params["name"].(string); ok && method == "tools/call" {
		req.Header.Set("Mcp-Name", name)
	}
	return req
}

// Get fetches url, with a bearer token when token is set.
func Get(t testing.TB, url, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// Initialize opens an MCP session on c as a 2025-11-25 client.
func Initialize(t testing.TB, ctx context.Context, c *client.Client) {
	t.Helper()
	InitializeAs(t, ctx, c, "e2e", nil)
}

// InitializeAs opens an MCP session on c as the 2025-11-25 client name,
// declaring elicitation if it is given.
func InitializeAs(t testing.TB, ctx context.Context, c *client.Client, name string, elicitation *mcp.ElicitationCapability) {
	t.Helper()
	req := mcp.InitializeRequest{}
	req.Params.ProtocolVersion = "2025-11-25"
	req.Params.ClientInfo = mcp.Implementation{Name: name, Version: "1"}
	req.Params.Capabilities.Elicitation = elicitation
	if _, err := c.Initialize(ctx, req); err != nil {
		t.Fatal(err)
	}
}

// CallTool calls a tool on c, failing the test on a protocol error.
func CallTool(t testing.TB, ctx context.Context, c *client.Client, name string, args map[string]any) *mcp.CallToolResult {
	t.Helper()
	req := mcp.CallToolRequest{}
	req.Params.Name, req.Params.Arguments = name, args
	res, err := c.CallTool(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	return res
}
