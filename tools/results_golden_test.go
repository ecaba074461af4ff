package tools_test

import (
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq/basiqtest"
	"github.com/basiq-mcp/basiq-mcp/testdata/mcptest"
	"github.com/basiq-mcp/basiq-mcp/tools"
	"github.com/stretchr/testify/require"
)

// TestRepresentativeResultsGolden keeps what a model reads from a few
// representative calls in testdata/results.golden.json, so that a change to
// a view shows up in review as the change in the model's text. The
// simulator runs on a fixed clock and seed, so the results are the same on
// every run.
func TestRepresentativeResultsGolden(t *testing.T) {
	fixed := time.Date(2026, 3, 2, 23, 0, 0, 0, time.UTC)
	h := newHarness(t, tools.Options{}, basiqtest.WithClock(func() time.Time { return fixed }))
	conns := h.sim.Connections()
	var failed basiqtest.SeededConnection
	for _, c := range conns {
		if c.FailCode == "invalid-credentials" {
			failed = c
			break
		}
	}
	require.NotEmpty(t, failed.ConnectionID)
	var jobs struct{ Jobs []tools.JobView }
	h.ok(t, "list_user_jobs", obj{"user_id": failed.UserID, "connection_id": failed.ConnectionID}, &jobs)
	require.NotEmpty(t, jobs.Jobs)
	cases := []struct {
		name string
		tool string
		args obj
	}{
		{"get_user", "get_user", obj{"user_id": conns[0].UserID}},
		{"list_connections", "list_connections", obj{"user_id": conns[0].UserID}},
		{"list_accounts", "list_accounts", obj{"user_id": conns[0].UserID}},
		{"list_transactions, 5 rows", "list_transactions", obj{"user_id": conns[0].UserID, "limit": 5}},
		{"get_job, a failed refresh", "get_job", obj{"job_id": jobs.Jobs[0].ID}},
		{"check_connector_status, an outage", "check_connector_status", obj{"connector_id": "AU00006"}},
		{"refresh_connection, dry run", "refresh_connection", obj{"user_id": conns[0].UserID, "connection_id": conns[0].ConnectionID, "dry_run": true}},
	}
	var got []map[string]any
	for _, c := range cases {
		res := h.call(t, c.tool, c.args)
		var v any
		require.NoError(t, json.Unmarshal([]byte(text(res)), &v), c.name)
		if m, ok := v.(map[string]any); ok && m["next_cursor"] != nil {
			m["next_cursor"] = "(opaque: it holds the simulator's random port)"
		}
		got = append(got, map[string]any{"name": c.name, "is_error": res.IsError, "result": v})
	}
	mcptest.Golden(t, filepath.Join("..", "testdata", "results.golden.json"), got, *update, "go test ./tools -update")
}
