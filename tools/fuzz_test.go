package tools_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/tools"
	"github.com/basiq-mcp/basiq-mcp/tools/guard"
	"github.com/mark3labs/mcp-go/mcp"
)

// pathChecker fails the test if a request path holds a segment that is not
// a valid id, and never reaches any network.
type pathChecker struct{ t *testing.T }

func (p pathChecker) RoundTrip(r *http.Request) (*http.Response, error) {
	for _, seg := range strings.Split(strings.Trim(r.URL.Path, "/"), "/") {
		if seg != "" && basiq.ValidateID("segment", seg) != nil {
			p.t.Fatalf("an unvalidated id reached Basiq: %q", r.URL.Path)
		}
	}
	return nil, errors.New("offline")
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
		bc, err := basiq.NewClient("fuzz", basiq.WithBaseURL("http://basiq.invalid"), basiq.WithHTTPClient(&http.Client{Transport: pathChecker{t}}),
			basiq.WithRetryPolicy(basiq.RetryPolicy{MaxAttempts: 1}), basiq.WithCircuitBreaker(0, 0))
		if err != nil {
			t.Fatal(err)
		}
		store, _ := guard.OpenBolt(t.TempDir() + "/s.db")
		d := &tools.Deps{Client: bc, Log: slog.New(slog.DiscardHandler), Audit: guard.NewAudit(io.Discard), PollInterval: time.Millisecond,
			Governor: guard.NewGovernor(bc, store, nil, guard.DefaultPolicy(), nil, nil), Confirm: guard.NewConfirmer(nil, store, nil),
			Idem: guard.NewIdempotency(store, nil), SearchDocs: fakeSearch}
		inv := tools.Inventory(d)
		tl := inv[int(which)%len(inv)]
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
	h := newHarness(&testing.T{}, tools.Options{AllowDestructive: true})
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
