package tools_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/basiq-mcp/basiq-mcp/basiq/basiqtest"
	"github.com/basiq-mcp/basiq-mcp/tools"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAuditTiesOutcomesToAttempts: a write's attempt line and its outcome
// carry one attempt id; for a keyed create it is derived from the key, so
// a retry's replay repeats it, and the replay names the customer it made.
func TestAuditTiesOutcomesToAttempts(t *testing.T) {
	t.Parallel()
	h := newHarness(t, tools.Options{})
	args := obj{"email": "attempts@example.com", "mobile": "+61400999111", "idempotency_key": "attempt-key-1"}
	var user struct{ ID string }
	h.ok(t, "create_user", args, &user)
	h.ok(t, "create_user", args, &user)
	var target basiqtest.SeededConnection
	for _, c := range h.sim.Connections() {
		if c.Status == "active" && c.LastJobState == "succeeded" {
			target = c
			break
		}
	}
	h.ok(t, "refresh_connection", obj{"user_id": target.UserID, "connection_id": target.ConnectionID}, &struct{}{})

	byAttempt := map[string][]map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(h.audit.String()), "\n") {
		var e map[string]string
		require.NoError(t, json.Unmarshal([]byte(line), &e), line)
		if e["attempt"] != "" {
			byAttempt[e["attempt"]] = append(byAttempt[e["attempt"]], e)
		}
	}
	var create, refresh []map[string]string
	for id, lines := range byAttempt {
		switch lines[0]["tool"] {
		case "create_user":
			assert.True(t, strings.HasPrefix(id, "k-"), "a keyed create's attempt comes from its key")
			create = lines
		case "refresh_connection":
			refresh = lines
		}
	}
	require.Len(t, create, 3, "attempt, created, replayed: %v", create)
	assert.Equal(t, []string{"attempt", "created", "replayed"}, []string{create[0]["decision"], create[1]["decision"], create[2]["decision"]})
	assert.Equal(t, user.ID, create[1]["userId"])
	assert.Equal(t, user.ID, create[2]["userId"], "the replay names what the first attempt made")
	require.Len(t, refresh, 2, "attempt and outcome: %v", refresh)
	assert.Equal(t, "attempt", refresh[0]["decision"])
	assert.Equal(t, "refreshed", refresh[1]["decision"])
}
