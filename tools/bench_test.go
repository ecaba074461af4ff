package tools_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/tools"
	"github.com/basiq-mcp/basiq-mcp/tools/stdio"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// The benchmarks below measure what the MCP layer adds: the same call
// straight through the basiq client, and through an in-process MCP client
// and the tool (decode, validate, call, trim, encode), in one run.

func benchHarness(b *testing.B) (*harness, basiq.ListTransactionsOptions, string, string) {
	t := &testing.T{}
	h := newHarness(t, tools.Options{})
	b.Cleanup(func() { h.client.Close(); h.sim.Close() })
	c := h.sim.Connections()[0]
	return h, basiq.ListTransactionsOptions{PageOptions: basiq.PageOptions{Limit: 100}}, c.UserID, c.ConnectionID
}

func BenchmarkDirectGetConnection(b *testing.B) {
	h, _, user, conn := benchHarness(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.deps.Client.GetConnection(ctx, user, conn); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMCPGetConnection(b *testing.B) {
	h, _, user, conn := benchHarness(b)
	benchTool(b, h, "get_connection", map[string]any{"user_id": user, "connection_id": conn})
}

func BenchmarkDirectListTransactions100(b *testing.B) {
	h, opts, user, _ := benchHarness(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.deps.Client.ListTransactions(ctx, user, opts); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMCPListTransactions100(b *testing.B) {
	h, _, user, _ := benchHarness(b)
	benchTool(b, h, "list_transactions", map[string]any{"user_id": user, "limit": 100})
}

func benchTool(b *testing.B, h *harness, name string, args map[string]any) {
	ctx := context.Background()
	req := mcp.CallToolRequest{}
	req.Params.Name, req.Params.Arguments = name, args
	b.ReportAllocs()
	for b.Loop() {
		res, err := h.client.CallTool(ctx, req)
		if err != nil || res.IsError {
			b.Fatal(err, res)
		}
	}
}

// BenchmarkServerGetConnection is the server's share alone: a JSON-RPC
// tools/call as a transport delivers it, through the tool, to the encoded
// response, without any client library's parsing.
func BenchmarkServerGetConnection(b *testing.B) {
	h, _, user, conn := benchHarness(b)
	benchServer(b, h, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_connection","arguments":{"user_id":"`+user+`","connection_id":"`+conn+`"}}}`)
}

func BenchmarkServerListTransactions100(b *testing.B) {
	h, _, user, _ := benchHarness(b)
	benchServer(b, h, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list_transactions","arguments":{"user_id":"`+user+`","limit":100}}}`)
}

func benchServer(b *testing.B, h *harness, msg string) {
	raw := []byte(msg)
	b.ReportAllocs()
	for b.Loop() {
		serve(b, h.server, raw)
	}
}

// serve handles one JSON-RPC message as a transport would, to the encoded
// response, and fails the benchmark unless it is a successful tool result.
func serve(b *testing.B, s *server.MCPServer, msg []byte) {
	out, err := json.Marshal(s.HandleMessage(context.Background(), msg))
	if err != nil || !bytes.Contains(out, []byte(`"result"`)) || bytes.Contains(out, []byte(`"isError":true`)) {
		b.Fatal(err, string(out[:min(len(out), 300)]))
	}
}

// BenchmarkOverhead alternates the direct client call and the same call
// through the server on every iteration, so noise on a shared machine hits
// both alike, and reports the median of each and what the server adds, in
// process: from the request's line to the answer's bytes as stdio and
// streamable HTTP both answer a plain call of a read-only tool
// (stdio.Answer, without mcp-go's decoding), and through mcp-go's
// HandleMessage with the answer encoded as its HTTP transport does
// (encoding/json through mcp-go's types), as every call the direct path
// leaves to mcp-go is.
func BenchmarkOverhead(b *testing.B) {
	h, opts, user, conn := benchHarness(b)
	ctx := h.server.WithContext(context.Background(), benchSession{})
	direct := h.deps.DirectTool(h.server)
	cases := []struct {
		name   string
		direct func() error
		msg    string
	}{
		{"get_connection", func() error { _, err := h.deps.Client.GetConnection(ctx, user, conn); return err },
			`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_connection","arguments":{"user_id":"` + user + `","connection_id":"` + conn + `"}}}`},
		{"list_transactions_100", func() error { _, err := h.deps.Client.ListTransactions(ctx, user, opts); return err },
			`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list_transactions","arguments":{"user_id":"` + user + `","limit":100}}}`},
	}
	paths := []struct {
		name string
		run  func(msg string) error
	}{
		{"stdio", func(msg string) error {
			out, err := stdio.Answer(ctx, h.server, direct, []byte(msg))
			if err == nil && !bytes.Contains(out, []byte(`"structuredContent"`)) {
				err = fmt.Errorf("stdio: %.200s", out)
			}
			return err
		}},
		{"mcpgo", func(msg string) error { _, err := json.Marshal(h.server.HandleMessage(ctx, []byte(msg))); return err }},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			direct, through := []time.Duration{}, make([][]time.Duration, len(paths))
			for b.Loop() {
				t0 := time.Now()
				if err := c.direct(); err != nil {
					b.Fatal(err)
				}
				direct = append(direct, time.Since(t0))
				for i, p := range paths {
					t1 := time.Now()
					if err := p.run(c.msg); err != nil {
						b.Fatal(err)
					}
					through[i] = append(through[i], time.Since(t1))
				}
			}
			d := median(direct)
			b.ReportMetric(float64(d.Microseconds()), "direct-µs")
			for i, p := range paths {
				s := median(through[i])
				b.ReportMetric(float64(s.Microseconds()), p.name+"-µs")
				b.ReportMetric(100*float64(s-d)/float64(d), p.name+"-added-%")
			}
		})
	}
}

// benchSession is an initialized session of a client on 2025-06-18, as
// the stdio transport's is after initialize.
type benchSession struct{}

func (benchSession) SessionID() string                                   { return "bench" }
func (benchSession) NotificationChannel() chan<- mcp.JSONRPCNotification { return nil }
func (benchSession) Initialize()                                         {}
func (benchSession) Initialized() bool                                   { return true }
func (benchSession) ProtocolVersion() string                             { return "2025-06-18" }

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// BenchmarkResultEncoding is the share of a get_connection call spent
// encoding the JSON-RPC response inside mcp-go (CallToolResult.MarshalJSON
// builds a map; encoding/json re-checks and compacts each nested
// marshaller's output, the text and the structured copy alike): the part of
// the MCP layer's cost that our code does not choose.
func BenchmarkResultEncoding(b *testing.B) {
	h, _, user, conn := benchHarness(b)
	res := h.server.HandleMessage(context.Background(), []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_connection","arguments":{"user_id":"`+user+`","connection_id":"`+conn+`"}}}`))
	out, err := json.Marshal(res)
	if err != nil || !bytes.Contains(out, []byte(`"structuredContent"`)) {
		b.Fatal(err, string(out))
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(res); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(out)), "response-bytes") // after the loop, which resets metrics
}

// BenchmarkAgainstEcho alternates, in-process and without a transport, a
// cached check_connector_status through our server and a bare mcp-go echo
// tool, from the JSON-RPC message in to the encoded response out, and
// reports the median of each and their ratio: the bench driver's CPU target
// without system calls or scheduling in it.
func BenchmarkAgainstEcho(b *testing.B) {
	h, _, _, _ := benchHarness(b)
	echo := server.NewMCPServer("echo", "1", server.WithToolCapabilities(false))
	echo.AddTool(mcp.NewTool("echo", mcp.WithString("message", mcp.Required())), func(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultText(req.GetString("message", "")), nil
	})
	ours := []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"check_connector_status","arguments":{"connector_id":"AU00000"}}}`)
	floor := []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"message":"hi"}}}`)
	call := func(s *server.MCPServer, msg []byte) time.Duration {
		t := time.Now()
		serve(b, s, msg)
		return time.Since(t)
	}
	call(h.server, ours) // fills the connector cache
	var o, e []time.Duration
	for b.Loop() {
		o, e = append(o, call(h.server, ours)), append(e, call(echo, floor))
	}
	b.ReportMetric(float64(median(o).Nanoseconds())/1000, "ours-µs")
	b.ReportMetric(float64(median(e).Nanoseconds())/1000, "echo-µs")
	b.ReportMetric(float64(median(o))/float64(median(e)), "ratio")
}

// BenchmarkStdioGetConnection is BenchmarkServerGetConnection with the
// answer encoded as the stdio transport writes it.
func BenchmarkStdioGetConnection(b *testing.B) {
	h, _, user, conn := benchHarness(b)
	msg := []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_connection","arguments":{"user_id":"` + user + `","connection_id":"` + conn + `"}}}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := stdio.Encode(h.server.HandleMessage(context.Background(), msg)); err != nil {
			b.Fatal(err)
		}
	}
}
