// Package journeys_test plays an agent that knows only what the server
// shows (its tool list, instructions and results) through the tasks a
// support team brings, over stdio and over stateless streamable HTTP, and
// counts the tool calls each takes against a budget.
package journeys_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/testdata/mcptest"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func env(t *testing.T) []string {
	return mcptest.SandboxEnv(t.TempDir(), "BASIQ_MCP_LOG_LEVEL=warn")
}

// agent is a client as a journey sees it: it lists tools and calls them,
// counting the calls.
type agent struct {
	t     *testing.T
	tools []string
	calls int
	call  func(name string, args map[string]any) (map[string]any, bool)
}

// use calls a tool the server listed, failing on a tool error.
func (a *agent) use(name string, args map[string]any) map[string]any {
	a.t.Helper()
	require.Contains(a.t, a.tools, name, "the journey only uses tools the server lists")
	a.calls++
	out, isErr := a.call(name, args)
	require.False(a.t, isErr, "%s: %v", name, out)
	return out
}

func stdioAgent(t *testing.T) *agent {
	c, err := client.NewStdioMCPClient(mcptest.Binary(t, "../.."), env(t))
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	ctx := context.Background()
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	init.Params.ClientInfo = mcp.Implementation{Name: "journeys", Version: "1"}
	_, err = c.Initialize(ctx, init)
	require.NoError(t, err)
	list, err := c.ListTools(ctx, mcp.ListToolsRequest{})
	require.NoError(t, err)
	a := &agent{t: t}
	for _, tl := range list.Tools {
		a.tools = append(a.tools, tl.Name)
	}
	a.call = func(name string, args map[string]any) (map[string]any, bool) {
		req := mcp.CallToolRequest{}
		req.Params.Name, req.Params.Arguments = name, args
		res, err := c.CallTool(ctx, req)
		require.NoError(t, err)
		var out map[string]any
		if tc, ok := res.Content[0].(mcp.TextContent); ok && json.Unmarshal([]byte(tc.Text), &out) != nil {
			out = map[string]any{"error": tc.Text}
		}
		return out, res.IsError
	}
	return a
}

// httpAgent speaks the stateless 2026-07-28 protocol: no initialize, no
// session, never re-lists tools.
func httpAgent(t *testing.T) *agent {
	base := mcptest.StartServer(t, mcptest.Binary(t, "../.."), append(env(t), "BASIQ_MCP_LOG_LEVEL=info"), "--transport", "http")
	require.NotEmpty(t, base)
	post := func(method string, params map[string]any) map[string]any {
		params["_meta"] = map[string]any{"io.modelcontextprotocol/protocolVersion": "2026-07-28",
			"io.modelcontextprotocol/clientInfo": map[string]any{"name": "journeys", "version": "1"}, "io.modelcontextprotocol/clientCapabilities": map[string]any{}}
		body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
		req, _ := http.NewRequest(http.MethodPost, base+"/mcp", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("MCP-Protocol-Version", "2026-07-28")
		req.Header.Set("Mcp-Method", method)
		if name, ok := params["name"].(string); ok {
			req.Header.Set("Mcp-Name", name)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		if i := bytes.Index(raw, []byte("data: ")); i >= 0 {
			raw = bytes.TrimSpace(bytes.SplitN(raw[i+6:], []byte("\n"), 2)[0])
		}
		var msg map[string]any
		require.NoError(t, json.Unmarshal(raw, &msg), "%s", raw)
		return msg
	}
	a := &agent{t: t}
	for _, tl := range post("tools/list", map[string]any{})["result"].(map[string]any)["tools"].([]any) {
		a.tools = append(a.tools, tl.(map[string]any)["name"].(string))
	}
	a.call = func(name string, args map[string]any) (map[string]any, bool) {
		msg := post("tools/call", map[string]any{"name": name, "arguments": args})
		require.Nil(t, msg["error"], "%s: protocol error %v", name, msg["error"])
		res := msg["result"].(map[string]any)
		isErr, _ := res["isError"].(bool)
		if isErr {
			return map[string]any{"error": res["content"].([]any)[0].(map[string]any)["text"]}, true
		}
		return res["structuredContent"].(map[string]any), false
	}
	return a
}

func rows(out map[string]any, field string) []map[string]any {
	var r []map[string]any
	for _, v := range out[field].([]any) {
		r = append(r, v.(map[string]any))
	}
	return r
}

// TestJourneys runs every journey over both transports with the default
// configuration, each within its budget of tool calls.
func TestJourneys(t *testing.T) {
	for name, start := range map[string]func(*testing.T) *agent{"stdio": stdioAgent, "stateless HTTP": httpAgent} {
		t.Run(name, func(t *testing.T) {
			a := start(t)
			journey(t, a, "morning summary", 1, morningSummary)
			journey(t, a, "the refresh waiting for a code, answered", 3, waitingForCode) // before the bank's code times out
			journey(t, a, "consents expiring within 30 days", 1, consentsExpiring)
			journey(t, a, "the bank breaking most connections", 2, worstBank)
			journey(t, a, "support triage", 3, supportTriage)
			journey(t, a, "refresh request", 4, refreshRequest)
			journey(t, a, "onboarding with sandbox consent", 6, onboarding)
			journey(t, a, "lending", 5, lending)
			journey(t, a, "spending by category", 3, spending)
			journey(t, a, "bulk delete refused", 0, bulkDelete)
		})
	}
}

func journey(t *testing.T, a *agent, name string, budget int, run func(*testing.T, *agent)) {
	t.Run(name, func(t *testing.T) {
		a.t, a.calls = t, 0
		run(t, a)
		assert.LessOrEqual(t, a.calls, budget, "tool calls for %q", name)
		t.Logf("%s: %d calls (budget %d)", name, a.calls, budget)
	})
}

// urgency is the order of the support queue's reasons, most urgent first.
var urgency = []string{"waiting-for-code", "connection-invalid", "consent-revoked", "consent-expired", "refresh-failed", "consent-expiring", "connection-expiring", "bank-outage"}

// morningSummary: "how many customers need us this morning, why, and
// which three first?" One call: the totals by reason, and the three most
// urgent with their reasons and next steps.
func morningSummary(t *testing.T, a *agent) {
	out := a.use("support_queue", map[string]any{"limit": 3})
	queue := rows(out, "rows")
	require.Len(t, queue, 3, "three most urgent")
	assert.GreaterOrEqual(t, out["customers"], float64(3), "how many customers need attention in all")
	assert.NotEmpty(t, out["by_reason"], "why, in totals")
	for i, r := range queue {
		assert.NotEmpty(t, r["next_step"], "each says what to do")
		if i > 0 {
			assert.LessOrEqual(t, slices.Index(urgency, queue[i-1]["reason"].(string)), slices.Index(urgency, r["reason"].(string)), "most urgent first")
		}
	}
	assert.Equal(t, "waiting-for-code", queue[0]["reason"], "a code that expires in minutes comes first")
}

// waitingForCode: "a customer is on the phone with the code their bank
// sent: find the refresh waiting for it and answer it."
func waitingForCode(t *testing.T, a *agent) {
	waiting := rows(a.use("support_queue", map[string]any{"reason": "waiting-for-code", "limit": 1}), "rows")
	require.NotEmpty(t, waiting, "the queue finds the refresh waiting for a code")
	r := waiting[0]
	a.use("answer_mfa", map[string]any{"user_id": r["user_id"], "job_id": r["job_id"], "code": "1234"}) // the simulator's one-time code
	job := a.use("get_job", map[string]any{"job_id": r["job_id"], "wait_seconds": 60})
	assert.Equal(t, "succeeded", job["status"])
}

// consentsExpiring: "whose consent expires within 30 days?" One call.
func consentsExpiring(t *testing.T, a *agent) {
	out := a.use("support_queue", map[string]any{"reason": "consent-expiring", "within_days": 30, "limit": 100})
	expiring := rows(out, "rows")
	require.NotEmpty(t, expiring)
	for _, r := range expiring {
		at, err := time.Parse(time.RFC3339, r["expires"].(string))
		require.NoError(t, err)
		assert.Less(t, time.Until(at), 30*24*time.Hour, "%s expires within 30 days", r["consent_id"])
		assert.Contains(t, r["next_step"], "create_auth_link")
	}
	assert.Equal(t, float64(len(expiring)), out["total"], "all of them on one page")
}

// worstBank: "which bank breaks the most connections, and is it having
// problems?" One call names the bank with its status at Basiq.
func worstBank(t *testing.T, a *agent) {
	banks := rows(a.use("support_queue", map[string]any{"limit": 1}), "banks")
	require.NotEmpty(t, banks)
	assert.NotEmpty(t, banks[0]["name"])
	assert.NotEmpty(t, banks[0]["status"], "whether the bank itself has problems")
	for _, b := range banks[1:] {
		assert.GreaterOrEqual(t, banks[0]["problems"], b["problems"], "most problems first")
	}
}

// supportTriage: "who needs attention, and why?"
func supportTriage(t *testing.T, a *agent) {
	queue := rows(a.use("support_queue", map[string]any{"reason": "connection-invalid", "limit": 5}), "rows")
	require.NotEmpty(t, queue, "the support queue finds customers with broken connections")
	why := a.use("diagnose_connection", map[string]any{"user_id": queue[0]["user_id"], "connection_id": queue[0]["connection_id"]})
	assert.NotEmpty(t, why["verdict"])
	assert.NotEmpty(t, why["next_step"])
}

// refreshRequest: "Whistler's bank data looks old: refresh it." The agent
// diagnoses first and refreshes only what the diagnosis calls stale; data
// fetched within the day is answered with when it was fetched, unrefreshed.
func refreshRequest(t *testing.T, a *agent) {
	users := rows(a.use("list_users", map[string]any{"query": "whistler"}), "users")
	require.NotEmpty(t, users)
	for _, u := range users {
		why := a.use("diagnose_connection", map[string]any{"user_id": u["id"]})
		for _, c := range rows(why, "connections") {
			switch c["verdict"] {
			case "refresh-now":
				out := a.use("refresh_connection", map[string]any{"user_id": u["id"], "connection_id": c["id"]})
				job := out["decision"].(map[string]any)["job_id"]
				require.NotEmpty(t, job)
				a.use("get_job", map[string]any{"job_id": job, "wait_seconds": 60})
				return
			case "ok":
				assert.Contains(t, c["next_step"], "fetched", "a fresh connection is answered with when its data was fetched")
			}
		}
		if len(rows(why, "connections")) > 0 {
			return // every connection is current or needs someone else: nothing to refresh
		}
	}
	t.Fatal("no connection of Whistler's to look at")
}

// onboarding: "connect Ada's bank", finished through MCP alone.
func onboarding(t *testing.T, a *agent) {
	found := a.use("list_users", map[string]any{"query": "ada.journey@example.com"})
	require.Empty(t, rows(found, "users"))
	user := a.use("create_user", map[string]any{"email": "ada.journey@example.com", "first_name": "Ada", "mobile": "+61400111222", "idempotency_key": "journey-ada-0001"})
	link := a.use("create_auth_link", map[string]any{"user_id": user["id"]})
	require.NotEmpty(t, link["url"])
	consent := a.use("complete_sandbox_consent", map[string]any{"user_id": user["id"], "login_id": "Whistler", "password": "ShowBox"})
	jobs := consent["job_ids"].([]any)
	job := a.use("get_job", map[string]any{"job_id": jobs[0], "wait_seconds": 60})
	require.Equal(t, "succeeded", job["status"])
	assert.NotEmpty(t, rows(a.use("list_accounts", map[string]any{"user_id": user["id"]}), "accounts"))
}

// lending: "affordability for Whistler over six months".
func lending(t *testing.T, a *agent) {
	users := rows(a.use("list_users", map[string]any{"query": "whistler"}), "users")
	require.NotEmpty(t, users)
	from := time.Now().AddDate(0, -6, 0).Format(time.DateOnly)
	made := a.use("create_report", map[string]any{"report_type": "CON_AFFOR_01", "title": "Whistler affordability", "user_id": users[0]["id"], "from_date": from})
	job := a.use("get_job", map[string]any{"job_id": made["job_id"], "wait_seconds": 60})
	require.Equal(t, "succeeded", job["status"])
	report := a.use("get_report", map[string]any{"report_id": job["report_id"]})
	assert.NotEmpty(t, report["metrics"])
}

// spending: "what does Whistler spend on, by category?"
func spending(t *testing.T, a *agent) {
	users := rows(a.use("list_users", map[string]any{"query": "whistler"}), "users")
	require.NotEmpty(t, users)
	out := a.use("list_transactions", map[string]any{"user_id": users[0]["id"], "by_category": true, "direction": "debit",
		"from_date": time.Now().AddDate(0, -3, 0).Format(time.DateOnly)})
	assert.NotEmpty(t, out["categories"])
}

// bulkDelete: "delete the data of every customer with a broken connection"
// is refused before any call: no delete or purge tool is offered.
func bulkDelete(t *testing.T, a *agent) {
	for _, name := range a.tools {
		assert.False(t, strings.HasPrefix(name, "delete_") || strings.HasPrefix(name, "purge_"), "%s is offered by default", name)
	}
}
