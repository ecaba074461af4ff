package tools_test

import (
	"context"
	"math"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq/basiqtest"
	"github.com/basiq-mcp/basiq-mcp/tools"
	"github.com/basiq-mcp/basiq-mcp/tools/guard"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestModelLoopCannotBulkRefresh plays an agent that loops over every
// connection of 100 users, 1,000 refresh calls in all, and counts what
// reached Basiq.
func TestModelLoopCannotBulkRefresh(t *testing.T) {
	h := newHarness(t, tools.Options{}, basiqtest.WithUsers(100))
	conns := h.sim.Connections()
	require.GreaterOrEqual(t, len(conns), 190)
	began := time.Now()
	refused := 0
	for i := range 1000 {
		c := conns[i%len(conns)]
		if h.call(t, "refresh_connection", obj{"user_id": c.UserID, "connection_id": c.ConnectionID}).IsError {
			refused++
		}
	}
	elapsed := time.Since(began)
	p := guard.DefaultPolicy()
	allowed := p.BudgetBurst + int(math.Ceil(elapsed.Minutes()*p.BudgetPerMinute))
	sent := 0
	for _, c := range conns {
		n := h.sim.RefreshRequests(c.ConnectionID)
		assert.LessOrEqual(t, n, 1, "connection %s refreshed more than once", c.ConnectionID)
		sent += n
	}
	t.Logf("1000 calls in %s: %d refreshes reached Basiq (budget allows %d), %d refused", elapsed.Round(time.Millisecond), sent, allowed, refused)
	assert.Positive(t, sent, "eligible connections were refreshed")
	assert.LessOrEqual(t, sent, allowed, "the server-wide budget holds")
	assert.GreaterOrEqual(t, refused, 1000-allowed)
}

func TestConcurrentDuplicateRefreshesThroughMCP(t *testing.T) {
	h := newHarness(t, tools.Options{}, basiqtest.WithTimeScale(1))
	c := h.sim.Connections()[0]
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() { h.call(t, "refresh_connection", obj{"user_id": c.UserID, "connection_id": c.ConnectionID}) })
	}
	wg.Wait()
	assert.Equal(t, 1, h.sim.RefreshRequests(c.ConnectionID))
}

func TestRestartKeepsCaps(t *testing.T) {
	state := filepath.Join(t.TempDir(), "guard.db")
	p := guard.DefaultPolicy()
	p.Cooldown, p.DailyCapWeb = 0, 2
	h := newGuardedHarness(t, tools.Options{}, p, state)
	c := h.sim.Connections()[0]
	args := obj{"user_id": c.UserID, "connection_id": c.ConnectionID}
	for range 2 {
		var r struct{ Decision tools.DecisionView }
		h.ok(t, "refresh_connection", args, &r)
		var w waitedJob
		h.ok(t, "get_job", obj{"job_id": r.Decision.JobID, "wait_seconds": 60}, &w)
	}
	assert.Contains(t, h.fail(t, "refresh_connection", args), "daily cap of 2")

	restarted := newGuardedHarness(t, tools.Options{}, p, state) // a new process on the same state file
	msg := restarted.fail(t, "refresh_connection", args)
	assert.Contains(t, msg, "daily cap of 2")
	assert.Contains(t, msg, "It will be allowed from")
	assert.Zero(t, restarted.sim.RefreshRequests(c.ConnectionID), "nothing reached Basiq after the restart")
}

func TestOutageRefusalsCarryAReasonAndATime(t *testing.T) {
	h := newHarness(t, tools.Options{})
	for _, c := range h.sim.Connections() {
		if c.InstitutionID == "AU00006" {
			msg := h.fail(t, "refresh_connection", obj{"user_id": c.UserID, "connection_id": c.ConnectionID})
			assert.Contains(t, msg, "Refresh deferred: institution AU00006 is in a major outage; retry in 1 to 3 hours.")
			assert.Regexp(t, `It will be allowed from \d{4}-\d\d-\d\dT`, msg)
			return
		}
	}
	t.Fatal("no connection on AU00006")
}

func TestRefreshAllIsPerConnectionAndHasADryRun(t *testing.T) {
	h := newHarness(t, tools.Options{})
	var user string
	for _, c := range h.sim.Connections() {
		if c.InstitutionID == "AU00006" { // a user with one connection in an outage
			user = c.UserID
		}
	}
	var plan struct {
		Decisions          []tools.DecisionView
		Refreshed, Skipped int
	}
	h.okValid(t, "refresh_all_connections", obj{"user_id": user, "dry_run": true}, &plan)
	require.NotEmpty(t, plan.Decisions)
	assert.Positive(t, plan.Skipped, "the outage connection is skipped with its reason")
	for _, d := range plan.Decisions {
		assert.NotEmpty(t, d.Reason)
		assert.Zero(t, h.sim.RefreshRequests(d.ConnectionID), "a dry run sends nothing")
	}
	assert.Zero(t, h.sim.Calls("POST /users/{userId}/connections/refresh"), "Basiq's refresh-all is never used")
}

func TestConfirmationIsUselessOnAServerWithoutDestructiveTools(t *testing.T) {
	state := filepath.Join(t.TempDir(), "guard.db")
	allowed := newGuardedHarness(t, tools.Options{AllowDestructive: true}, guard.DefaultPolicy(), state)
	c := allowed.sim.Connections()[0]
	var preview struct {
		Token string `json:"confirmation_token"`
	}
	allowed.ok(t, "purge_connection", obj{"user_id": c.UserID, "connection_id": c.ConnectionID}, &preview)
	for opts, setting := range map[*tools.Options]string{{}: "--allow-destructive", {ReadOnly: true, AllowDestructive: true}: "--read-only"} {
		other := newGuardedHarness(t, *opts, guard.DefaultPolicy(), state)
		req := mcp.CallToolRequest{}
		req.Params.Name = "purge_connection"
		req.Params.Arguments = obj{"user_id": c.UserID, "connection_id": c.ConnectionID, "confirmation_token": preview.Token}
		res, err := other.client.CallTool(context.Background(), req)
		require.NoError(t, err, "a tool error, not tool-not-found")
		assert.True(t, res.IsError)
		assert.Contains(t, text(res), setting, "the error names the setting that enables it")
		assert.Contains(t, text(res), "nothing was sent")
		for _, tl := range other.listTools(t) {
			assert.NotEqual(t, "purge_connection", tl.Name, "never listed there")
		}
	}
	assert.Zero(t, allowed.sim.Calls("POST /users/{userId}/connections/{connectionId}/purge"), "nothing reached Basiq")
}
