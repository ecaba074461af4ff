package tools_test

import (
	"testing"

	"github.com/basiq-mcp/basiq-mcp/basiq/basiqtest"
	"github.com/basiq-mcp/basiq-mcp/tools"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type diagnosis struct {
	Verdict     string
	NextStep    string `json:"next_step"`
	Connections []struct {
		ID      string
		Verdict string
		Refresh string
	}
}

// TestDiagnoseInOneCall: one call says why a connection is not updating.
func TestDiagnoseInOneCall(t *testing.T) {
	h := newHarness(t, tools.Options{})
	pick := func(match func(basiqtest.SeededConnection) bool) basiqtest.SeededConnection {
		for _, c := range h.sim.Connections() {
			if match(c) {
				return c
			}
		}
		t.Fatal("no such connection")
		return basiqtest.SeededConnection{}
	}
	cases := []struct {
		name    string
		conn    basiqtest.SeededConnection
		verdict string
		step    string
	}{
		{"locked account", pick(func(c basiqtest.SeededConnection) bool { return c.FailCode == "invalid-credentials" }), "customer-must-act", "create_auth_link"},
		{"bank outage", pick(func(c basiqtest.SeededConnection) bool { return c.InstitutionID == "AU00006" }), "bank-problem", "the bank"},
	}
	for _, c := range cases {
		var out diagnosis
		h.okValid(t, "diagnose_connection", obj{"user_id": c.conn.UserID, "connection_id": c.conn.ConnectionID}, &out)
		require.Len(t, out.Connections, 1, c.name)
		assert.Equal(t, c.verdict, out.Verdict, c.name)
		assert.Contains(t, out.NextStep, c.step, c.name)
	}
	var all diagnosis
	h.okValid(t, "diagnose_connection", obj{"user_id": cases[0].conn.UserID}, &all)
	assert.NotEmpty(t, all.Connections)
	assert.Zero(t, h.sim.RefreshRequests(cases[0].conn.ConnectionID), "a diagnosis sends nothing")
}
