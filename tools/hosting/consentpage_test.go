package hosting_test

import (
	"io"
	"net/http"
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
		req := mcptest.StatelessRequest(base+"/mcp", "tools/call", params, map[string]any{"elicitation": map[string]any{"url": map[string]any{}}})
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		result, _ := mcptest.Message(raw)["result"].(map[string]any)
		require.NotNil(t, result, "%s", raw)
		return result
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
