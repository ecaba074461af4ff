package tools_test

import (
	"context"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq/basiqtest"
	"github.com/basiq-mcp/basiq-mcp/testdata/mcptest"
	"github.com/basiq-mcp/basiq-mcp/tools"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// truth is the support queue the simulator's own state calls for, keyed
// "user reason object", worked out without the server's code: each
// connection by its newest job and status, each consent by its status and
// expiry, a bank's failures as its outage.
func truth(sim *basiqtest.Server, window time.Duration) map[string]bool {
	out := map[string]bool{}
	now := time.Now()
	outage := func(bank string) bool {
		s := sim.ConnectorStatus(bank)
		return s == "partial-outage" || s == "major-outage"
	}
	for _, c := range sim.Connections() {
		reason := ""
		switch {
		case c.LastJobState == "waiting-for-code":
			reason = "waiting-for-code"
		case c.Status == "invalid":
			reason = "connection-invalid"
		case c.LastJobState == "failed":
			reason = "refresh-failed"
		case c.Expiry.Sub(now) < window:
			reason = "connection-expiring"
		}
		if (reason == "connection-invalid" || reason == "refresh-failed") && outage(c.InstitutionID) {
			reason = "bank-outage"
		}
		if reason != "" {
			out[c.UserID+" "+reason+" "+c.ConnectionID] = true
		}
	}
	for _, k := range sim.Consents() {
		switch {
		case k.Status == "revoked" || k.Status == "expired":
			out[k.UserID+" consent-"+k.Status+" "+k.ConsentID] = true
		case k.Expiry.Sub(now) < window:
			out[k.UserID+" consent-expiring "+k.ConsentID] = true
		}
	}
	return out
}

// TestQueueMatchesTheSimulatorAtTwoThousandCustomers: once the background
// scan has read 2,000 customers, the support queue holds exactly the rows
// the simulator's state calls for, every reason among them, and a call
// costs Basiq at most 5 requests. Under the race detector, which makes the
// simulator's data several times slower to build, it looks at 300 (.ci/run
// runs the 2,000 without it).
func TestQueueMatchesTheSimulatorAtTwoThousandCustomers(t *testing.T) {
	t.Parallel()
	customers := 2000
	if raceDetector {
		customers = 300
	}
	h := newHarness(t, tools.Options{}, basiqtest.WithUsers(customers), basiqtest.WithTimeScale(1))
	h.deps.TriageMaxAge = time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { tools.RunIndexer(ctx, h.deps, tools.Pace{Budget: 20000, Share: 1}, 0); close(done) }()
	require.Eventually(t, func() bool { return h.sim.Calls("GET /users/{userId}/accounts") >= customers }, 90*time.Second, 50*time.Millisecond,
		"the scan reads every customer")
	time.Sleep(50 * time.Millisecond) // the last one's triage is recorded
	cancel()
	<-done

	want := truth(h.sim, 30*24*time.Hour)
	got := map[string]bool{}
	reasons := map[string]int{}
	args := obj{"within_days": 30, "limit": 100}
	for page := 0; ; page++ {
		before := mcptest.QueueRequests(h.sim)
		var out queueOut
		h.okValid(t, "support_queue", args, &out)
		cost := mcptest.QueueRequests(h.sim) - before
		assert.LessOrEqual(t, cost, 5, "page %d cost Basiq %d requests", page, cost)
		if page == 0 {
			assert.Equal(t, customers, out.Index.Read)
			assert.Zero(t, out.Index.NotYetRead)
			t.Logf("queue at %d customers: %d rows, %v; first page cost %d Basiq requests", customers, out.Total, out.ByReason, cost)
		}
		for _, r := range out.Rows {
			got[r.UserID+" "+r.Reason+" "+r.ConnectionID+r.ConsentID] = true
			reasons[r.Reason]++
		}
		if out.NextCursor == "" {
			break
		}
		args["cursor"] = out.NextCursor
	}
	assert.Equal(t, want, got, "the queue is the simulator's state")
	for _, r := range []string{"waiting-for-code", "connection-invalid", "consent-revoked", "refresh-failed", "consent-expiring", "bank-outage"} {
		assert.Positive(t, reasons[r], "the mix at %d customers has %s", customers, r)
	}
}
