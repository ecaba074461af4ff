package basiqtest

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// webhookTypes are the event type ids Basiq delivers by webhook (API.md
// 14.2): connection.updated is events-API only, and a connection's change
// of status is delivered as connection.activated or connection.invalidated.
var webhookTypes = []string{"user.created", "user.updated", "user.deleted", "connection.created", "connection.deleted",
	"connection.activated", "connection.invalidated", "account.updated", "transactions.updated",
	"consent.created", "consent.updated", "consent.revoked", "consent.expired", "consent.warning", "consent.reminder"}

// retrySchedule is Basiq's delivery schedule after the first try: 8
// attempts in all (scaled by the simulator's time scale).
var retrySchedule = []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour}

type simWebhook struct {
	ID, Name, Description, URL, Secret string
	Events                             []string
	base                               string        // the simulator's URL, for the payload's links
	messages                           []*simMessage // the latest deliveries, oldest first
}

func (s *Simulator) webhookRoutes() {
	h := s.handle
	h("POST /notifications/webhooks", serverOnly, s.createWebhook)
	h("GET /notifications/webhooks", serverOnly, s.listWebhooks)
	h("GET /notifications/webhooks/{webhookId}", serverOnly, s.getWebhook)
	h("POST /notifications/webhooks/{webhookId}", serverOnly, s.updateWebhook)
	h("DELETE /notifications/webhooks/{webhookId}", serverOnly, s.deleteWebhook)
	s.messageRoutes()
}

func (x *exchange) webhookView(w *simWebhook) obj {
	return obj{"type": "webhook", "id": w.ID, "name": w.Name, "description": w.Description, "url": w.URL, "status": "active",
		"secret": w.Secret, "subscribedEvents": w.Events, "links": obj{"self": x.link("/notifications/webhooks/" + w.ID)}}
}

// newSecret is a signing secret as Basiq gives it: whsec_ and base64.
func newSecret() string {
	raw := make([]byte, 24)
	rand.Read(raw)
	return "whsec_" + base64.StdEncoding.EncodeToString(raw)
}

// webhookBody is what creates or updates a subscription.
type webhookBody struct {
	URL              string   `json:"url"`
	Name             string   `json:"name"`
	Description      string   `json:"description"`
	SubscribedEvents []string `json:"subscribedEvents"`
}

// read decodes and checks a subscription's body, answering 400 when it
// names no http(s) URL or an event type Basiq does not deliver.
func (b *webhookBody) read(x *exchange) bool {
	if !x.decode(b, false) {
		return false
	}
	if u, err := url.Parse(b.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		x.badParam("url", "url must be an http or https URL")
		return false
	}
	for _, e := range b.SubscribedEvents {
		if !slices.Contains(webhookTypes, e) {
			x.badParam("subscribedEvents", "Unknown event type "+strconv.Quote(e)+".")
			return false
		}
	}
	return true
}

func (s *Simulator) createWebhook(x *exchange) {
	var b webhookBody
	if !b.read(x) {
		return
	}
	w := &simWebhook{ID: s.nextID("webhook"), Name: b.Name, Description: b.Description, URL: b.URL, Secret: newSecret(),
		Events: b.SubscribedEvents, base: x.base}
	s.webhooks = append(s.webhooks, w)
	x.json(http.StatusCreated, x.webhookView(w))
}

// updateWebhook replaces a subscription's URL, name, description and
// events (Basiq updates with POST); its secret stays.
func (s *Simulator) updateWebhook(x *exchange) {
	i := s.findWebhook(x)
	var b webhookBody
	if i < 0 || !b.read(x) {
		return
	}
	w := s.webhooks[i]
	w.URL, w.Name, w.Description, w.Events = b.URL, b.Name, b.Description, b.SubscribedEvents
	x.json(http.StatusOK, x.webhookView(w))
}

// Subscribe delivers every webhook type to target, signed with secret
// (a new one when empty, which it returns); base is the simulator's URL,
// for the payload's links. It is what "basiq-mcp simulator --webhook-url"
// sets up at start.
func (s *Simulator) Subscribe(target, secret, base string) (string, error) {
	if u, err := url.Parse(target); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", errors.New("the webhook URL must be an http or https URL")
	}
	if secret == "" {
		secret = newSecret()
	}
	if !strings.HasPrefix(secret, "whsec_") {
		return "", errors.New("the webhook secret must be a whsec_ value")
	}
	if _, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_")); err != nil {
		return "", errors.New("the webhook secret's part after whsec_ must be base64")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.webhooks = append(s.webhooks, &simWebhook{ID: s.nextID("webhook"), Name: "command line", URL: target, Secret: secret,
		Events: slices.Clone(webhookTypes), base: base})
	return secret, nil
}

func (s *Simulator) listWebhooks(x *exchange) {
	items := []any{}
	for _, w := range s.webhooks {
		items = append(items, x.webhookView(w))
	}
	x.json(http.StatusOK, obj{"type": "list", "data": items, "links": obj{"self": x.link("/notifications/webhooks")}})
}

func (s *Simulator) findWebhook(x *exchange) int {
	i := slices.IndexFunc(s.webhooks, func(w *simWebhook) bool { return w.ID == x.r.PathValue("webhookId") })
	if i < 0 {
		x.notFound("Webhook with provided id doesn't exist.")
	}
	return i
}

func (s *Simulator) getWebhook(x *exchange) {
	if i := s.findWebhook(x); i >= 0 {
		x.json(http.StatusOK, x.webhookView(s.webhooks[i]))
	}
}

func (s *Simulator) deleteWebhook(x *exchange) {
	if i := s.findWebhook(x); i >= 0 {
		s.webhooks = slices.Delete(s.webhooks, i, i+1)
		x.w.WriteHeader(http.StatusNoContent)
	}
}

// webhookType is the webhook event type an event is delivered as ("" when
// none: connection.updated is events-API only unless the status changed).
func webhookType(e *simEvent) string {
	if e.Entity == "connection" && e.Type == "updated" {
		switch e.Data["status"] {
		case "active":
			return "connection.activated"
		case "invalid":
			return "connection.invalidated"
		}
		return ""
	}
	return e.Entity + "." + e.Type
}

// deliver sends an event to every webhook subscribed to its type, on its
// own goroutine: the caller holds the simulator's lock.
func (s *Simulator) deliver(e *simEvent) {
	typ := webhookType(e)
	if typ == "" {
		return
	}
	for _, w := range s.webhooks {
		if slices.Contains(w.Events, typ) {
			payload := obj{"eventTypeId": typ, "eventId": e.ID,
				"links": obj{"event": w.base + "/events/" + e.ID, "eventEntity": w.base + e.DataRef}}
			body, _ := json.Marshal(payload)
			m := &simMessage{ID: "msg_" + e.ID, WebhookID: w.ID, EventTypeID: typ, EventID: e.ID, payload: payload}
			w.record(m)
			go s.send(w.URL, w.Secret, m, body)
		}
	}
}

// send posts one message, signed as Basiq signs, and retries on Basiq's
// schedule (scaled) until a 2xx; the message id is stable across retries.
func (s *Simulator) send(target, secret string, m *simMessage, body []byte) {
	client := &http.Client{Timeout: 10 * time.Second}
	id := m.ID
	for attempt := 0; ; attempt++ {
		now := time.Now()
		ts := strconv.FormatInt(now.Unix(), 10)
		req, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
		if err != nil {
			return
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("webhook-id", id)
		req.Header.Set("webhook-timestamp", ts)
		req.Header.Set("webhook-signature", "v1,"+Sign(secret, id, ts, body))
		resp, err := client.Do(req)
		if err != nil {
			s.attempted(m, now, "error")
		} else {
			resp.Body.Close()
			s.attempted(m, now, strconv.Itoa(resp.StatusCode))
			if resp.StatusCode/100 == 2 {
				return
			}
		}
		if attempt >= len(retrySchedule) {
			return
		}
		time.Sleep(s.scaled(retrySchedule[attempt]))
	}
}

// Sign is a webhook signature as Basiq documents it: HMAC-SHA256, keyed by
// the base64-decoded part of the secret after "whsec_", over
// "{webhook-id}.{webhook-timestamp}.{body}", in base64.
func Sign(secret, id, timestamp string, body []byte) string {
	key, _ := base64.StdEncoding.DecodeString(secret[len("whsec_"):])
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + timestamp + "."))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}
