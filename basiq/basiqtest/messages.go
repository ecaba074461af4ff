package basiqtest

import (
	"net/http"
	"slices"
	"time"
)

// maxMessages bounds the messages a subscription remembers (Basiq's list
// answers at most 500 a page).
const maxMessages = 500

// simMessage is one delivery of an event to one subscription, with the
// time of each attempt and whether it succeeded.
type simMessage struct {
	ID, WebhookID, EventTypeID, EventID string
	payload                             obj
	attempts                            []string // RFC 3339 time and the answer's status, or "error"
}

// messageFilters are the message fields the list filters on. Basiq names
// eventTypeId and eventId among its filters without a documented grammar
// for them; date and status are not offered, as their form is not
// documented.
var messageFilters = filterRules{"eventTypeId": ops("eq"), "eventId": ops("eq")}

func (s *Simulator) messageRoutes() {
	s.handle("GET /notifications/webhooks/{webhookId}/messages", serverOnly, s.listMessages)
	s.handle("GET /notifications/webhooks/{webhookId}/messages/{messageId}", serverOnly, s.getMessage)
}

// record keeps a new message on its subscription; the caller holds the
// simulator's lock.
func (w *simWebhook) record(m *simMessage) {
	w.messages = append(w.messages, m)
	if len(w.messages) > maxMessages {
		w.messages = slices.Delete(w.messages, 0, len(w.messages)-maxMessages)
	}
}

// attempted notes one attempt at delivering m.
func (s *Simulator) attempted(m *simMessage, at time.Time, outcome string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m.attempts = append(m.attempts, at.UTC().Format(time.RFC3339)+" "+outcome)
}

func (x *exchange) messageView(m *simMessage) obj {
	self := "/notifications/webhooks/" + m.WebhookID + "/messages/" + m.ID
	return obj{"type": "message", "id": m.ID, "webhookId": m.WebhookID, "event": m.EventTypeID, "eventTypeId": m.EventTypeID,
		"eventId": m.EventID, "payload": m.payload, "attempts": slices.Clone(m.attempts),
		"links": obj{"self": x.link(self), "event": x.link("/events/" + m.EventID), "webhook": x.link("/notifications/webhooks/" + m.WebhookID)}}
}

func (s *Simulator) listMessages(x *exchange) {
	i := s.findWebhook(x)
	if i < 0 {
		return
	}
	args, ok := x.listArgs()
	if !ok {
		return
	}
	conds, ok := x.parseFilter(args.Filter, messageFilters)
	if !ok {
		return
	}
	w := s.webhooks[i]
	var items []any
	for j := len(w.messages) - 1; j >= 0; j-- { // newest first
		m := w.messages[j]
		if matchAll(conds, func(field string) string {
			if field == "eventId" {
				return m.EventID
			}
			return m.EventTypeID
		}) {
			items = append(items, x.messageView(m))
		}
	}
	x.page(items, "/notifications/webhooks/"+w.ID+"/messages", args)
}

func (s *Simulator) getMessage(x *exchange) {
	i := s.findWebhook(x)
	if i < 0 {
		return
	}
	w := s.webhooks[i]
	j := slices.IndexFunc(w.messages, func(m *simMessage) bool { return m.ID == x.r.PathValue("messageId") })
	if j < 0 {
		x.notFound("Message with provided id doesn't exist.")
		return
	}
	x.json(http.StatusOK, x.messageView(w.messages[j]))
}
