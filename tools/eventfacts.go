package tools

import (
	"encoding/json"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/tools/guard"
)

// takeEvent brings what one of Basiq's events says into the index, and
// tells the sessions subscribed to the customer. The fact the event
// carries is written into the customer's kept triage (a connection's new
// status, a consent revoked or expired, a customer deleted), so the next
// support queue shows it without asking Basiq; what the event cannot tell
// (the job that broke a connection, the connections a revoked consent
// covered) marks the triage unsettled, and the background scan reads that
// customer before any other.
func (d *Deps) takeEvent(e basiq.Event) error {
	if e.UserID == "" {
		return nil
	}
	if d.Users != nil {
		if err := d.writeEvent(e); err != nil {
			return err
		}
	}
	if d.CustomerChanged != nil {
		d.CustomerChanged(e.UserID)
	}
	return nil
}

// writeEvent writes e's fact into the index. Events that change nothing
// the index keeps (a reminder, new contact details) write nothing.
func (d *Deps) writeEvent(e basiq.Event) error {
	at := e.CreatedDate.Time
	amend := func(fn func(*guard.Triage)) error {
		// Changed is when this server learnt of it, on the clock a read's
		// Confirmed is on (Basiq's dates are to the second).
		_, err := d.Users.Amend(e.UserID, at, func(t *guard.Triage) { fn(t); t.Changed = time.Now().UTC() })
		return err
	}
	switch e.Entity + "." + e.EventType {
	case "user.created":
		return d.Users.Know(e.UserID)
	case "user.deleted":
		return amend(func(t *guard.Triage) { t.Deleted = true })
	case "connection.deleted":
		id := entityID(e)
		return amend(func(t *guard.Triage) {
			t.Connections = slices.DeleteFunc(t.Connections, func(c guard.ConnectionState) bool { return c.ID == id })
		})
	case "connection.created", "connection.updated", "connection.activated", "connection.invalidated":
		var snap basiq.Connection
		if json.Unmarshal(snapshot(e.Data), &snap) != nil || snap.ID == "" || snap.Status == "" {
			return amend(func(*guard.Triage) {}) // no snapshot to write: read the customer again first
		}
		return amend(func(t *guard.Triage) { connectionFact(t, snap) })
	case "consent.revoked", "consent.expired":
		id, status := entityID(e), e.EventType
		return amend(func(t *guard.Triage) { consentFact(t, id, status, at) })
	case "consent.created", "consent.updated", "transactions.updated", "account.updated":
		return amend(func(*guard.Triage) {}) // new consents or a new job's outcome: read the customer again first
	}
	return nil
}

// connectionFact writes a connection's snapshot from an event. When its
// status changed, or Basiq used it after the newest job the triage knows,
// that job is no longer its newest: the job is forgotten (not shown as
// failed or waiting when it may have been followed by a success) until the
// customer is read again.
func connectionFact(t *guard.Triage, snap basiq.Connection) {
	i := slices.IndexFunc(t.Connections, func(c guard.ConnectionState) bool { return c.ID == snap.ID })
	if i < 0 {
		t.Connections = append(t.Connections, guard.ConnectionState{ID: snap.ID})
		i = len(t.Connections) - 1
	}
	c := &t.Connections[i]
	if c.Status != snap.Status || snap.LastUsed.After(c.JobAt) {
		c.Job, c.JobState, c.JobAt, c.Code = "", "", time.Time{}, ""
	}
	c.Status = snap.Status
	if snap.Institution.ID != "" {
		c.Institution = snap.Institution.ID
	}
	if snap.LastUsed.After(c.LastUsed) {
		c.LastUsed = snap.LastUsed.Time
	}
}

// consentFact writes a consent revoked or expired at at. An event that
// does not name its consent (Basiq's files show a consent event whose
// dataRef is the user) is about the customer's one active consent, where
// there is exactly one; otherwise nothing is written, and the customer is
// read again first.
func consentFact(t *guard.Triage, id, status string, at time.Time) {
	if id == "" {
		active := slices.DeleteFunc(slices.Clone(t.Consents), func(c guard.ConsentState) bool { return c.Status != "active" })
		if len(active) != 1 {
			return
		}
		id = active[0].ID
	}
	i := slices.IndexFunc(t.Consents, func(c guard.ConsentState) bool { return c.ID == id })
	if i < 0 {
		t.Consents = append(t.Consents, guard.ConsentState{ID: id})
		i = len(t.Consents) - 1
	}
	c := &t.Consents[i]
	c.Status, c.Changed = status, at
	if status == "expired" && (c.Expires.IsZero() || c.Expires.After(at)) {
		c.Expires = at
	}
}

// entityID is the id of the thing an event is about: its snapshot's id,
// else the last segment of its dataRef (Basiq's URL of the entity).
func entityID(e basiq.Event) string {
	var snap struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	}
	if json.Unmarshal(snapshot(e.Data), &snap) == nil && snap.ID != "" && (snap.Type == "" || snap.Type == e.Entity) {
		return snap.ID
	}
	u, err := url.Parse(e.DataRef)
	if err != nil || u.Path == "" {
		return ""
	}
	id := path.Base(u.Path)
	if basiq.ValidateID("id", id) != nil || id == "." || id == "/" || strings.EqualFold(id, e.UserID) {
		return "" // the dataRef names the customer, not the entity
	}
	return id
}

// snapshot is an event's data as one object: Basiq's files type it as a
// string and show it as a list of one, and Basiq sends an object.
func snapshot(raw json.RawMessage) json.RawMessage {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		raw = json.RawMessage(s)
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) == nil {
		if len(list) == 1 {
			return list[0]
		}
		return nil
	}
	return raw
}
