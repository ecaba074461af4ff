package tools_test

import (
	"context"
	"fmt"
	"math"
	"net/http/httptest"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/tools"
	"github.com/basiq-mcp/basiq-mcp/tools/guard"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLoadManySessions runs concurrent sessions of mixed calls over
// streamable HTTP on loopback. BASIQ_MCP_LOAD_FULL=1 runs the full 100 x 100
// (CI does, without the race detector); by default a smaller run keeps
// go test -race quick.
func TestLoadManySessions(t *testing.T) {
	sessions, perSession := 40, 25
	if os.Getenv("BASIQ_MCP_LOAD_FULL") == "1" {
		sessions, perSession = 100, 100
	}
	h := newHarness(t, tools.Options{})
	conns := h.sim.Connections()
	streamable := server.NewStreamableHTTPServer(h.server, server.WithSessionIdleTTL(time.Minute))
	ts := httptest.NewServer(streamable)
	defer ts.Close()
	heap := func() uint64 {
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	// The in-process simulator generates each connection's history on first
	// use: warm it, so the baseline measures the server, not the fake bank.
	for _, c := range conns {
		h.deps.Client.ListTransactions(context.Background(), c.UserID, basiq.ListTransactionsOptions{PageOptions: basiq.PageOptions{Limit: 1}})
	}
	before := heap()
	began := time.Now()
	var protocolErrors, toolErrors, calls atomic.Int64
	var wg sync.WaitGroup
	for s := range sessions {
		wg.Go(func() {
			c, err := client.NewStreamableHttpClient(ts.URL)
			if err != nil {
				protocolErrors.Add(1)
				return
			}
			defer c.Close()
			ctx := context.Background()
			init := mcp.InitializeRequest{}
			init.Params.ProtocolVersion = "2025-11-25"
			init.Params.ClientInfo = mcp.Implementation{Name: fmt.Sprint("load-", s), Version: "1"}
			if err := c.Start(ctx); err != nil {
				protocolErrors.Add(1)
				return
			}
			if _, err := c.Initialize(ctx, init); err != nil {
				protocolErrors.Add(1)
				return
			}
			for i := range perSession {
				cn := conns[(s*perSession+i)%len(conns)]
				name, args := mixedCall(i, cn.UserID, cn.ConnectionID)
				req := mcp.CallToolRequest{}
				req.Params.Name, req.Params.Arguments = name, args
				res, err := c.CallTool(ctx, req)
				calls.Add(1)
				switch {
				case err != nil:
					protocolErrors.Add(1)
				case res.IsError && name != "refresh_connection":
					toolErrors.Add(1)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(began)
	assert.Equal(t, int64(sessions*perSession), calls.Load())
	assert.Zero(t, protocolErrors.Load(), "protocol errors")
	assert.Zero(t, toolErrors.Load(), "tool errors outside refresh refusals")

	p := guard.DefaultPolicy()
	allowed := p.BudgetBurst + int(math.Ceil(elapsed.Minutes()*p.BudgetPerMinute))
	sent := 0
	for _, c := range conns {
		n := h.sim.RefreshRequests(c.ConnectionID)
		require.LessOrEqual(t, n, 1, "one refresh per connection at most (cooldown)")
		sent += n
	}
	assert.LessOrEqual(t, sent, allowed, "the server-wide refresh budget held")
	after := heap()
	t.Logf("%d calls over %d sessions in %s (%.0f calls/s); %d refreshes reached Basiq (budget %d); heap %d KiB -> %d KiB",
		calls.Load(), sessions, elapsed.Round(time.Millisecond), float64(calls.Load())/elapsed.Seconds(), sent, allowed, before>>10, after>>10)
	assert.Less(t, after, before+8<<20, "memory returns near its baseline after the sessions close")
}

// mixedCall picks the i-th call of a session: mostly reads, some refreshes.
func mixedCall(i int, user, conn string) (string, map[string]any) {
	switch i % 10 {
	case 0:
		return "list_users", obj{"limit": 5}
	case 1:
		return "get_user", obj{"user_id": user}
	case 2:
		return "list_connections", obj{"user_id": user}
	case 3:
		return "list_accounts", obj{"user_id": user}
	case 4:
		return "list_transactions", obj{"user_id": user, "limit": 20}
	case 5:
		return "check_connector_status", obj{"connector_id": "AU00000"}
	case 6:
		return "refresh_connection", obj{"user_id": user, "connection_id": conn}
	case 7:
		return "list_user_jobs", obj{"user_id": user, "connection_id": conn}
	case 8:
		return "search_docs", obj{"query": "refresh"}
	}
	return "get_connection", obj{"user_id": user, "connection_id": conn}
}
