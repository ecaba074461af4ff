package tools_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/basiq-mcp/basiq-mcp/tools"
	"github.com/basiq-mcp/basiq-mcp/tools/stdio"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDirectCallsAnswerAsTheServerDoes sends each call twice over stdio:
// plainly, which the transport runs itself for a read-only tool, and with
// an empty _meta, which leaves it to mcp-go. The two answers must be the
// same bytes, for every read-only tool, for bad arguments, for tools the
// transport must not run itself, and for ids of both kinds.
func TestDirectCallsAnswerAsTheServerDoes(t *testing.T) {
	var direct atomic.Int32 // calls that reached a handler without mcp-go's context
	seen := func(next server.ToolHandlerFunc) server.ToolHandlerFunc {
		return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			if server.ServerFromContext(ctx) == nil {
				direct.Add(1)
			}
			return next(ctx, req)
		}
	}
	h := newHarness(t, tools.Options{Wrap: []server.ToolHandlerMiddleware{seen}})
	c := h.sim.Connections()[0]
	u, conn := c.UserID, c.ConnectionID
	calls := []string{
		`"support_queue","arguments":{}`, `"list_users","arguments":{"limit":3}`,
		`"get_user","arguments":{"user_id":"` + u + `"}`, `"get_auth_link","arguments":{"user_id":"` + u + `"}`,
		`"list_connections","arguments":{"user_id":"` + u + `"}`, `"diagnose_connection","arguments":{"user_id":"` + u + `"}`,
		`"get_connection","arguments":{"user_id":"` + u + `","connection_id":"` + conn + `"}`,
		`"get_job","arguments":{"job_id":"no-such-job"}`, `"list_user_jobs","arguments":{"user_id":"` + u + `"}`,
		`"list_connectors","arguments":{"country":"Australia"}`, `"check_connector_status","arguments":{"connector_id":"AU00000"}`,
		`"list_accounts","arguments":{"user_id":"` + u + `"}`, `"list_transactions","arguments":{"user_id":"` + u + `","limit":5}`,
		`"list_transactions","arguments":{"user_id":"` + u + `","by_category":true}`,
		`"get_transaction","arguments":{"user_id":"` + u + `","transaction_id":"nope"}`, `"list_report_types"`,
		`"get_report","arguments":{"report_id":"nope"}`, `"list_reports","arguments":{}`,
		`"list_consents","arguments":{"user_id":"` + u + `"}`, `"search_docs","arguments":{"query":"refresh limit"}`,
		`"get_user","arguments":{"user_id":"bad id!"}`, `"get_user","arguments":{"user_id":5}`,
		`"get_user","arguments":{"uid":"x"}`, `"get_user"`, `"no_such_tool","arguments":{}`,
		`"list_transactions","arguments":{"user_id":"` + u + `","limit":1.0}`,
		`"refresh_connection","arguments":{"user_id":"` + u + `","connection_id":"` + conn + `","dry_run":true}`,
	}
	send := stdioSession(t, h.server, h.deps.DirectTool(h.server))
	for i, call := range calls {
		for _, id := range []string{fmt.Sprint(100 + i), fmt.Sprintf(`"s%d"`, 100+i)} {
			plain := send(`{"jsonrpc":"2.0","id":` + id + `,"method":"tools/call","params":{"name":` + call + `}}`)
			viaServer := send(`{"jsonrpc":"2.0","id":` + id + `,"method":"tools/call","params":{"name":` + call + `,"_meta":{}}}`)
			assert.Equal(t, volatile.ReplaceAllString(viaServer, "…"), volatile.ReplaceAllString(plain, "…"), "call %s, id %s", call, id)
		}
	}
	// Every plain call but two (a tool that does not exist, a write) ran
	// without mcp-go; no call with _meta did.
	assert.Equal(t, 2*(len(calls)-2), int(direct.Load()), "calls run directly")
}

// volatile is what may differ between two answers of the same call:
// Basiq's correlation id for each request, and times read off the clock.
var volatile = regexp.MustCompile(`correlationId [0-9a-f-]{36}|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`)

// stdioSession serves s over pipes, initialized, and returns a function
// that sends one line and returns the one answer to it.
func stdioSession(t testing.TB, s *server.MCPServer, direct stdio.DirectTool) func(string) string {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- stdio.Serve(context.Background(), s, inR, outW, slog.New(slog.DiscardHandler), direct) }()
	t.Cleanup(func() { inW.Close(); <-done; outW.Close() })
	r := bufio.NewReaderSize(outR, 1<<20)
	send := func(line string) string {
		_, err := io.WriteString(inW, line+"\n")
		require.NoError(t, err)
		got, err := r.ReadString('\n')
		require.NoError(t, err)
		return strings.TrimSpace(got)
	}
	send(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`)
	_, err := io.WriteString(inW, `{"jsonrpc":"2.0","method":"notifications/initialized"}`+"\n")
	require.NoError(t, err)
	return send
}
