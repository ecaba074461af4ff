package hosting

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// WebhookPath is where Basiq's webhooks are received.
const WebhookPath = "/webhooks/basiq"

// webhookWindow is how far a delivery's timestamp may be from now: Basiq's
// documented tolerance, which bounds how long a captured delivery could be
// replayed.
const webhookWindow = 5 * time.Minute

// ParseWebhookSecret reads BASIQ_WEBHOOK_SECRET: the whsec_ value Basiq
// returns when a subscription is made, whose part after the prefix is
// base64. Empty means no receiver; anything else is refused.
func ParseWebhookSecret(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	raw, ok := strings.CutPrefix(s, "whsec_")
	key, err := base64.StdEncoding.DecodeString(raw)
	if !ok || err != nil || len(key) < 16 {
		return nil, errors.New("BASIQ_WEBHOOK_SECRET must be the whsec_… value Basiq returned for the subscription")
	}
	return key, nil
}

// verifyWebhook checks a delivery as Basiq documents it: the
// webhook-timestamp within five minutes of now, and one of the
// webhook-signature's "v1,<base64>" entries equal to the HMAC-SHA256,
// keyed by the secret, of "{webhook-id}.{webhook-timestamp}.{body}".
func verifyWebhook(key []byte, h http.Header, body []byte, now time.Time) error {
	id, ts, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if id == "" || ts == "" || sigs == "" {
		return errors.New("the webhook-id, webhook-timestamp and webhook-signature headers are required")
	}
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errors.New("webhook-timestamp is not a Unix time")
	}
	if d := now.Sub(time.Unix(secs, 0)); d > webhookWindow || d < -webhookWindow {
		return errors.New("webhook-timestamp is more than five minutes from now")
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + ts + "."))
	m.Write(body)
	want := m.Sum(nil)
	for _, entry := range strings.Fields(sigs) {
		if v, sig, ok := strings.Cut(entry, ","); ok && v == "v1" {
			if got, err := base64.StdEncoding.DecodeString(sig); err == nil && hmac.Equal(got, want) {
				return nil
			}
		}
	}
	return errors.New("no webhook-signature matches")
}

// Deliveries remembers processed webhook ids (guard.Journal).
type Deliveries interface {
	Seen(id string) (bool, error)
	Done(id string) error
}

// Webhooks receives Basiq's webhooks: a delivery that does not verify is
// refused (401), a repeated one answered 200 without being processed
// twice, and a new one answered 2xx only once apply (which reads the event
// from Basiq) has recorded it; when it cannot, 503 makes Basiq retry.
func Webhooks(key []byte, seen Deliveries, apply func(ctx context.Context, eventID string) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "the body could not be read", http.StatusBadRequest)
			return
		}
		if err := verifyWebhook(key, r.Header, body, time.Now()); err != nil {
			http.Error(w, "Unauthorized: "+err.Error(), http.StatusUnauthorized)
			return
		}
		var payload struct {
			EventID string `json:"eventId"`
		}
		if json.Unmarshal(body, &payload) != nil || payload.EventID == "" {
			http.Error(w, "the payload names no eventId", http.StatusBadRequest)
			return
		}
		id := r.Header.Get("webhook-id")
		if done, err := seen.Seen(id); err != nil || done {
			webhookAnswer(w, err, "already processed")
			return
		}
		if err := apply(r.Context(), payload.EventID); err != nil {
			http.Error(w, "the event could not be recorded; retry later", http.StatusServiceUnavailable)
			return
		}
		webhookAnswer(w, seen.Done(id), "recorded")
	})
}

// webhookAnswer is 200 with what happened, or 503 (Basiq retries) when the
// store did not answer.
func webhookAnswer(w http.ResponseWriter, err error, what string) {
	if err != nil {
		http.Error(w, "the delivery could not be recorded; retry later", http.StatusServiceUnavailable)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": what})
}
