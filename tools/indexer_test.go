package tools_test

import (
	"context"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/tools"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestIndexerFillsTriageAtItsPace: the background indexer keeps every
// customer's triage, so a queue then costs Basiq only the user list; it
// never goes faster than its pace; and of two indexers on one store (two
// processes), one leads: one pass, two reads a customer.
func TestIndexerFillsTriageAtItsPace(t *testing.T) {
	h := newHarness(t, tools.Options{})
	h.deps.TriageMaxAge = time.Hour
	users, _, err := h.deps.Client.AllUsers(context.Background(), 1000)
	require.NoError(t, err)
	reads := func() int {
		return h.sim.Calls("GET /users/{userId}/connections") + h.sim.Calls("GET /users/{userId}/accounts")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const pace = 400.0 // requests a second: high, for the test
	began := time.Now()
	done := make(chan struct{}, 2)
	for range 2 {
		go func() { tools.RunIndexer(ctx, h.deps, tools.Pace{Budget: pace, Share: 1}, 0); done <- struct{}{} }()
	}
	require.Eventually(t, func() bool { return reads() >= 2*len(users) }, 20*time.Second, 10*time.Millisecond, "the indexer reads every customer")
	elapsed := time.Since(began).Seconds()
	time.Sleep(200 * time.Millisecond) // a second indexer, or a second pass, would read more
	assert.Equal(t, 2*len(users), reads(), "one pass by the leader alone: two reads a customer, and fresh ones are not read again")
	assert.LessOrEqual(t, float64(2*len(users)), pace*elapsed+2, "never faster than its pace")

	var out queueOut
	h.ok(t, "support_queue", obj{"limit": 100}, &out)
	assert.Equal(t, 2*len(users), reads(), "the queue answers from the kept triage")
	assert.NotEmpty(t, out.Rows)
	assert.Equal(t, len(users), out.Index.Read, "every customer is in the index")
	cancel()
	<-done
	<-done
}

// TestIndexerLeavesCallersTheirReads: while callers use most of the read
// budget, the scan takes only what they leave, however large its share.
func TestIndexerLeavesCallersTheirReads(t *testing.T) {
	h := newHarness(t, tools.Options{})
	h.deps.TriageMaxAge = time.Hour
	customers := func() int { return h.sim.Calls("GET /users/{userId}/connections") }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	// 400 a second, of which callers use 360: 40 are left, ten customers.
	pace := tools.Pace{Budget: 400, Share: 1, Others: func() float64 { return 360 }}
	began := time.Now()
	go func() { tools.RunIndexer(ctx, h.deps, pace, 0); close(done) }()
	time.Sleep(500 * time.Millisecond)
	read, elapsed := customers(), time.Since(began).Seconds()
	cancel()
	<-done
	require.Positive(t, read, "the scan still runs")
	assert.LessOrEqual(t, float64(read), 10*elapsed+1, "ten customers a second at most (at its share alone it reads all 34 in a tenth of a second)")
}

// TestReadMeterCountsCallersReads: the meter counts the callers' reads,
// not refreshes or tokens, at their rate from their first request.
func TestReadMeterCountsCallersReads(t *testing.T) {
	m := tools.NewReadMeter()
	ctx := context.Background()
	for range 8 {
		m.Observe(ctx, basiq.Exchange{Method: "GET", Route: "/users/{id}/accounts"})
	}
	m.Observe(ctx, basiq.Exchange{Method: "POST", Route: "/users/{id}/connections/{id}/refresh"})
	m.Observe(ctx, basiq.Exchange{Method: "POST", Route: "/token"})
	assert.InDelta(t, 8, m.Rate(), 0.01, "eight reads within the first second")
	assert.InDelta(t, 2, tools.Pace{Budget: 10, Share: 0.4, Others: m.Rate}.Rate(), 0.01, "the scan takes what is left")
	assert.InDelta(t, 4, tools.Pace{Budget: 10, Share: 0.4}.Rate(), 0.01, "its share when nobody reads")
}
