package tools

import (
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/basiq/specfake"
	"github.com/basiq-mcp/basiq-mcp/tools/guard"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// factDeps is a Deps with only an index, holding one customer read at
// confirmed: an active connection whose newest job failed, and an active
// consent.
func factDeps(t *testing.T, user string, confirmed time.Time) *Deps {
	store, err := guard.OpenBolt(filepath.Join(t.TempDir(), "state.db"))
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	d := &Deps{Users: guard.NewDirectory(store, nil)}
	require.NoError(t, d.Users.RecordTriage(user, guard.Triage{Confirmed: confirmed,
		Connections: []guard.ConnectionState{{ID: "conn-1", Institution: "AU00000", Status: "active", Job: "job-1", JobState: basiq.JobFailed, JobAt: confirmed.Add(-time.Hour), Code: "institution-not-available"}},
		Consents:    []guard.ConsentState{{ID: "consent-1", Status: "active", Expires: confirmed.Add(90 * 24 * time.Hour)}}}))
	return d
}

// TestEventsWriteTheirFacts: each event writes what it says into a kept
// triage and marks what it cannot tell; an event the read already saw, or
// about a customer never read, writes nothing.
func TestEventsWriteTheirFacts(t *testing.T) {
	read := time.Date(2026, 3, 2, 22, 0, 0, 0, time.UTC)
	after := basiq.Time{Time: read.Add(time.Minute)}
	conn := func(status string) json.RawMessage {
		return json.RawMessage(`{"type":"connection","id":"conn-1","status":"` + status + `","lastUsed":"2026-03-02T21:00:00Z","institution":{"type":"institution","id":"AU00000"}}`)
	}
	cases := []struct {
		name      string
		event     basiq.Event
		unsettled bool
		check     func(t *testing.T, tr guard.Triage)
	}{
		{"invalidated", basiq.Event{Entity: "connection", EventType: "updated", CreatedDate: after, Data: conn("invalid")}, true, func(t *testing.T, tr guard.Triage) {
			assert.Equal(t, "invalid", tr.Connections[0].Status)
			assert.Empty(t, tr.Connections[0].JobState, "the failed job may not be what broke it")
		}},
		{"same status, older use", basiq.Event{Entity: "connection", EventType: "updated", CreatedDate: after, Data: conn("active")}, true, func(t *testing.T, tr guard.Triage) {
			assert.Equal(t, basiq.JobFailed, tr.Connections[0].JobState, "nothing newer than the job")
		}},
		{"deleted", basiq.Event{Entity: "connection", EventType: "deleted", CreatedDate: after, DataRef: "https://au-api.basiq.io/users/u1/connections/conn-1"}, true, func(t *testing.T, tr guard.Triage) {
			assert.Empty(t, tr.Connections)
		}},
		{"revoked by dataRef", basiq.Event{Entity: "consent", EventType: "revoked", CreatedDate: after, DataRef: "https://au-api.basiq.io/users/u1/consents/consent-1"}, true, func(t *testing.T, tr guard.Triage) {
			assert.Equal(t, "revoked", tr.Consents[0].Status)
			assert.Equal(t, after.Time, tr.Consents[0].Changed)
		}},
		{"expired naming the user", basiq.Event{Entity: "consent", EventType: "expired", CreatedDate: after, DataRef: "https://au-api.basiq.io/users/u1",
			Data: json.RawMessage(`[{"type":"user","id":"u1","email":"max@hooli.com"}]`)}, true, func(t *testing.T, tr guard.Triage) {
			require.Len(t, tr.Consents, 1, "the user's id is not taken for a consent's")
			assert.Equal(t, "expired", tr.Consents[0].Status, "the one active consent")
			assert.Equal(t, after.Time, tr.Consents[0].Expires)
		}},
		{"user deleted", basiq.Event{Entity: "user", EventType: "deleted", CreatedDate: after}, true, func(t *testing.T, tr guard.Triage) {
			assert.True(t, tr.Deleted)
		}},
		{"transactions", basiq.Event{Entity: "transactions", EventType: "updated", CreatedDate: after}, true, func(t *testing.T, tr guard.Triage) {
			assert.Equal(t, basiq.JobFailed, tr.Connections[0].JobState, "kept until read again")
		}},
		{"reminder", basiq.Event{Entity: "consent", EventType: "reminder", CreatedDate: after}, false, nil},
		{"seen by the read", basiq.Event{Entity: "connection", EventType: "updated", CreatedDate: basiq.Time{Time: read.Add(-2 * time.Second)}, Data: conn("invalid")}, false, func(t *testing.T, tr guard.Triage) {
			assert.Equal(t, "active", tr.Connections[0].Status)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := factDeps(t, "u1", read)
			c.event.UserID = "u1"
			require.NoError(t, d.takeEvent(c.event))
			tr, ok := d.Users.KeptTriage("u1")
			require.True(t, ok)
			assert.Equal(t, c.unsettled, tr.Unsettled())
			if c.check != nil {
				c.check(t, tr)
			}
		})
	}
	t.Run("a customer never met is known by id", func(t *testing.T) {
		d := factDeps(t, "u1", read)
		require.NoError(t, d.takeEvent(basiq.Event{UserID: "u2", Entity: "user", EventType: "created", CreatedDate: after}))
		require.NoError(t, d.takeEvent(basiq.Event{UserID: "u3", Entity: "connection", EventType: "updated", CreatedDate: after, Data: conn("invalid")}))
		known, _, _, err := d.Users.Search("", 10)
		require.NoError(t, err)
		ids := []string{}
		for _, u := range known {
			ids = append(ids, u.ID)
		}
		assert.ElementsMatch(t, []string{"u1", "u2"}, ids)
	})
}

// TestPublishedEventsWriteTheirFacts feeds every response Basiq's files
// give for GET /events/{id} through takeEvent: none fails, and the
// documented example (a connection, status active) is written.
func TestPublishedEventsWriteTheirFacts(t *testing.T) {
	dir, ok := specfake.Dir()
	if !ok {
		t.Skip("Basiq's OpenAPI files are not beside the project (../shared)")
	}
	spec, err := specfake.Load(dir)
	require.NoError(t, err)
	op := spec.Find("GET", "/events/{id}")
	require.NotNil(t, op)
	wrote := 0
	for _, v := range op.Variants {
		var e basiq.Event
		if json.Unmarshal(v.Body, &e) != nil || e.UserID == "" {
			continue
		}
		d := factDeps(t, e.UserID, e.CreatedDate.Add(-time.Hour))
		require.NoError(t, d.takeEvent(e), v.Name)
		tr, _ := d.Users.KeptTriage(e.UserID)
		for _, c := range tr.Connections {
			if c.ID != "conn-1" && c.Status == "active" && c.Institution == "AU00000" {
				wrote++
			}
		}
	}
	assert.Positive(t, wrote, "the published example's connection is in the index")
}
