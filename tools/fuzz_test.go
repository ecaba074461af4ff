package tools_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/tools"
	"github.com/basiq-mcp/basiq-mcp/tools/guard"
	"github.com/mark3labs/mcp-go/mcp"
)

// pathChecker fails the test if a request path holds a segment that is not
// a valid id, and never reaches any network. It hands out a token, so that
// a tool's own request gets past the token request to be checked, and
// counts the tool requests it saw.
type pathChecker struct {
	t    testing.TB
	seen *atomic.Int32
}

func (p pathChecker) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Path == "/token" {
		return jsonResponse(r, http.StatusOK, `{"access_token":"fuzz-token","token_type":"Bearer","expires_in":3600}`), nil
	}
	for _, seg := range strings.Split(strings.Trim(r.URL.Path, "/"), "/") {
		if seg != "" && basiq.ValidateID("segment", seg) != nil {
			p.t.Fatalf("an unvalidated id reached Basiq: %q", r.URL.Path)
		}
	}
	if r.URL.Path != "/token" { // a tool's own request, not the token's
		p.seen.Add(1)
	}
	return nil, errors.New("offline")
}

func jsonResponse(r *http.Request, status int, body string) *http.Response {
	return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(body)), Request: r}
}

// fuzzTool builds the tools on the checking transport and returns the one
// numbered which (modulo the inventory).
func fuzzTool(t testing.TB, which uint8, seen *atomic.Int32) tools.Tool {
	bc, err := basiq.NewClient("fuzz", basiq.WithBaseURL("http://basiq.invalid"), basiq.WithHTTPClient(&http.Client{Transport: pathChecker{t, seen}}),
		basiq.WithRetryPolicy(basiq.RetryPolicy{MaxAttempts: 1}), basiq.WithCircuitBreaker(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	store, _ := guard.OpenBolt(t.TempDir() + "/s.db")
	d := &tools.Deps{Client: bc, Log: slog.New(slog.DiscardHandler), Audit: guard.NewAudit(io.Discard), PollInterval: time.Millisecond,
		Governor: guard.NewGovernor(bc, store, nil, guard.DefaultPolicy(), nil, nil), Confirm: guard.NewConfirmer(nil, store, nil),
		Idem: guard.NewIdempotency(store, nil), Users: guard.NewDirectory(store, nil), SearchDocs: fakeSearch}
	inv := tools.Inventory(d)
	return inv[int(which)%len(inv)]
}

// TestPathCheckerSeesToolRequests keeps the fuzz target honest: with valid
// arguments, a tool's request does reach the checker.
func TestPathCheckerSeesToolRequests(t *testing.T) {
	var seen atomic.Int32
	for which := range uint8(40) {
		tl := fuzzTool(t, which, &seen)
		req := mcp.CallToolRequest{}
		req.Params.Name = tl.Def.Name
		req.Params.Arguments = requiredArgs(t, tl)
		_, _ = tl.Handler(context.Background(), req)
	}
	if seen.Load() == 0 {
		t.Fatal("no tool request reached the path checker: the fuzz target checks nothing")
	}
}

// FuzzToolArguments sends arbitrary JSON arguments to every tool: nothing
// may panic or hang, and no malformed id may reach a URL path.
func FuzzToolArguments(f *testing.F) {
	f.Add(uint8(0), []byte(`{"user_id":"../token"}`))
	f.Add(uint8(3), []byte(`{"user_id":"u1","connection_id":"a/b","limit":-1}`))
	f.Add(uint8(7), []byte(`{"user_id":"u1","from_date":"2026-02-30","cursor":"Li4vdG9rZW4_bmV4dD0x"}`))
	f.Add(uint8(12), []byte(`{"report_type":"CON_AFFOR_01","title":"","user_id":"u","from_date":"2026-01-01","account_ids":[1,2]}`))
	f.Add(uint8(20), []byte(`{"query":"\u202eevil","limit":1e308}`))
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		var args map[string]any
		if json.Unmarshal(data, &args) != nil {
			return
		}
		var seen atomic.Int32
		tl := fuzzTool(t, which, &seen)
		req := mcp.CallToolRequest{}
		req.Params.Name, req.Params.Arguments = tl.Def.Name, args
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		res, err := tl.Handler(ctx, req)
		if err == nil && res == nil {
			t.Fatal("no result and no error")
		}
	})
}

// FuzzJSONRPC feeds whole JSON-RPC messages to the server, as the stdio
// transport does with each line: no panic, and an answer that encodes.
func FuzzJSONRPC(f *testing.F) {
	for _, s := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`,
		`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"get_user","arguments":{"user_id":"../x"}}}`,
		`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"list_transactions","arguments":[1,2]}}`,
		`{"jsonrpc":"2.0","id":{},"method":5}`, `[]`, `{"jsonrpc":"2.0","id":4,"method":"resources/read","params":{"uri":"basiq://docs/../../x"}}`,
	} {
		f.Add([]byte(s))
	}
	h := newHarness(f, tools.Options{AllowDestructive: true}) // its cleanups (the audit secret check) run when the fuzzing ends
	f.Fuzz(func(t *testing.T, msg []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		res := h.server.HandleMessage(ctx, msg)
		if res != nil {
			if _, err := json.Marshal(res); err != nil {
				t.Fatalf("the answer does not encode: %v", err)
			}
		}
	})
}

// validArg is a valid value for each argument name a tool may require.
var validArg = map[string]any{"user_id": "u1", "connection_id": "c1", "job_id": "j1", "report_id": "r1", "connector_id": "AU00000",
	"transaction_id": "t1", "consent_id": "k1", "report_type": "CON_AFFOR_01", "title": "t", "from_date": "2026-01-01",
	"query": "basiq", "toolset": "reports", "code": "1234"}

// requiredArgs gives the tool valid values for its required arguments.
func requiredArgs(t *testing.T, tl tools.Tool) map[string]any {
	var schema struct{ Required []string }
	if err := json.Unmarshal(tl.Def.RawInputSchema, &schema); err != nil {
		t.Fatal(err)
	}
	args := map[string]any{}
	for _, name := range schema.Required {
		v, ok := validArg[name]
		if !ok {
			t.Fatalf("%s requires %q: add a valid value to validArg", tl.Def.Name, name)
		}
		args[name] = v
	}
	return args
}
