package tools_test

import (
	"slices"
	"testing"

	"github.com/basiq-mcp/basiq-mcp/tools"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBulkRefusalSaysWhatTheIndexKnows: a bulk refusal reads the customer
// index: it names why a customer in the support queue is there, and says
// so when the index holds nothing that needs them.
func TestBulkRefusalSaysWhatTheIndexKnows(t *testing.T) {
	h := newHarness(t, tools.Options{})
	var q queueOut
	h.ok(t, "support_queue", obj{"limit": 100}, &q)
	queued := map[string]string{}
	for _, r := range q.Rows {
		if r.ConnectionID != "" && queued[r.UserID] == "" {
			queued[r.UserID] = r.ConnectionID
		}
	}
	var calm []obj
	var troubled obj
	for _, c := range h.sim.Connections() {
		switch {
		case queued[c.UserID] == c.ConnectionID && troubled == nil:
			troubled = obj{"user_id": c.UserID, "connection_id": c.ConnectionID}
		case queued[c.UserID] == "" && c.Status == "active" && len(calm) < 4 && !slices.ContainsFunc(calm, func(o obj) bool { return o["user_id"] == c.UserID }):
			calm = append(calm, obj{"user_id": c.UserID, "connection_id": c.ConnectionID})
		}
	}
	require.Len(t, calm, 4)
	require.NotNil(t, troubled)
	for _, args := range calm[:3] {
		h.call(t, "refresh_connection", args)
	}
	msg := text(h.call(t, "refresh_connection", troubled))
	assert.Contains(t, msg, "bulk refresh")
	assert.Contains(t, msg, "has this customer in the support queue for: "+troubled["connection_id"].(string))
	msg = text(h.call(t, "refresh_connection", calm[3]))
	assert.Contains(t, msg, "bulk refresh")
	assert.Contains(t, msg, "shows nothing about this customer that needs anyone")
}
