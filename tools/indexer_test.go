package tools_test

import (
	"context"
	"testing"
	"time"

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
		go func() { tools.RunIndexer(ctx, h.deps, pace, 0); done <- struct{}{} }()
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
