package hosting

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"sync/atomic"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/basiq/basiqtest"
	"github.com/basiq-mcp/basiq-mcp/tools"
	"github.com/basiq-mcp/basiq-mcp/tools/guard"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// directEdge is /mcp in process, on real tools and the simulator, counting
// the tool calls that ran without mcp-go (whose context names the server).
type directEdge struct {
	url    string
	direct atomic.Int32
	user   string
	conn   string
}

func newDirectEdge(t *testing.T, idleTTL time.Duration, sessionsPerClient int, simOpts ...basiqtest.Option) *directEdge {
	e := &directEdge{}
	seen := func(next server.ToolHandlerFunc) server.ToolHandlerFunc {
		return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			if server.ServerFromContext(ctx) == nil {
				e.direct.Add(1)
			}
			return next(ctx, req)
		}
	}
	tt := newToolsOnSimulator(t, seen, append([]basiqtest.Option{basiqtest.WithTimeScale(0.002)}, simOpts...)...)
	e.user, e.conn = tt.sim.Connections()[0].UserID, tt.sim.Connections()[0].ConnectionID
	e.url = tt.serve(t, Options{Transport: "http", IdleTTL: idleTTL, SessionsPerClient: sessionsPerClient, Direct: tt.deps.DirectTool(tt.s)}) + "/mcp"
	return e
}

// toolsOnSimulator is every tool on an MCP server, on the simulator as
// Basiq, with a bbolt guard store.
type toolsOnSimulator struct {
	s     *server.MCPServer
	deps  *tools.Deps
	sim   *basiqtest.Server
	store guard.Store
	bc    *basiq.Client
}

// newToolsOnSimulator registers every tool, wrapped by wrap when not nil.
func newToolsOnSimulator(t *testing.T, wrap server.ToolHandlerMiddleware, simOpts ...basiqtest.Option) *toolsOnSimulator {
	sim := basiqtest.NewServer(simOpts...)
	t.Cleanup(sim.Close)
	bc, err := basiq.NewClient("hosting-test-key", basiq.WithBaseURL(sim.URL))
	require.NoError(t, err)
	store, err := guard.OpenBolt(filepath.Join(t.TempDir(), "guard.db"))
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	deps := &tools.Deps{Client: bc, Log: slog.New(slog.DiscardHandler), Audit: guard.NewAudit(io.Discard)}
	deps.Governor = guard.NewGovernor(bc, store, deps.Audit, guard.DefaultPolicy(), nil, nil)
	s := server.NewMCPServer("basiq-mcp", "test", server.WithToolCapabilities(false), server.WithHooks(&server.Hooks{}))
	opts := tools.Options{Toolsets: []string{"all"}}
	if wrap != nil {
		opts.Wrap = []server.ToolHandlerMiddleware{wrap}
	}
	_, err = tools.Register(s, deps, opts)
	require.NoError(t, err)
	return &toolsOnSimulator{s: s, deps: deps, sim: sim, store: store, bc: bc}
}

// serve serves the tools with o (its store, client and log filled in) and
// returns the server's URL.
func (tt *toolsOnSimulator) serve(t *testing.T, o Options) string {
	o.Store, o.Client, o.Log = tt.store, tt.bc, slog.New(slog.DiscardHandler)
	mux, _, shutdown := routes(tt.s, o, nil, nil, &drain{})
	srv := httptest.NewServer(mux)
	t.Cleanup(func() { shutdown(context.Background()); srv.Close() })
	return srv.URL
}

// open initializes a session and returns a function posting one message in
// it, which returns the status and the answer's body.
func (e *directEdge) open(t *testing.T) (string, func(msg string, header ...string) (int, []byte)) {
	post := func(session, msg string, header ...string) (*http.Response, []byte) {
		req, _ := http.NewRequest(http.MethodPost, e.url, bytes.NewBufferString(msg))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		if session != "" {
			req.Header.Set(server.HeaderKeySessionID, session)
			req.Header.Set(server.HeaderKeyProtocolVersion, "2025-06-18")
		}
		for i := 0; i+1 < len(header); i += 2 {
			if header[i] == "Host" {
				req.Host = header[i+1]
				continue
			}
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, body
	}
	resp, _ := post("", `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`)
	id := resp.Header.Get(server.HeaderKeySessionID)
	require.NotEmpty(t, id)
	post(id, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	return id, func(msg string, header ...string) (int, []byte) {
		resp, body := post(id, msg, header...)
		return resp.StatusCode, body
	}
}

// refreshJob refreshes the edge's connection in a session and returns
// the job to wait on.
func (e *directEdge) refreshJob(t *testing.T, post func(msg string, header ...string) (int, []byte)) string {
	_, body := post(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"refresh_connection","arguments":{"user_id":"` + e.user + `","connection_id":"` + e.conn + `"}}}`)
	job := regexp.MustCompile(`"job_id":"([^"]+)"`).FindSubmatch(body)
	require.NotNil(t, job, "%s", body)
	return string(job[1])
}

// volatileHTTP is what differs between two answers of one call: Basiq's
// correlation ids and times read off the clock.
var volatileHTTP = regexp.MustCompile(`correlationId [0-9a-f-]{36}|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`)

func canonicalAnswer(t *testing.T, body []byte) string {
	var v any
	require.NoError(t, json.Unmarshal(body, &v), "%s", body)
	b, _ := json.Marshal(v)
	return volatileHTTP.ReplaceAllString(string(b), "…")
}

// TestDirectHTTPCallsAnswerAsMcpGoDoes: a plain call of a read-only tool
// in a session is answered without mcp-go, with the answer mcp-go gives
// the same call made ineligible by an empty _meta; writes, unknown tools
// and 2026-07-28 requests go to mcp-go.
func TestDirectHTTPCallsAnswerAsMcpGoDoes(t *testing.T) {
	e := newDirectEdge(t, 30*time.Minute, 0)
	_, post := e.open(t)
	calls := []string{
		`"get_connection","arguments":{"user_id":"` + e.user + `","connection_id":"` + e.conn + `"}`,
		`"list_transactions","arguments":{"user_id":"` + e.user + `","limit":5}`,
		`"check_connector_status","arguments":{"connector_id":"AU00000"}`,
		`"diagnose_connection","arguments":{"user_id":"` + e.user + `"}`,
		`"list_users","arguments":{"limit":2}`, `"get_user","arguments":{"user_id":"bad id!"}`,
		`"get_job","arguments":{"job_id":"nope"}`, `"list_report_types"`,
		`"no_such_tool","arguments":{}`,
		`"refresh_connection","arguments":{"user_id":"` + e.user + `","connection_id":"` + e.conn + `","dry_run":true}`,
	}
	for i, call := range calls {
		status, plain := post(fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":%s}}`, i+1, call))
		statusMcpGo, viaMcpGo := post(fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":%s,"_meta":{}}}`, i+1, call))
		assert.Equal(t, statusMcpGo, status, call)
		assert.Equal(t, canonicalAnswer(t, viaMcpGo), canonicalAnswer(t, plain), call)
	}
	assert.Equal(t, int32(len(calls)-2), e.direct.Load(), "every plain call of a read-only tool ran without mcp-go, and nothing else")

	before := e.direct.Load()
	call := `{"jsonrpc":"2.0","id":99,"method":"tools/call","params":{"name":"list_report_types"}}`
	status, _ := post(call, server.HeaderKeyProtocolVersion, "1999-01-01")
	assert.Equal(t, http.StatusBadRequest, status, "mcp-go refuses a version it does not know")
	post(call, "Content-Type", "text/plain")
	status, _ = post(call, "Host", "rebound.example")
	assert.Equal(t, http.StatusForbidden, status, "mcp-go's DNS-rebinding check refuses another Host on a loopback server")
	assert.Equal(t, before, e.direct.Load(), "none reached a tool without mcp-go")
}

// TestDirectHTTPSessionsStayAlive: a session answered here is still
// served through mcp-go once every half idle TTL, so mcp-go's idle sweep,
// which sees only what it serves, never ends a session in use; a deleted
// session is not answered here.
func TestDirectHTTPSessionsStayAlive(t *testing.T) {
	e := newDirectEdge(t, 2*time.Second, 0)
	id, post := e.open(t)
	call := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list_report_types"}}`
	deadline := time.Now().Add(5 * time.Second) // past two idle TTLs, calling all along
	calls := 0
	for time.Now().Before(deadline) {
		status, body := post(call)
		require.Equal(t, http.StatusOK, status, "the session in use was swept: %s", body)
		calls++
		time.Sleep(20 * time.Millisecond)
	}
	assert.Less(t, int(e.direct.Load()), calls, "some calls went through mcp-go")
	assert.Greater(t, int(e.direct.Load()), calls/2, "most were answered here")

	req, _ := http.NewRequest(http.MethodDelete, e.url, nil)
	req.Header.Set(server.HeaderKeySessionID, id)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	status, _ := post(call)
	assert.Equal(t, http.StatusNotFound, status, "a deleted session is refused")
}

// TestDirectHTTPRefusesAnEndedSession: a session the per-client cap ended
// (mcp-go still holds its state until the idle sweep) is refused, not
// answered here.
func TestDirectHTTPRefusesAnEndedSession(t *testing.T) {
	e := newDirectEdge(t, 30*time.Minute, 1)
	_, first := e.open(t)
	call := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list_report_types"}}`
	status, _ := first(call)
	require.Equal(t, http.StatusOK, status)
	_, second := e.open(t) // the cap of one ends the first
	status, _ = first(call)
	assert.Equal(t, http.StatusNotFound, status, "the ended session is refused")
	status, _ = second(call)
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, int32(2), e.direct.Load(), "only the open sessions' calls ran")
}

// TestDirectHTTPCallsAreCancellable: a call answered here (get_job,
// waiting on a refresh that takes seconds) ends when the client's
// notifications/cancelled names it, as one mcp-go runs would; mcp-go knows
// nothing of it.
func TestDirectHTTPCallsAreCancellable(t *testing.T) {
	e := newDirectEdge(t, 30*time.Minute, 0, basiqtest.WithTimeScale(1))
	_, post := e.open(t)
	_, body := post(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"refresh_connection","arguments":{"user_id":"` + e.user + `","connection_id":"` + e.conn + `"}}}`)
	var refreshed struct {
		Result struct {
			StructuredContent struct {
				Decision struct {
					JobID string `json:"job_id"`
				} `json:"decision"`
			} `json:"structuredContent"`
		} `json:"result"`
	}
	require.NoError(t, json.Unmarshal(body, &refreshed), "%s", body)
	job := refreshed.Result.StructuredContent.Decision.JobID
	require.NotEmpty(t, job, "%s", body)

	began, answered := time.Now(), make(chan time.Duration, 1)
	go func() {
		post(`{"jsonrpc":"2.0","id":"wait-1","method":"tools/call","params":{"name":"get_job","arguments":{"job_id":"` + job + `","wait_seconds":60}}}`)
		answered <- time.Since(began)
	}()
	require.Eventually(t, func() bool { return e.direct.Load() == 1 }, 5*time.Second, 10*time.Millisecond, "the wait runs without mcp-go")
	status, body := post(`{"jsonrpc":"2.0","id":"wait-1","method":"tools/call","params":{"name":"get_job","arguments":{"job_id":"` + job + `","wait_seconds":60}}}`)
	assert.Equal(t, http.StatusOK, status)
	assert.JSONEq(t, `{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Request ID is already in use"}}`, string(body), "the id in use is refused, as mcp-go refuses it")
	assert.Equal(t, int32(1), e.direct.Load(), "the duplicate did not run")
	time.Sleep(200 * time.Millisecond)
	cancel := `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"wait-1","reason":"the user moved on"}}`
	status, _ = post(cancel, "Content-Type", "text/plain")
	assert.NotEqual(t, http.StatusAccepted, status, "mcp-go refuses a body that is not JSON")
	select {
	case <-answered:
		t.Fatal("a notification mcp-go refused cancelled the wait")
	case <-time.After(300 * time.Millisecond):
	}
	status, _ = post(cancel)
	assert.Equal(t, http.StatusAccepted, status, "mcp-go accepts the notification too")
	select {
	case took := <-answered:
		assert.Less(t, took, 5*time.Second, "the cancelled wait ended")
	case <-time.After(20 * time.Second):
		t.Fatal("the cancelled wait ran on")
	}
}

// TestDirectHTTPRefusesAnIDMcpGoIsRunning: a plain call reusing the id of
// a call mcp-go runs (one with _meta, answering in JSON or streaming its
// progress) is refused as mcp-go would refuse it, and a call mcp-go would
// run reusing the id of a direct call too; an id whose call has been
// answered is free again at once.
func TestDirectHTTPRefusesAnIDMcpGoIsRunning(t *testing.T) {
	e := newDirectEdge(t, 30*time.Minute, 0, basiqtest.WithTimeScale(1))
	_, post := e.open(t)
	job := e.refreshJob(t, post)
	wait := func(id, meta string) string {
		return `{"jsonrpc":"2.0","id":"` + id + `","method":"tools/call","params":{` + meta + `"name":"get_job","arguments":{"job_id":"` + job + `","wait_seconds":60}}}`
	}
	inUse := `{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Request ID is already in use"}}`
	ended := make(chan struct{}, 3)
	running := []string{"through-mcp-go", "streaming", "direct"}
	for _, id := range running {
		meta := map[string]string{"through-mcp-go": `"_meta":{},`, "streaming": `"_meta":{"progressToken":"s"},`, "direct": ""}[id]
		go func() { post(wait(id, meta)); ended <- struct{}{} }()
	}
	require.Eventually(t, func() bool { return e.direct.Load() == 1 }, 5*time.Second, 10*time.Millisecond, "the plain wait runs without mcp-go")
	time.Sleep(200 * time.Millisecond) // the other wait is in mcp-go's hands
	_, body := post(wait("through-mcp-go", ""))
	assert.JSONEq(t, inUse, string(body), "a plain call may not take the id of a call mcp-go runs")
	_, body = post(wait("streaming", ""))
	assert.JSONEq(t, inUse, string(body), "nor the id of one whose progress mcp-go is streaming")
	_, body = post(wait("direct", `"_meta":{},`))
	assert.JSONEq(t, inUse, string(body), "nor may a call for mcp-go take the id of a direct call")
	assert.Equal(t, int32(1), e.direct.Load(), "neither duplicate ran here")
	for _, id := range running {
		post(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"` + id + `"}}`)
	}
	for range running {
		select {
		case <-ended:
		case <-time.After(20 * time.Second):
			t.Fatal("a cancelled wait ran on")
		}
	}
	for i := range 50 { // an answered id is the client's to use again, whichever path answered it
		meta := []string{"", `"_meta":{},`}[i%2]
		_, body = post(`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{` + meta + `"name":"check_connector_status","arguments":{"connector_id":"AU00000"}}}`)
		require.NotContains(t, string(body), "already in use", "call %d", i)
	}
}
