package tools_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq/basiqtest"
	"github.com/basiq-mcp/basiq-mcp/tools"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestQueueReadsKeptTriageNotBasiq: the support queue keeps each
// customer's triage; while it is fresh, asking again costs Basiq nothing,
// and each row says as of when. With no freshness allowed, Basiq is asked.
func TestQueueReadsKeptTriageNotBasiq(t *testing.T) {
	h := newHarness(t, tools.Options{})
	h.deps.TriageMaxAge = time.Hour
	reads := func() int {
		return h.sim.Calls("GET /users/{userId}/connections") + h.sim.Calls("GET /users/{userId}/accounts")
	}
	var first, second struct {
		Users []struct {
			ID   string
			AsOf string `json:"as_of"`
		}
	}
	h.okValid(t, "list_users", obj{"needs_attention": true, "limit": 50}, &first)
	require.NotEmpty(t, first.Users)
	before := reads()
	require.Positive(t, before, "the first queue reads Basiq")
	h.okValid(t, "list_users", obj{"needs_attention": true, "limit": 50}, &second)
	assert.Equal(t, before, reads(), "a second queue within the freshness window costs Basiq nothing")
	assert.Equal(t, len(first.Users), len(second.Users))
	for _, u := range second.Users {
		_, err := time.Parse(time.RFC3339, u.AsOf)
		assert.NoError(t, err, "row %s says as of when", u.ID)
	}
	h.deps.TriageMaxAge = 0
	h.okValid(t, "list_users", obj{"needs_attention": true, "limit": 50}, &second)
	assert.Greater(t, reads(), before, "with no freshness allowed, Basiq is asked again")
}

// TestQueueNamesEveryReason: the support queue sees a refresh that failed
// on a still-active connection, a refresh waiting for the customer's code
// and a consent about to expire, not only invalid connections; each date
// says whose it is.
func TestQueueNamesEveryReason(t *testing.T) {
	soon := time.Now().Add(5 * 24 * time.Hour).UTC().Format(time.RFC3339)
	conn := func(id string) string {
		return `{"type":"connection","id":"` + id + `","status":"active","expiryDate":"2030-01-01T00:00:00Z"}`
	}
	job := func(id, conn, steps string) string {
		return `{"type":"job","id":"` + id + `","created":"2026-12-01T00:00:00Z","links":{"source":"https://x/users/u/connections/` + conn + `"},"steps":[` + steps + `]}`
	}
	h := fakeBasiq(t, map[string]fakeRoute{
		"GET /users":                {200, `{"type":"list","data":[{"type":"user","id":"u1","email":"a@x.io"}]}`},
		"GET /users/u1/connections": {200, `{"type":"list","data":[` + conn("c1") + `,` + conn("c2") + `]}`},
		"GET /users/u1/jobs": {200, `{"type":"list","data":[` +
			job("j1", "c1", `{"title":"verify-credentials","status":"failed","result":{"code":"service-unavailable","detail":"down"}}`) + `,` +
			job("j2", "c2", `{"title":"verify-credentials","status":"in-progress","result":{"type":"mfa","method":"token"}}`) + `]}`},
		"GET /users/u1/consents": {200, `{"type":"list","data":[{"type":"consent","id":"k1","status":"active","expiryDate":"` + soon + `"}]}`},
		"GET /users/u1/accounts": {200, `{"type":"list","data":[]}`},
	})
	var out struct {
		Users []struct {
			NeedsAttention int `json:"needs_attention"`
			Attention      string
		}
	}
	h.okValid(t, "list_users", obj{"needs_attention": true}, &out)
	require.Len(t, out.Users, 1)
	assert.Equal(t, 3, out.Users[0].NeedsAttention)
	assert.Contains(t, out.Users[0].Attention, "c1 last refresh failed (service-unavailable)")
	assert.Contains(t, out.Users[0].Attention, "c2 refresh waiting for the customer's code: answer_mfa with job_id j2", "the row names the job to answer")
	assert.Contains(t, out.Users[0].Attention, "consent expires "+soon[:10])
}

// TestQueuesOpenedTogetherShareTheirReads: ten agents opening the support
// queue at once cost Basiq about what one does, not ten times as much.
func TestQueuesOpenedTogetherShareTheirReads(t *testing.T) {
	t.Parallel()
	queue := obj{"needs_attention": true, "limit": 50}
	one := newHarness(t, tools.Options{})
	one.deps.TriageMaxAge = time.Hour
	var out struct{ Users []struct{ ID string } }
	one.okValid(t, "list_users", queue, &out)
	alone := one.sim.Calls("GET /users/{userId}/connections")
	require.Positive(t, alone)

	many := newHarness(t, tools.Options{})
	many.deps.TriageMaxAge = time.Hour
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := mcp.CallToolRequest{}
			req.Params.Name, req.Params.Arguments = "list_users", map[string]any(queue)
			res, err := many.client.CallTool(context.Background(), req)
			if assert.NoError(t, err) {
				assert.False(t, res.IsError, text(res))
			}
		}()
	}
	wg.Wait()
	together := many.sim.Calls("GET /users/{userId}/connections")
	t.Logf("connection reads: one queue %d, ten queues at once %d", alone, together)
	assert.LessOrEqual(t, together, 2*alone, "queues opened together share each customer's read")
}

// TestQueueSaysWhichFailuresAreTheBanks: a customer whose connection broke
// at a bank in an outage is told so (wait, do not refresh); one whose bank
// is operational is not.
func TestQueueSaysWhichFailuresAreTheBanks(t *testing.T) {
	t.Parallel()
	h := newHarness(t, tools.Options{})
	var down, up basiqtest.SeededConnection
	for _, c := range h.sim.Connections() {
		switch {
		case c.Status != "active" || c.InstitutionID == "AU00006":
		case down.UserID == "":
			down = c
		case c.UserID != down.UserID && c.InstitutionID != down.InstitutionID:
			up = c
		}
	}
	require.NotEmpty(t, up.UserID)
	simControl(t, h.sim, "/_sim/connectors/"+down.InstitutionID+"/status", `{"status":"major-outage"}`)
	simControl(t, h.sim, "/_sim/connectors/"+up.InstitutionID+"/status", `{"status":"operational"}`)
	simControl(t, h.sim, "/_sim/connections/"+down.ConnectionID+"/invalidate")
	simControl(t, h.sim, "/_sim/connections/"+up.ConnectionID+"/invalidate")
	var out struct {
		Users []struct{ ID, Attention string }
	}
	h.okValid(t, "list_users", obj{"needs_attention": true, "limit": 50}, &out)
	attention := map[string]string{}
	for _, u := range out.Users {
		attention[u.ID] = u.Attention
	}
	assert.Contains(t, attention[down.UserID], "bank "+down.InstitutionID+" in major-outage")
	assert.Contains(t, attention[up.UserID], up.ConnectionID+" invalid")
	assert.NotContains(t, attention[up.UserID], "bank "+up.InstitutionID+" in")
}

// TestQueueForgetsWhatAToolChanged: after a write through a tool (here a
// refresh), the queue reads that customer again, and only them, rather
// than show their kept triage for minutes.
func TestQueueForgetsWhatAToolChanged(t *testing.T) {
	t.Parallel()
	h := newHarness(t, tools.Options{})
	h.deps.TriageMaxAge = time.Hour
	queue := obj{"needs_attention": true, "limit": 50}
	var out struct{ Users []struct{ ID string } }
	h.okValid(t, "list_users", queue, &out)
	var target basiqtest.SeededConnection
	for _, c := range h.sim.Connections() {
		if c.Status == "active" && c.InstitutionID != "AU00006" {
			target = c
			break
		}
	}
	require.NotEmpty(t, target.UserID)
	reads := func() int { return h.sim.Calls("GET /users/{userId}/connections") }
	before := reads()
	h.okValid(t, "list_users", queue, &out)
	require.Equal(t, before, reads(), "the kept triage answers")
	res := h.call(t, "refresh_connection", obj{"user_id": target.UserID, "connection_id": target.ConnectionID})
	require.False(t, res.IsError, text(res))
	before = reads()
	h.okValid(t, "list_users", queue, &out)
	assert.Equal(t, before+1, reads(), "the refreshed customer is read again, and only they are")
}
