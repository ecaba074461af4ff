package hosting_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/basiq-mcp/basiq-mcp/testdata/mcptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStatelessClientIsOfferedTheConsentPage: a stateless 2026-07-28
// client that says it can open URLs gets, for create_auth_link, an input
// request to open Basiq's (here the simulator's) consent page; retrying
// with the human's answer returns that link, not a new one.
func TestStatelessClientIsOfferedTheConsentPage(t *testing.T) {
	t.Parallel()
	// The offline simulator (no key): its own consent pages may be offered.
	// (A key with BASIQ_BASE_URL at a simulator is a real deployment: only
	// Basiq's consent hosts are offered there.)
	base := mcptest.StartServer(t, binary, sandboxEnv(), "--transport", "http",
		"--state-dir", t.TempDir(), "--index-share", "0", "--events-poll", "0")
	res, txt := call(t, base, "list_users", map[string]any{})
	require.NotEqual(t, true, res["isError"], txt)
	user := res["structuredContent"].(map[string]any)["users"].([]any)[0].(map[string]any)["id"].(string)
	post := func(params map[string]any) map[string]any {
		return mcptest.StatelessResult(t, base+"/mcp", "tools/call", params, map[string]any{"elicitation": map[string]any{"url": map[string]any{}}})
	}
	args := map[string]any{"user_id": user, "mobile": "+61400111222"}
	first := post(map[string]any{"name": "create_auth_link", "arguments": args})
	asks, _ := first["inputRequests"].(map[string]any)
	require.Contains(t, asks, "open_consent", "%v", first)
	ask := asks["open_consent"].(map[string]any)
	params := ask["params"].(map[string]any)
	assert.Equal(t, "elicitation/create", ask["method"])
	assert.Equal(t, "url", params["mode"])
	offered, _ := params["url"].(string)
	assert.True(t, strings.HasPrefix(offered, "http://127.0.0.1:"), "the simulator's consent page: %s", offered)

	final := post(map[string]any{"name": "create_auth_link", "arguments": args, "requestState": first["requestState"],
		"inputResponses": map[string]any{"open_consent": map[string]any{"action": "accept"}}})
	require.NotEqual(t, true, final["isError"], "%v", final)
	content := final["structuredContent"].(map[string]any)
	assert.Equal(t, offered, content["url"], "the link the human opened, not a new one")
	assert.Contains(t, content["next_step"], "was opened")
}

// TestSandboxConsentOnTheSimulatorsPage: complete_sandbox_consent without
// a login asks a client that can open URLs to open the simulator's consent
// page for the user; a person filling in that page (a sandbox persona)
// connects the bank, and the retry with the human's answer says so. A
// client that cannot open URLs is told to pass a login.
func TestSandboxConsentOnTheSimulatorsPage(t *testing.T) {
	t.Parallel()
	base := mcptest.StartServer(t, binary, sandboxEnv(), "--transport", "http",
		"--state-dir", t.TempDir(), "--index-share", "0", "--events-poll", "0")
	res, txt := call(t, base, "create_user", map[string]any{"email": "page@example.com", "mobile": "+61400111333", "first_name": "Page"})
	require.NotEqual(t, true, res["isError"], txt)
	user := res["structuredContent"].(map[string]any)["id"].(string)
	post := func(params, caps map[string]any) map[string]any {
		return mcptest.StatelessResult(t, base+"/mcp", "tools/call", params, caps)
	}
	opensURLs := map[string]any{"elicitation": map[string]any{"url": map[string]any{}}}
	args := map[string]any{"user_id": user}

	refused := post(map[string]any{"name": "complete_sandbox_consent", "arguments": args}, nil)
	assert.Equal(t, true, refused["isError"])
	assert.Contains(t, fmt.Sprint(refused["content"]), "login_id and password are needed")

	first := post(map[string]any{"name": "complete_sandbox_consent", "arguments": args}, opensURLs)
	asks, _ := first["inputRequests"].(map[string]any)
	require.Contains(t, asks, "open_consent", "%v", first)
	page := asks["open_consent"].(map[string]any)["params"].(map[string]any)["url"].(string)
	require.True(t, strings.HasPrefix(page, "http://127.0.0.1:"), "the simulator's consent page: %s", page)

	form, err := http.Get(page)
	require.NoError(t, err)
	body, _ := io.ReadAll(form.Body)
	form.Body.Close()
	assert.Contains(t, string(body), `<form method="post">`, "a page a person can fill in")
	done, err := http.PostForm(page, url.Values{"institutionId": {"AU00000"}, "loginId": {"Whistler"}, "password": {"ShowBox"}})
	require.NoError(t, err)
	body, _ = io.ReadAll(done.Body)
	done.Body.Close()
	assert.Contains(t, string(body), "Connected.")

	final := post(map[string]any{"name": "complete_sandbox_consent", "arguments": args, "requestState": first["requestState"],
		"inputResponses": map[string]any{"open_consent": map[string]any{"action": "accept"}}}, opensURLs)
	require.NotEqual(t, true, final["isError"], "%v", final)
	assert.Contains(t, final["structuredContent"].(map[string]any)["next_step"], "was opened")
	conns, txt := call(t, base, "list_connections", map[string]any{"user_id": user})
	require.NotEqual(t, true, conns["isError"], txt)
	assert.Len(t, conns["structuredContent"].(map[string]any)["connections"], 1, "the bank the person connected")
}
