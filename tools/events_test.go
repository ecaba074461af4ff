package tools_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq/basiqtest"
	"github.com/basiq-mcp/basiq-mcp/testdata/mcptest"
	"github.com/basiq-mcp/basiq-mcp/tools"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// simControl calls one of the simulator's test controls with the
// harness's key, and a JSON body if one is given.
func simControl(t *testing.T, sim *basiqtest.Server, path string, body ...string) {
	t.Helper()
	require.NoError(t, mcptest.SimControl(sim.URL, harnessKey, path, body...))
}

// TestEventPollerKeepsTriageHonest: where no webhook reaches, polling
// Basiq's events writes what each says into the index (the next queue shows
// a connection gone invalid without a Basiq request), marks that customer
// for the scan to read first, and a restarted poller resumes from its
// bookmark in the store, taking nothing up twice.
func TestEventPollerKeepsTriageHonest(t *testing.T) {
	h := newHarness(t, tools.Options{})
	h.deps.TriageMaxAge = time.Hour
	var heard atomic.Int32
	h.deps.CustomerChanged = func(string) { heard.Add(1) }
	reads := func() int { return h.sim.Calls("GET /users/{userId}/connections") }
	queue := func() queueOut {
		var out queueOut
		h.ok(t, "support_queue", obj{"limit": 100}, &out)
		return out
	}
	stopped := make(chan struct{}, 2)
	poll := func(ctx context.Context) {
		tools.PollEvents(ctx, h.deps, 20*time.Millisecond, 0)
		stopped <- struct{}{}
	}
	ctx, cancel := context.WithCancel(context.Background())
	go poll(ctx)
	require.Eventually(t, func() bool { b, err := h.deps.Users.Bookmark("events"); return err == nil && !b.At.IsZero() },
		5*time.Second, 10*time.Millisecond, "the first poll sets its bookmark")
	time.Sleep(100 * time.Millisecond)
	queue() // fills every customer's triage, after the first poll's catch-up
	settled := reads()
	queue()
	require.Equal(t, settled, reads(), "kept")

	var target basiqtest.SeededConnection
	for _, c := range h.sim.Connections() {
		if c.Status == "active" && c.FailCode == "" {
			target = c
			break
		}
	}
	invalid := func(out queueOut) bool {
		for _, r := range out.Rows {
			if r.ConnectionID == target.ConnectionID && r.Reason == "connection-invalid" {
				return true
			}
		}
		return false
	}
	require.False(t, invalid(queue()))
	simControl(t, h.sim, "/_sim/connections/"+target.ConnectionID+"/invalidate")
	require.Eventually(t, func() bool { return invalid(queue()) }, 5*time.Second, 30*time.Millisecond,
		"the queue shows what the event said")
	assert.Equal(t, settled, reads(), "without reading the customer from Basiq")
	kept, ok := h.deps.Users.KeptTriage(target.UserID)
	require.True(t, ok)
	assert.True(t, kept.Unsettled(), "the failure code is not in the event: the scan reads the customer first")
	cancel()
	<-stopped // it released its lease

	before := heard.Load()
	ctx2, cancel2 := context.WithCancel(context.Background())
	go poll(ctx2) // a restarted process: same store, new poller
	defer func() { cancel2(); <-stopped }()
	time.Sleep(150 * time.Millisecond)
	assert.Equal(t, before, heard.Load(), "the restarted poller took nothing up twice")
}
