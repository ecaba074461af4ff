package hosting_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq/basiqtest"
	"github.com/basiq-mcp/basiq-mcp/testdata/mcptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const frontAudience = "https://mcp.example.test/mcp"

// door is one hosted deployment on a simulator of its own, and the issuer
// whose tokens it takes.
type door struct {
	t    *testing.T
	base string
	is   *mcptest.Issuer
	sim  *basiqtest.Server
	dir  string
}

func openDoor(t *testing.T, args ...string) *door {
	sim := basiqtest.NewServer(basiqtest.WithAPIKey("front-door-key"), basiqtest.WithTimeScale(0.01))
	t.Cleanup(sim.Close)
	is := mcptest.NewIssuer(t)
	dir := t.TempDir()
	base := mcptest.StartServer(t, binary, sandboxEnv("BASIQ_API_KEY=front-door-key", "BASIQ_BASE_URL="+sim.URL,
		"BASIQ_MCP_OAUTH_ISSUER="+is.URL, "BASIQ_MCP_OAUTH_AUDIENCE="+frontAudience), append([]string{"--transport", "http", "--state-dir", dir}, args...)...)
	return &door{t: t, base: base, is: is, sim: sim, dir: dir}
}

// token signs a token with scope, bound to users unless users is nil; a
// users of []string{"null"} sends the claim as JSON null.
func (d *door) token(scope string, users []string) string {
	return mcptest.Sign(d.t, d.is.Key, d.is.KeyID, d.is.Claims(frontAudience, scope, func(c map[string]any) {
		switch {
		case len(users) == 1 && users[0] == "null":
			c["basiq_users"] = nil
		case users != nil:
			c["basiq_users"] = users
		}
	}))
}

// rpc sends one stateless request with token and returns the JSON-RPC
// message.
func (d *door) rpc(token, method string, params map[string]any) map[string]any {
	name, _ := params["name"].(string)
	if uri, ok := params["uri"].(string); ok {
		name = uri
	}
	// A stateless request's invalid params answer HTTP 400 with the message.
	_, msg := mcptest.StatelessPost(d.t, d.base+"/mcp", method, params, map[string]string{"Authorization": "Bearer " + token, "Mcp-Name": name})
	require.NotNil(d.t, msg, "%s: no JSON-RPC answer", method)
	return msg
}

// tool calls a tool and returns its result and text.
func (d *door) tool(token, name string, args map[string]any) (map[string]any, string) {
	msg := d.rpc(token, "tools/call", map[string]any{"name": name, "arguments": args})
	res, ok := msg["result"].(map[string]any)
	require.True(d.t, ok, "%v", msg)
	return res, res["content"].([]any)[0].(map[string]any)["text"].(string)
}

func refused(t *testing.T, msg map[string]any, what string) {
	t.Helper()
	e, ok := msg["error"].(map[string]any)
	if assert.True(t, ok, "%s must be refused: %v", what, msg) {
		assert.EqualValues(t, -32602, e["code"], what)
		assert.Regexp(t, "not allowed to reach|may not reach|OAuth scope", e["message"], what)
	}
}

func answered(t *testing.T, msg map[string]any, what string) {
	t.Helper()
	assert.Contains(t, msg, "result", "%s must be answered: %v", what, msg)
}

// TestBoundCallerAtEveryEntry: a caller bound to one customer reads that
// customer through every entry (resources, prompts, completions, tools, jobs
// and reports resolved to their customer) and nobody else's; a token without
// basiq:read reads no customer data at all; a null claim reaches nobody; and
// resource reads leave the same audit trail as tool reads.
func TestBoundCallerAtEveryEntry(t *testing.T) {
	d := openDoor(t, "--audit-reads")
	admin := d.token("basiq:read basiq:write", nil)
	conns := d.sim.Connections()
	a, b := conns[0].UserID, ""
	for _, c := range conns {
		if c.UserID != a {
			b = c.UserID
			break
		}
	}
	require.NotEmpty(t, b)
	jobOf := func(user string) string {
		res, _ := d.tool(admin, "list_user_jobs", map[string]any{"user_id": user})
		return res["structuredContent"].(map[string]any)["jobs"].([]any)[0].(map[string]any)["id"].(string)
	}
	reportOf := func(user string) string {
		from := time.Now().AddDate(0, -3, 0).Format(time.DateOnly)
		res, txt := d.tool(admin, "create_report", map[string]any{"report_type": "CON_AFFOR_01", "title": "Review", "user_id": user, "from_date": from})
		require.NotEqual(t, true, res["isError"], txt)
		job := res["structuredContent"].(map[string]any)["job_id"].(string)
		res, txt = d.tool(admin, "get_job", map[string]any{"job_id": job, "wait_seconds": 30})
		require.Equal(t, "succeeded", res["structuredContent"].(map[string]any)["status"], txt)
		return res["structuredContent"].(map[string]any)["report_id"].(string)
	}
	jobA, jobB, reportA, reportB := jobOf(a), jobOf(b), reportOf(a), reportOf(b)

	bound := d.token("basiq:read basiq:write", []string{a})
	read := func(tok, uri string) map[string]any { return d.rpc(tok, "resources/read", map[string]any{"uri": uri}) }
	for uri, mine := range map[string]bool{
		"basiq://users/" + a: true, "basiq://users/" + b: false,
		"basiq://users/" + a + "/connections": true, "basiq://users/" + b + "/connections": false,
		"basiq://jobs/" + jobA: true, "basiq://jobs/" + jobB: false,
		"basiq://reports/" + reportA + "/pdf": true, "basiq://reports/" + reportB + "/pdf": false,
		"basiq://connectors": true, "basiq://docs/getting-started": true,
	} {
		if mine {
			answered(t, read(bound, uri), uri)
		} else {
			refused(t, read(bound, uri), uri)
		}
	}
	// A subscription the caller could not read is refused before it is
	// made (its own customers' and the queue are resources/unit tests').
	listen := d.rpc(bound, "subscriptions/listen", map[string]any{"notifications": map[string]any{
		"resourceSubscriptions": []string{"basiq://users/" + a, "basiq://users/" + b + "/connections"}}})
	if e, ok := listen["error"].(map[string]any); assert.True(t, ok, "a subscription to another customer is refused: %v", listen) {
		assert.Contains(t, e["message"], "not allowed to reach") // -32600: mcp-go's request hook gives no other code
	}
	queue := read(bound, "basiq://support/queue")
	answered(t, queue, "the support queue")
	var rows struct {
		Rows []struct {
			UserID string `json:"user_id"`
		}
		Index struct{ Customers int }
	}
	require.NoError(t, json.Unmarshal([]byte(queue["result"].(map[string]any)["contents"].([]any)[0].(map[string]any)["text"].(string)), &rows))
	assert.Equal(t, 1, rows.Index.Customers, "a bound caller's queue looks at its one customer")
	for _, r := range rows.Rows {
		assert.Equal(t, a, r.UserID, "a bound caller's queue holds only its customers")
	}
	res, _ := d.tool(admin, "support_queue", map[string]any{"limit": 100})
	others := 0
	for _, r := range res["structuredContent"].(map[string]any)["rows"].([]any) {
		if r.(map[string]any)["user_id"] != a {
			others++
		}
	}
	assert.Positive(t, others, "the deployment's queue holds the others")
	prompt := func(tok, user string) map[string]any {
		return d.rpc(tok, "prompts/get", map[string]any{"name": "troubleshoot_connection", "arguments": map[string]any{"user_id": user}})
	}
	answered(t, prompt(bound, a), "a prompt for the caller's customer")
	refused(t, prompt(bound, b), "a prompt for another customer")

	complete := func(tok string) []any {
		msg := d.rpc(tok, "completion/complete", map[string]any{"ref": map[string]any{"type": "ref/resource", "uri": "basiq://users/{userId}"},
			"argument": map[string]any{"name": "userId", "value": ""}})
		return msg["result"].(map[string]any)["completion"].(map[string]any)["values"].([]any)
	}
	assert.Equal(t, []any{a}, complete(bound), "a bound caller is offered only its own customers")
	assert.Greater(t, len(complete(admin)), 2, "an unbound reader is offered every customer")

	for name, args := range map[string]map[string]any{"get_job": {"job_id": jobB}, "get_report": {"report_id": reportB}, "get_user": {"user_id": b}} {
		res, txt := d.tool(bound, name, args)
		assert.Equal(t, true, res["isError"], "%s of another customer: %s", name, txt)
	}
	for name, args := range map[string]map[string]any{"get_job": {"job_id": jobA}, "get_report": {"report_id": reportA}} {
		res, txt := d.tool(bound, name, args)
		assert.NotEqual(t, true, res["isError"], "%s of the caller's customer: %s", name, txt)
	}
	_, listed := d.tool(bound, "list_reports", map[string]any{})
	assert.Contains(t, listed, reportA)
	assert.NotContains(t, listed, reportB, "list_reports keeps only the caller's customers' reports")
	res, txt := d.tool(bound, "answer_mfa", map[string]any{"user_id": a, "job_id": jobB, "code": "123456"})
	assert.Equal(t, true, res["isError"], txt)

	refresher := d.token("basiq:refresh", nil)
	refused(t, read(refresher, "basiq://users/"+a), "customer data without basiq:read")
	refused(t, prompt(refresher, a), "a prompt without basiq:read")
	assert.Empty(t, complete(refresher), "no customer ids without basiq:read")

	nobody := d.token("basiq:read", []string{"null"})
	refused(t, read(nobody, "basiq://users/"+a), "a null claim binds to no customer")
	res, txt = d.tool(nobody, "get_user", map[string]any{"user_id": a})
	assert.Equal(t, true, res["isError"], "a null claim is not 'all customers': %s", txt)

	audit, err := os.ReadFile(filepath.Join(d.dir, "audit.jsonl"))
	require.NoError(t, err)
	assert.Contains(t, string(audit), `"tool":"resources/read","userId":"`+a+`","decision":"read","subject":"agent-7"`)
	assert.Contains(t, string(audit), `"tool":"resources/read","jobId":"`+jobA+`","decision":"read"`)
	assert.NotContains(t, string(audit), `"tool":"resources/read","userId":"`+b+`"`, "refused reads reached nothing")
	assert.Contains(t, string(audit), `"tool":"completion/complete","target":"customer-ids","decision":"read","subject":"agent-7"`, "a completion that offered customer ids is audited")
}

// TestTokensThatCannotReachEveryone: with --oauth-require-binding a token
// without the claim is refused at the door; a read-only token is shown no
// write tool even on a server of one tool; /metrics needs basiq:metrics; the
// bearer scheme is case-insensitive.
func TestTokensThatCannotReachEveryone(t *testing.T) {
	d := openDoor(t, "--oauth-require-binding", "--tools", "delete_consent", "--allow-destructive")
	status, _ := mcptest.StatelessPost(t, d.base+"/mcp", "tools/list", nil, map[string]string{"Authorization": "Bearer " + d.token("basiq:read", nil)})
	assert.Equal(t, 401, status, "a token without basiq_users is refused when binding is required")
	reader := d.token("basiq:read", []string{"u1"})
	msg := d.rpc(reader, "tools/list", nil)
	assert.Empty(t, msg["result"].(map[string]any)["tools"], "a one-tool list is filtered too")
	status, _ = mcptest.StatelessPost(t, d.base+"/mcp", "tools/list", nil, map[string]string{"Authorization": "bearer " + reader})
	assert.Equal(t, 200, status, "the bearer scheme is case-insensitive")

	code, _ := mcptest.Get(t, d.base+"/metrics", reader)
	assert.Equal(t, 403, code, "a customer-bound reader cannot scrape metrics")
	code, body := mcptest.Get(t, d.base+"/metrics", d.token("basiq:metrics", []string{}))
	assert.Equal(t, 200, code)
	assert.True(t, strings.Contains(body, "basiq_mcp_"), "metrics are served to basiq:metrics")
}

// TestForgedTokensCostTheIssuerNothing: fifty forged tokens under the known
// key id are refused from the cached keys, and fifty under unseen key ids
// make at most one read of the issuer's keys between them.
func TestForgedTokensCostTheIssuerNothing(t *testing.T) {
	d := openDoor(t)
	start := d.is.KeyReads()
	claims := d.is.Claims(frontAudience, "basiq:read", nil)
	stranger := mcptest.NewIssuer(t) // keys nobody published for this server
	for i := range 50 {
		forged := mcptest.Sign(t, stranger.Key, d.is.KeyID, claims)
		status, _ := mcptest.StatelessPost(t, d.base+"/mcp", "tools/list", nil, map[string]string{"Authorization": "Bearer " + forged})
		assert.Equal(t, 401, status)
		unseen := mcptest.Sign(t, stranger.Key, "kid-"+string(rune('a'+i%26))+strings.Repeat("x", i), claims)
		status, _ = mcptest.StatelessPost(t, d.base+"/mcp", "tools/list", nil, map[string]string{"Authorization": "Bearer " + unseen})
		assert.Equal(t, 401, status)
	}
	assert.LessOrEqual(t, d.is.KeyReads()-start, 1, "at most one read of the keys in 30 s, whatever the tokens")
	var md map[string]any
	code, body := mcptest.Get(t, d.base+"/.well-known/oauth-protected-resource/mcp", "")
	require.Equal(t, 200, code)
	require.NoError(t, json.Unmarshal([]byte(body), &md))
	assert.Contains(t, md["scopes_supported"], "basiq:metrics")
}
