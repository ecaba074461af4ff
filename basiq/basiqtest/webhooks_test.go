package basiqtest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type delivery struct {
	id, timestamp, signature string
	body                     []byte
}

// TestWebhooksAreSignedAndRetriedAsBasiqDoes: a subscription gets a
// whsec_ secret; each change is delivered as its webhook type with the
// thin payload, signed over id.timestamp.body (checked here by an HMAC
// computed apart from the simulator's own), and a failed delivery is
// retried with the same webhook-id.
func TestWebhooksAreSignedAndRetriedAsBasiqDoes(t *testing.T) {
	var mu sync.Mutex
	var got []delivery
	failFirst := true
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		got = append(got, delivery{r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp"), r.Header.Get("webhook-signature"), body})
		if failFirst {
			failFirst = false
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer receiver.Close()
	srv := NewServer(WithTimeScale(0.01))
	defer srv.Close()
	auth := token(t, srv, url.Values{"scope": {"SERVER_ACCESS"}})
	post := func(path, body string) (int, map[string]any) {
		status, out, _ := raw(t, srv, "POST", path, auth, strings.NewReader(body), "Content-Type", "application/json")
		return status, out
	}
	status, hook := post("/notifications/webhooks", `{"url":"`+receiver.URL+`","name":"support","subscribedEvents":["connection.invalidated","connection.activated"]}`)
	require.Equal(t, 201, status, hook)
	secret := hook["secret"].(string)
	require.True(t, strings.HasPrefix(secret, "whsec_"))
	status, _ = post("/notifications/webhooks", `{"url":"`+receiver.URL+`","subscribedEvents":["connection.updated"]}`)
	assert.Equal(t, 400, status, "connection.updated is not delivered by webhook")

	c := srv.Connections()[0]
	status, _ = post("/_sim/connections/"+c.ConnectionID+"/invalidate", `{}`)
	require.Equal(t, 200, status)
	require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(got) >= 2 }, 5*time.Second, 10*time.Millisecond, "the 503 is retried")
	mu.Lock()
	first, retry := got[0], got[1]
	mu.Unlock()
	assert.Equal(t, first.id, retry.id, "the webhook-id is stable across retries")

	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	require.NoError(t, err)
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(retry.id + "." + retry.timestamp + "." + string(retry.body)))
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	assert.Contains(t, strings.Fields(retry.signature), want, "signed as Basiq documents")
	ts, err := strconv.ParseInt(retry.timestamp, 10, 64)
	require.NoError(t, err)
	assert.WithinDuration(t, time.Now(), time.Unix(ts, 0), time.Minute)

	var payload struct {
		EventTypeID string `json:"eventTypeId"`
		EventID     string `json:"eventId"`
		Links       struct{ Event, EventEntity string }
	}
	require.NoError(t, json.Unmarshal(retry.body, &payload))
	assert.Equal(t, "connection.invalidated", payload.EventTypeID)
	assert.True(t, strings.HasSuffix(payload.Links.EventEntity, "/connections/"+c.ConnectionID))
	event := mustGet(t, srv, strings.TrimPrefix(payload.Links.Event, srv.URL), auth)
	assert.Equal(t, payload.EventID, event["id"], "the thin payload leads to the event")
	assert.Equal(t, "updated", event["eventType"], "the events API spells it as an update")

	post("/_sim/connections/"+c.ConnectionID+"/activate", ``)
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return strings.Contains(string(got[len(got)-1].body), "connection.activated")
	}, 5*time.Second, 10*time.Millisecond)
	// The subscription's messages: newest first, each with its attempts
	// (the invalidation's first try failed with a 503).
	messages := "/notifications/webhooks/" + hook["id"].(string) + "/messages"
	list := mustGet(t, srv, messages, auth)
	data, _ := list["data"].([]any)
	require.Len(t, data, 2, "%v", list)
	newest, oldest := data[0].(map[string]any), data[1].(map[string]any)
	assert.Equal(t, "connection.activated", newest["eventTypeId"])
	assert.Equal(t, payload.EventID, oldest["eventId"])
	assert.Equal(t, first.id, oldest["id"], "the message id is the webhook-id")
	attempts, _ := oldest["attempts"].([]any)
	require.Len(t, attempts, 2)
	assert.True(t, strings.HasSuffix(attempts[0].(string), " 503") && strings.HasSuffix(attempts[1].(string), " 200"), "%v", attempts)
	one := mustGet(t, srv, messages+"/"+first.id, auth)
	assert.Equal(t, oldest["eventId"], one["eventId"])
	filtered := mustGet(t, srv, messages+"?filter="+url.QueryEscape("eventTypeId.eq('connection.invalidated')"), auth)
	assert.Len(t, filtered["data"], 1)
	status, _, _ = raw(t, srv, "GET", messages+"/msg_nothing", auth, nil)
	assert.Equal(t, 404, status)
	status, _, _ = raw(t, srv, "GET", messages+"?filter="+url.QueryEscape("status.eq('failed')"), auth, nil)
	assert.Equal(t, 400, status, "a filter whose form Basiq does not document is refused, not guessed")

	status, updated := post("/notifications/webhooks/"+hook["id"].(string), `{"url":"`+receiver.URL+`/v2","subscribedEvents":["consent.revoked"]}`)
	require.Equal(t, 200, status, updated)
	assert.Equal(t, secret, updated["secret"], "an update keeps the secret")
	assert.Equal(t, []any{"consent.revoked"}, updated["subscribedEvents"])
	status, _, _ = raw(t, srv, "DELETE", "/notifications/webhooks/"+hook["id"].(string), auth, nil)
	assert.Equal(t, 204, status)
	status, _, _ = raw(t, srv, "GET", "/notifications/webhooks/"+hook["id"].(string), auth, nil)
	assert.Equal(t, 404, status)
}

// TestSubscribeFromTheCommandLine: what --webhook-url sets up, refusing a
// URL or secret that is not one.
func TestSubscribeFromTheCommandLine(t *testing.T) {
	sim := New()
	for _, bad := range [][2]string{{"ftp://x", ""}, {"http://127.0.0.1:1/hook", "not-a-secret"}, {"http://127.0.0.1:1/hook", "whsec_%%%"}} {
		_, err := sim.Subscribe(bad[0], bad[1], "http://sim")
		assert.Error(t, err, bad)
	}
	secret, err := sim.Subscribe("http://127.0.0.1:1/hook", "", "http://sim")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(secret, "whsec_"))
	assert.Len(t, sim.webhooks, 1)
	assert.Contains(t, sim.webhooks[0].Events, "consent.revoked", "every webhook type")
}
