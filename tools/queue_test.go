package tools_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq/basiqtest"
	"github.com/basiq-mcp/basiq-mcp/tools"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// queueOut is the part of a support_queue result the tests read.
type queueOut struct {
	Rows []struct {
		UserID       string `json:"user_id"`
		Reason       string
		ConnectionID string `json:"connection_id"`
		ConsentID    string `json:"consent_id"`
		Institution  string
		BankStatus   string `json:"bank_status"`
		Code         string
		JobID        string `json:"job_id"`
		Since        string
		Expires      string
		NextStep     string `json:"next_step"`
		AsOf         string `json:"as_of"`
	}
	Total     int
	Customers int
	ByReason  map[string]int `json:"by_reason"`
	Banks     []struct {
		Institution, Status string
		Problems            int
	}
	Index struct {
		Customers  int
		Read       int
		NotYetRead int      `json:"not_yet_read"`
		Unreadable []string `json:"unreadable"`
	}
	Note       string
	NextCursor string `json:"next_cursor"`
}

// TestQueueReadsTheIndexNotBasiq: the first support queue reads each
// customer from Basiq and keeps it; the next costs Basiq nothing per
// customer, however old the kept triage (events and the scan renew it),
// and each row says as of when.
func TestQueueReadsTheIndexNotBasiq(t *testing.T) {
	t.Parallel()
	h := newHarness(t, tools.Options{})
	h.deps.TriageMaxAge = time.Millisecond
	reads := func() int {
		return h.sim.Calls("GET /users/{userId}/connections") + h.sim.Calls("GET /users/{userId}/accounts")
	}
	var first, second queueOut
	h.okValid(t, "support_queue", obj{"limit": 100}, &first)
	require.NotEmpty(t, first.Rows)
	before := reads()
	require.Positive(t, before, "the first queue reads Basiq")
	assert.Equal(t, first.Index.Customers, first.Index.Read, "a small book is read whole by the first call")
	time.Sleep(5 * time.Millisecond)
	h.okValid(t, "support_queue", obj{"limit": 100}, &second)
	assert.Equal(t, before, reads(), "a second queue reads the index, not Basiq")
	assert.Equal(t, first.Total, second.Total)
	for _, r := range second.Rows {
		_, err := time.Parse(time.RFC3339, r.AsOf)
		assert.NoError(t, err, "row of %s says as of when", r.UserID)
		assert.NotEmpty(t, r.NextStep)
	}
}

// TestQueueNamesEveryReason: one row per reason, each with what it is
// about: a refresh failed on a still-active connection (its code), one
// waiting for the customer's code (the job to answer), an invalid
// connection, a revoked consent and one about to expire (when); the most
// urgent first, filters and totals.
func TestQueueNamesEveryReason(t *testing.T) {
	t.Parallel()
	soon := time.Now().Add(5 * 24 * time.Hour).UTC().Format(time.RFC3339)
	later := time.Now().Add(25 * 24 * time.Hour).UTC().Format(time.RFC3339)
	conn := func(id, status, bank string) string {
		return `{"type":"connection","id":"` + id + `","status":"` + status + `","method":"web","institution":{"type":"institution","id":"` + bank + `"},"expiryDate":"2030-01-01T00:00:00Z"}`
	}
	job := func(id, conn, steps string) string {
		return `{"type":"job","id":"` + id + `","created":"2026-12-01T00:00:00Z","links":{"source":"https://x/users/u/connections/` + conn + `"},"steps":[` + steps + `]}`
	}
	consent := func(id, status, expiry string) string {
		return `{"type":"consent","id":"` + id + `","status":"` + status + `","expiryDate":"` + expiry + `","updated":"2026-11-30T00:00:00Z"}`
	}
	h := fakeBasiq(t, map[string]fakeRoute{
		"GET /users":                {200, `{"type":"list","data":[{"type":"user","id":"u1","email":"a@x.io"},{"type":"user","id":"u2","email":"b@x.io"}]}`},
		"GET /users/u1/connections": {200, `{"type":"list","data":[` + conn("c1", "active", "AU00001") + `,` + conn("c2", "active", "AU00001") + `,` + conn("c3", "invalid", "AU00002") + `]}`},
		"GET /users/u1/jobs": {200, `{"type":"list","data":[` +
			job("j1", "c1", `{"title":"verify-credentials","status":"failed","result":{"code":"service-unavailable","detail":"down"}}`) + `,` +
			job("j2", "c2", `{"title":"verify-credentials","status":"in-progress","result":{"type":"mfa","method":"token"}}`) + `]}`},
		"GET /users/u1/consents":    {200, `{"type":"list","data":[` + consent("k1", "active", soon) + `]}`},
		"GET /users/u1/accounts":    {200, `{"type":"list","data":[]}`},
		"GET /users/u2/connections": {200, `{"type":"list","data":[]}`},
		"GET /users/u2/jobs":        {200, `{"type":"list","data":[]}`},
		"GET /users/u2/consents":    {200, `{"type":"list","data":[` + consent("k2", "revoked", "2027-06-01T00:00:00Z") + `,` + consent("k3", "active", later) + `]}`},
		"GET /users/u2/accounts":    {200, `{"type":"list","data":[]}`},
	})
	var out queueOut
	h.okValid(t, "support_queue", obj{}, &out)
	reasons := []string{}
	for _, r := range out.Rows {
		reasons = append(reasons, r.Reason)
	}
	assert.Equal(t, []string{"waiting-for-code", "connection-invalid", "consent-revoked", "refresh-failed", "consent-expiring"}, reasons, "most urgent first; k3 is outside the default window")
	assert.Equal(t, "j2", out.Rows[0].JobID, "the row names the job to answer")
	assert.Contains(t, out.Rows[0].NextStep, "answer_mfa with job_id j2")
	assert.Equal(t, "c1", out.Rows[3].ConnectionID)
	assert.Equal(t, "service-unavailable", out.Rows[3].Code)
	assert.Equal(t, "AU00001", out.Rows[3].Institution)
	assert.Equal(t, "2026-12-01T00:00:00Z", out.Rows[3].Since)
	assert.Equal(t, soon, out.Rows[4].Expires)
	assert.Equal(t, "k2", out.Rows[2].ConsentID)
	assert.Equal(t, 2, out.Customers)
	assert.Contains(t, out.Note, "outages are not marked", "the banks' status could not be read, and the note says so")
	require.NotEmpty(t, out.Banks)
	assert.Equal(t, "AU00001", out.Banks[0].Institution, "two problems at AU00001")
	assert.Equal(t, 2, out.Banks[0].Problems)

	h.okValid(t, "support_queue", obj{"reason": "consent-expiring", "within_days": 30}, &out)
	require.Len(t, out.Rows, 2, "the window widens to 30 days")
	assert.Equal(t, []string{"k1", "k3"}, []string{out.Rows[0].ConsentID, out.Rows[1].ConsentID}, "soonest first")
	assert.Equal(t, 2, out.ByReason["consent-expiring"])
	assert.Equal(t, 1, out.ByReason["waiting-for-code"], "totals cover the whole queue")

	h.okValid(t, "support_queue", obj{"institution": "AU00002"}, &out)
	require.Len(t, out.Rows, 1)
	assert.Equal(t, "c3", out.Rows[0].ConnectionID)

	h.okValid(t, "support_queue", obj{"limit": 2}, &out)
	require.Len(t, out.Rows, 2)
	require.NotEmpty(t, out.NextCursor)
	var rest queueOut
	h.okValid(t, "support_queue", obj{"limit": 10, "cursor": out.NextCursor}, &rest)
	assert.Len(t, rest.Rows, 3, "the next page holds the rest")
	assert.Empty(t, rest.NextCursor)
}

// TestQueuesOpenedTogetherShareTheirReads: ten agents opening the support
// queue at once cost Basiq about what one does, not ten times as much.
func TestQueuesOpenedTogetherShareTheirReads(t *testing.T) {
	t.Parallel()
	queue := obj{"limit": 50}
	one := newHarness(t, tools.Options{})
	var out queueOut
	one.okValid(t, "support_queue", queue, &out)
	alone := one.sim.Calls("GET /users/{userId}/connections")
	require.Positive(t, alone)

	// Basiq answers in tens of milliseconds, not the simulator's
	// microseconds: with that, the ten queues' reads of a customer overlap
	// as they do in production, and a loaded test machine cannot spread
	// them out so far that none does.
	slow := basiqtest.Fault{Kind: basiqtest.FaultLatency, Method: http.MethodGet, Path: "/users/", Latency: 5 * time.Millisecond}
	many := newHarness(t, tools.Options{}, basiqtest.WithFault(slow))
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := mcp.CallToolRequest{}
			req.Params.Name, req.Params.Arguments = "support_queue", map[string]any(queue)
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
	var out queueOut
	h.okValid(t, "support_queue", obj{"limit": 100}, &out)
	reason := map[string]string{}
	for _, r := range out.Rows {
		reason[r.ConnectionID] = r.Reason
		if r.ConnectionID == down.ConnectionID {
			assert.Equal(t, "major-outage", r.BankStatus)
			assert.Contains(t, r.NextStep, "neither refresh nor ask the customer to reconnect")
		}
	}
	assert.Equal(t, "bank-outage", reason[down.ConnectionID], "the bank's failure is the bank's")
	assert.Equal(t, "connection-invalid", reason[up.ConnectionID])
	statuses := map[string]string{}
	for _, b := range out.Banks {
		statuses[b.Institution] = b.Status
	}
	assert.Equal(t, "major-outage", statuses[down.InstitutionID], "the bank totals say which bank is down")
}

// TestQueueForgetsWhatAToolChanged: after a write through a tool (here a
// refresh), the queue reads that customer again, and only them, rather
// than show their kept triage for minutes.
func TestQueueForgetsWhatAToolChanged(t *testing.T) {
	t.Parallel()
	h := newHarness(t, tools.Options{})
	queue := obj{"limit": 50}
	var out queueOut
	h.okValid(t, "support_queue", queue, &out)
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
	h.okValid(t, "support_queue", queue, &out)
	require.Equal(t, before, reads(), "the kept triage answers")
	res := h.call(t, "refresh_connection", obj{"user_id": target.UserID, "connection_id": target.ConnectionID})
	require.False(t, res.IsError, text(res))
	before = reads()
	h.okValid(t, "support_queue", queue, &out)
	assert.Equal(t, before+1, reads(), "the refreshed customer is read again, and only they are")
}

// TestQueueKeepsWhatToolsRead: what diagnose_connection, list_connections
// and list_consents read of an indexed customer updates the index, so the
// queue shows at once what the tool saw, without reading them again.
func TestQueueKeepsWhatToolsRead(t *testing.T) {
	t.Parallel()
	h := newHarness(t, tools.Options{})
	var out queueOut
	h.okValid(t, "support_queue", obj{"limit": 100}, &out)
	var targets []basiqtest.SeededConnection
	seen := map[string]bool{}
	for _, c := range h.sim.Connections() {
		if c.Status == "active" && c.LastJobState == "succeeded" && c.InstitutionID == "AU00000" && !seen[c.UserID] {
			seen[c.UserID] = true
			targets = append(targets, c)
		}
	}
	require.GreaterOrEqual(t, len(targets), 3)
	consents := map[string]string{}
	for _, k := range h.sim.Consents() {
		consents[k.UserID] = k.ConsentID
	}
	// No event is taken up here: only the tools' reads can tell the index.
	simControl(t, h.sim, "/_sim/connections/"+targets[0].ConnectionID+"/invalidate")
	simControl(t, h.sim, "/_sim/connections/"+targets[1].ConnectionID+"/invalidate")
	simControl(t, h.sim, "/_sim/consents/"+consents[targets[2].UserID]+"/revoke")
	h.okValid(t, "diagnose_connection", obj{"user_id": targets[0].UserID}, &struct{}{})
	h.okValid(t, "list_connections", obj{"user_id": targets[1].UserID}, &struct{}{})
	h.okValid(t, "list_consents", obj{"user_id": targets[2].UserID}, &struct{}{})
	reads := h.sim.Calls("GET /users/{userId}/connections")
	var after queueOut // a fresh one: decoding into out would keep its rows' old fields
	h.okValid(t, "support_queue", obj{"limit": 100}, &after)
	assert.Equal(t, reads, h.sim.Calls("GET /users/{userId}/connections"), "the queue read the index")
	rows := map[string]string{}
	for _, r := range after.Rows {
		rows[r.ConnectionID+r.ConsentID] = r.Reason
	}
	assert.Equal(t, "connection-invalid", rows[targets[0].ConnectionID], "what diagnose_connection saw")
	assert.Equal(t, "connection-invalid", rows[targets[1].ConnectionID], "what list_connections saw")
	assert.Equal(t, "consent-revoked", rows[consents[targets[2].UserID]], "what list_consents saw")

}
