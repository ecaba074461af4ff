package tools_test

import (
	"runtime"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq/basiqtest"
	"github.com/basiq-mcp/basiq-mcp/tools"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUpstreamFaultsAreBoundedNeverDuplicateWritesAndLeakNothing(t *testing.T) {
	h := newHarness(t, tools.Options{})
	conns := h.sim.Connections()
	user := conns[0].UserID
	var warm struct{ Accounts []tools.AccountView }
	h.ok(t, "list_accounts", obj{"user_id": user}, &warm)
	baseline := runtime.NumGoroutine()

	faults := []struct {
		name  string
		fault basiqtest.Fault
		want  string
	}{
		{"429", basiqtest.Fault{Kind: basiqtest.FaultStatus, Status: 429, RetryAfter: 30 * time.Second}, "Retry after 30 s"},
		{"500", basiqtest.Fault{Kind: basiqtest.FaultStatus, Status: 500}, "temporarily unavailable"},
		{"502", basiqtest.Fault{Kind: basiqtest.FaultStatus, Status: 502}, "temporarily unavailable"},
		{"503", basiqtest.Fault{Kind: basiqtest.FaultStatus, Status: 503}, "temporarily unavailable"},
		{"504", basiqtest.Fault{Kind: basiqtest.FaultStatus, Status: 504}, "temporarily unavailable"},
		{"malformed", basiqtest.Fault{Kind: basiqtest.FaultMalformed}, "malformed response body"},
		{"dropped", basiqtest.Fault{Kind: basiqtest.FaultDrop}, "could not be reached"},
	}
	for i, f := range faults {
		// Reads: bounded retries (the harness allows 2 attempts), then a clear error.
		f.fault.Path = "/users/" + user + "/accounts"
		h.sim.InjectFault(f.fault)
		before := h.sim.Calls("GET /users/{userId}/accounts")
		msg := h.fail(t, "list_accounts", obj{"user_id": user})
		assert.Contains(t, msg, f.want, f.name)
		// Two attempts; net/http may also replay a GET once when a reused
		// connection drops (it never replays a POST).
		bound := 2
		if f.name == "dropped" {
			bound = 4
		}
		assert.LessOrEqual(t, h.sim.Calls("GET /users/{userId}/accounts")-before, bound, "%s: retries are bounded", f.name)
		h.sim.ClearFaults()

		// Writes: never issued twice because of a retry.
		f.fault.Path, f.fault.Method = "/users", "POST"
		h.sim.InjectFault(f.fault)
		creates := h.sim.Calls("POST /users")
		h.fail(t, "create_user", obj{"email": "fault@example.com"})
		assert.Equal(t, 1, h.sim.Calls("POST /users")-creates, "%s: a create reaches Basiq once", f.name)
		c := conns[2+i*3]
		refreshes := h.sim.RefreshRequests(c.ConnectionID)
		h.call(t, "refresh_connection", obj{"user_id": c.UserID, "connection_id": c.ConnectionID})
		assert.LessOrEqual(t, h.sim.RefreshRequests(c.ConnectionID)-refreshes, 1, "%s: a refresh reaches Basiq at most once", f.name)
		h.sim.ClearFaults()
		h.ok(t, "list_accounts", obj{"user_id": user}, &warm) // Basiq is back: the breaker resets
	}

	// Token expiry is renewed transparently; slow answers just take longer.
	h.sim.InjectFault(basiqtest.Fault{Kind: basiqtest.FaultExpireToken, Times: 1})
	h.ok(t, "list_accounts", obj{"user_id": user}, &warm)
	h.sim.InjectFault(basiqtest.Fault{Kind: basiqtest.FaultLatency, Latency: 50 * time.Millisecond, Times: 1})
	began := time.Now()
	h.ok(t, "list_accounts", obj{"user_id": user}, &warm)
	assert.GreaterOrEqual(t, time.Since(began), 50*time.Millisecond)

	// A dead upstream fails fast once the breaker opens.
	h.sim.InjectFault(basiqtest.Fault{Kind: basiqtest.FaultStatus, Status: 503})
	var last string
	for range 7 {
		last = h.fail(t, "list_accounts", obj{"user_id": user})
	}
	assert.Contains(t, last, "Basiq is not answering")
	h.sim.ClearFaults()

	require.Eventually(t, func() bool { return runtime.NumGoroutine() <= baseline+5 }, 5*time.Second, 50*time.Millisecond,
		"goroutines are back to %d (now %d)", baseline, runtime.NumGoroutine())
}
