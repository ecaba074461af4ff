package hosting_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/basiq-mcp/basiq-mcp/testdata/mcptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOAuthScopesAndCallers runs the binary as an OAuth resource server:
// the metadata names the issuer, a request without a token is sent to it,
// scopes decide what a caller lists and calls, and the audit says who.
func TestOAuthScopesAndCallers(t *testing.T) {
	const audience = "https://mcp.example.test/mcp"
	is := mcptest.NewIssuer(t)
	dir := t.TempDir()
	base := mcptest.StartServer(t, binary, sandboxEnv("BASIQ_MCP_OAUTH_ISSUER="+is.URL, "BASIQ_MCP_OAUTH_AUDIENCE="+audience),
		"--transport", "http", "--state-dir", dir, "--audit-reads")

	code, body := mcptest.Get(t, base+"/.well-known/oauth-protected-resource/mcp", "")
	require.Equal(t, 200, code)
	var md map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &md))
	assert.Equal(t, audience, md["resource"])
	assert.Equal(t, []any{is.URL}, md["authorization_servers"])

	status, _ := mcptest.StatelessPost(t, base+"/mcp", "tools/list", nil, nil)
	assert.Equal(t, http.StatusUnauthorized, status)
	status, _ = mcptest.StatelessPost(t, base+"/mcp", "tools/list", nil, map[string]string{"Authorization": "Bearer " + is.Token(t, audience, "openid profile")})
	assert.Equal(t, http.StatusForbidden, status, "a valid token with none of our scopes: 403 insufficient_scope")

	reader := map[string]string{"Authorization": "Bearer " + is.Token(t, audience, "basiq:read")}
	_, listed := mcptest.StatelessPost(t, base+"/mcp", "tools/list", nil, reader)
	var names []string
	for _, tl := range listed["result"].(map[string]any)["tools"].([]any) {
		names = append(names, tl.(map[string]any)["name"].(string))
	}
	assert.Contains(t, names, "get_user")
	for _, write := range []string{"create_user", "refresh_connection", "create_report", "answer_mfa"} {
		assert.NotContains(t, names, write, "a read-only token lists no write tool")
	}
	_, call := mcptest.StatelessPost(t, base+"/mcp", "tools/call", map[string]any{"name": "create_user", "arguments": map[string]any{"email": "x@example.com"}},
		merge(reader, map[string]string{"Mcp-Name": "create_user"}))
	result := call["result"].(map[string]any)
	assert.Equal(t, true, result["isError"])
	assert.Contains(t, result["content"].([]any)[0].(map[string]any)["text"], "basiq:write")

	mcptest.StatelessPost(t, base+"/mcp", "tools/call", map[string]any{"name": "get_user", "arguments": map[string]any{"user_id": "nosuchuser"}},
		merge(reader, map[string]string{"Mcp-Name": "get_user"}))
	audit, err := os.ReadFile(filepath.Join(dir, "audit.jsonl"))
	require.NoError(t, err)
	assert.Contains(t, string(audit), `"tool":"get_user","userId":"nosuchuser","decision":"read-failed","subject":"agent-7","clientId":"support-bot"`)
	t.Logf("audit: %s", strings.TrimSpace(string(audit)))
	assert.False(t, strings.Contains(string(audit), "create_user"), "the refused create never reached the audit as an attempt")
}

// TestOAuthCustomerBinding: a token with the basiq_users claim reaches
// only those customers; any other, or a tool that names none, is refused
// before anything reaches Basiq.
func TestOAuthCustomerBinding(t *testing.T) {
	const audience = "https://mcp.example.test/mcp"
	is := mcptest.NewIssuer(t)
	base := mcptest.StartServer(t, binary, sandboxEnv("BASIQ_MCP_OAUTH_ISSUER="+is.URL, "BASIQ_MCP_OAUTH_AUDIENCE="+audience), "--transport", "http")
	bound := mcptest.Sign(t, is.Key, is.KeyID, is.Claims(audience, "basiq:read", func(c map[string]any) { c["basiq_users"] = []string{"queueuser1"} }))
	call := func(name string, args map[string]any) map[string]any {
		_, msg := mcptest.StatelessPost(t, base+"/mcp", "tools/call", map[string]any{"name": name, "arguments": args},
			map[string]string{"Authorization": "Bearer " + bound, "Mcp-Name": name})
		return msg["result"].(map[string]any)
	}
	textOf := func(r map[string]any) string { return r["content"].([]any)[0].(map[string]any)["text"].(string) }

	other := call("get_user", map[string]any{"user_id": "someoneelse"})
	assert.Equal(t, true, other["isError"])
	assert.Contains(t, textOf(other), "not allowed to reach customer")
	search := call("list_users", map[string]any{"query": "whistler"})
	assert.NotEqual(t, true, search["isError"])
	assert.Contains(t, textOf(search), `"users":[]`, "a search finds only the caller's own customers")
	own := call("get_user", map[string]any{"user_id": "queueuser1"})
	assert.NotContains(t, textOf(own), "bound to", "the customer of the queue is reached (Basiq answers for it)")
	neutral := call("list_connectors", map[string]any{"query": "hooli"})
	assert.NotEqual(t, true, neutral["isError"], "connectors belong to no customer")
}

func merge(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// TestOAuthCallerRefreshQuota: each OAuth caller has its own refresh quota,
// counted in the store: past it, a refresh is refused with the rule named,
// before the connection's own rules are consulted.
func TestOAuthCallerRefreshQuota(t *testing.T) {
	const audience = "https://mcp.example.test/mcp"
	is := mcptest.NewIssuer(t)
	base := mcptest.StartServer(t, binary, sandboxEnv("BASIQ_MCP_OAUTH_ISSUER="+is.URL, "BASIQ_MCP_OAUTH_AUDIENCE="+audience),
		"--transport", "http", "--state-dir", t.TempDir(), "--caller-refreshes-per-hour", "1")
	token := is.Token(t, audience, "basiq:read basiq:refresh")
	call := func(name string, args map[string]any) map[string]any {
		_, msg := mcptest.StatelessPost(t, base+"/mcp", "tools/call", map[string]any{"name": name, "arguments": args},
			map[string]string{"Authorization": "Bearer " + token, "Mcp-Name": name})
		return msg["result"].(map[string]any)
	}
	var targets []map[string]any
	for _, u := range call("list_users", map[string]any{"query": "whistler"})["structuredContent"].(map[string]any)["users"].([]any) {
		id := u.(map[string]any)["id"]
		for _, c := range call("diagnose_connection", map[string]any{"user_id": id})["structuredContent"].(map[string]any)["connections"].([]any) {
			if strings.HasPrefix(fmt.Sprint(c.(map[string]any)["refresh"]), "would-refresh") {
				targets = append(targets, map[string]any{"user_id": id, "connection_id": c.(map[string]any)["id"]})
			}
		}
	}
	require.NotEmpty(t, targets, "a connection that may be refreshed")
	first := call("refresh_connection", targets[0])
	require.NotEqual(t, true, first["isError"], "%v", first)
	dry := call("refresh_connection", merge2(targets[0], "dry_run", true))
	assert.NotContains(t, dry["content"].([]any)[0].(map[string]any)["text"], "quota", "a dry run spends no quota and is not refused by it")
	second := call("refresh_connection", targets[0])
	assert.Equal(t, true, second["isError"])
	assert.Contains(t, second["content"].([]any)[0].(map[string]any)["text"], "quota of 1 refreshes per 1h0m0s")
}

func merge2(m map[string]any, k string, v any) map[string]any {
	out := map[string]any{k: v}
	for key, val := range m {
		out[key] = val
	}
	return out
}
