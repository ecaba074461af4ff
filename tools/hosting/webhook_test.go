package hosting_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq/basiqtest"
	"github.com/basiq-mcp/basiq-mcp/testdata/mcptest"
	"github.com/basiq-mcp/basiq-mcp/tools/hosting"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// journal is an in-memory Deliveries for the handler's tests.
type journal struct {
	mu   sync.Mutex
	done map[string]bool
	fail bool
}

func (j *journal) Seen(id string) (bool, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.fail {
		return false, errors.New("store down")
	}
	return j.done[id], nil
}

func (j *journal) Done(id string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.done[id] = true
	return nil
}

// sign computes a signature the way Basiq's docs describe, apart from the
// server's own code.
func sign(key []byte, id, ts, body string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + ts + "." + body))
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// TestWebhookDeliveriesAreVerified: only a delivery signed with the secret,
// within five minutes, is processed, once; bad secrets refuse to start.
func TestWebhookDeliveriesAreVerified(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	secret := "whsec_" + base64.StdEncoding.EncodeToString(key)
	parsed, err := hosting.ParseWebhookSecret(secret)
	require.NoError(t, err)
	require.Equal(t, key, parsed)
	for _, bad := range []string{"whsec_not-base64!", "sk_live_x", "whsec_" + base64.StdEncoding.EncodeToString([]byte("short"))} {
		_, err := hosting.ParseWebhookSecret(bad)
		assert.Error(t, err, bad)
	}

	var applied []string
	j := &journal{done: map[string]bool{}}
	h := hosting.Webhooks(key, j, func(_ context.Context, id string) error { applied = append(applied, id); return nil })
	body := `{"eventTypeId":"consent.revoked","eventId":"ev1","links":{}}`
	now := strconv.FormatInt(time.Now().Unix(), 10)
	send := func(id, ts, sig, body string) int {
		r := httptest.NewRequest(http.MethodPost, hosting.WebhookPath, strings.NewReader(body))
		for k, v := range map[string]string{"webhook-id": id, "webhook-timestamp": ts, "webhook-signature": sig} {
			if v != "" {
				r.Header.Set(k, v)
			}
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	stale := strconv.FormatInt(time.Now().Add(-6*time.Minute).Unix(), 10)
	future := strconv.FormatInt(time.Now().Add(6*time.Minute).Unix(), 10)
	other := []byte("another secret, another sender..")
	for name, code := range map[string]int{
		"tampered body":     send("m1", now, sign(key, "m1", now, body), strings.Replace(body, "ev1", "ev2", 1)),
		"wrong secret":      send("m1", now, sign(other, "m1", now, body), body),
		"stale timestamp":   send("m1", stale, sign(key, "m1", stale, body), body),
		"future timestamp":  send("m1", future, sign(key, "m1", future, body), body),
		"missing signature": send("m1", now, "", body),
		"another id signed": send("m2", now, sign(key, "m1", now, body), body),
	} {
		assert.Equal(t, http.StatusUnauthorized, code, name)
	}
	assert.Empty(t, applied, "nothing refused was processed")

	good := "v0,garbage " + sign(key, "m1", now, body) // any v1 entry may match
	assert.Equal(t, http.StatusOK, send("m1", now, good, body))
	assert.Equal(t, http.StatusOK, send("m1", now, good, body), "a repeated delivery is answered")
	assert.Equal(t, []string{"ev1"}, applied, "and not processed twice")

	j.fail = true
	assert.Equal(t, http.StatusServiceUnavailable, send("m3", now, sign(key, "m3", now, body), body), "a store that does not answer makes Basiq retry")
}

// TestWebhookWritesWhatTheEventSays: the simulator delivers a connection's
// invalidation to the server's receiver, signed as Basiq signs; the server
// reads the event and writes its fact into the index, so the next queue
// shows the connection invalid without reading the customer from Basiq.
func TestWebhookWritesWhatTheEventSays(t *testing.T) {
	sim, base := webhookFed(t, "hook-key", "a webhook secret of 32 bytes.....")
	reads := func() int { return sim.Calls("GET /users/{userId}/connections") }
	queue := func() []any {
		res, txt := call(t, base, "support_queue", map[string]any{"limit": 100})
		require.NotEqual(t, true, res["isError"], txt)
		return res["structuredContent"].(map[string]any)["rows"].([]any)
	}
	before := queue()
	kept := reads()
	queue()
	require.Equal(t, kept, reads(), "the second queue reads the kept triage")

	var target basiqtest.SeededConnection
	for _, c := range sim.Connections() {
		if c.Status == "active" && c.FailCode == "" {
			target = c
			break
		}
	}
	req, _ := http.NewRequest(http.MethodPost, sim.URL+"/token", strings.NewReader("scope=SERVER_ACCESS"))
	req.Header.Set("Authorization", "Basic hook-key")
	req.Header.Set("basiq-version", "3.0")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&tok))
	resp.Body.Close()
	req, _ = http.NewRequest(http.MethodPost, sim.URL+"/_sim/connections/"+target.ConnectionID+"/invalidate", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)

	require.Eventually(t, func() bool { return sim.Calls("GET /events/{id}") > 0 }, 5*time.Second, 20*time.Millisecond, "the server read the delivered event")
	require.Eventually(t, func() bool {
		for _, u := range queue() {
			if row := u.(map[string]any); row["connection_id"] == target.ConnectionID && row["reason"] == "connection-invalid" {
				return true
			}
		}
		return false
	}, 5*time.Second, 50*time.Millisecond, "the next queue shows what the event said")
	assert.Equal(t, kept, reads(), "without reading the customer from Basiq")
	assert.GreaterOrEqual(t, len(queue()), len(before))
}

// TestSubscriberHearsOfAChangedCustomer: a client subscribed to a
// customer's resource gets notifications/resources/updated within seconds
// of the webhook that says the customer changed; another customer's
// change says nothing to it. Both ways of subscribing are served: the
// legacy resources/subscribe on a session with its GET stream, and a
// stateless 2026-07-28 subscriptions/listen stream.
func TestSubscriberHearsOfAChangedCustomer(t *testing.T) {
	t.Parallel()
	sim, base := webhookFed(t, "sub-key", "another webhook secret of 32 b..")
	customers := activeCustomers(t, sim, 4)
	// The legacy flow needs the session's GET stream.
	//lint:ignore SA1019 the legacy subscription flow is the one under test
	legacy := httpClient(t, base, transport.WithContinuousListening())
	hearsOnlyItsCustomer(t, legacy, sim.URL, "sub-key", customers[0], customers[1], "basiq://users/"+customers[0].UserID, subscribeLegacy)
	hearsOnlyItsCustomer(t, httpClient(t, base), sim.URL, "sub-key", customers[2], customers[3], "basiq://users/"+customers[2].UserID, subscribeListen)
}

// webhookFed runs a simulator pinned to key and the server over HTTP
// against it, with Basiq's webhooks delivered to the server, signed with a
// secret made from seed (32 bytes).
func webhookFed(t *testing.T, key, seed string) (*basiqtest.Server, string) {
	t.Helper()
	sim := basiqtest.NewServer(basiqtest.WithAPIKey(key), basiqtest.WithTimeScale(0.01))
	t.Cleanup(sim.Close)
	secret := "whsec_" + base64.StdEncoding.EncodeToString([]byte(seed))
	base := mcptest.StartServer(t, binary, sandboxEnv("BASIQ_API_KEY="+key, "BASIQ_BASE_URL="+sim.URL, "BASIQ_WEBHOOK_SECRET="+secret),
		"--transport", "http", "--state-dir", t.TempDir(), "--index-share", "0")
	_, err := sim.Subscribe(base+hosting.WebhookPath, secret, sim.URL)
	require.NoError(t, err)
	return sim, base
}

// activeCustomers are at least n customers, each with one active
// connection.
func activeCustomers(t *testing.T, sim *basiqtest.Server, n int) []basiqtest.SeededConnection {
	t.Helper()
	seen := map[string]bool{}
	var customers []basiqtest.SeededConnection
	for _, x := range sim.Connections() {
		if x.Status == "active" && !seen[x.UserID] {
			seen[x.UserID] = true
			customers = append(customers, x)
		}
	}
	require.GreaterOrEqual(t, len(customers), n)
	return customers
}

// httpClient is a streamable HTTP client of the server at base, not started.
func httpClient(t *testing.T, base string, opts ...transport.StreamableHTTPCOption) *client.Client {
	t.Helper()
	c, err := client.NewStreamableHttpClient(base+"/mcp", opts...)
	require.NoError(t, err)
	return c
}

// subscribeLegacy initializes a session and subscribes it to uri.
func subscribeLegacy(t *testing.T, ctx context.Context, c *client.Client, uri string) {
	mcptest.Initialize(t, ctx, c)
	sub := mcp.SubscribeRequest{}
	sub.Params.URI = uri
	//lint:ignore SA1019 the legacy subscription flow is the one under test
	require.NoError(t, c.Subscribe(ctx, sub))
}

// subscribeListen speaks 2026-07-28 and opens a subscriptions/listen
// stream for uri.
func subscribeListen(t *testing.T, ctx context.Context, c *client.Client, uri string) {
	req := mcp.InitializeRequest{}
	req.Params.ProtocolVersion = mcp.ProtocolVersion20260728
	req.Params.ClientInfo = mcp.Implementation{Name: "listen", Version: "1"}
	_, err := c.Initialize(ctx, req)
	require.NoError(t, err)
	_, err = c.ListenAsync(ctx, mcp.SubscriptionFilter{ResourceSubscriptions: []string{uri}}, nil)
	require.NoError(t, err)
}

// hearsOnlyItsCustomer starts c, subscribes it to uri (one of mine's
// customer's resources), changes other's connection and then mine's, and
// expects to hear of uri alone.
func hearsOnlyItsCustomer(t *testing.T, c *client.Client, simURL, key string, mine, other basiqtest.SeededConnection, uri string,
	subscribe func(*testing.T, context.Context, *client.Client, string)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	require.NoError(t, c.Start(ctx))
	defer c.Close()
	var heard mcptest.Heard
	c.OnNotification(func(n mcp.JSONRPCNotification) {
		if n.Method == "notifications/resources/updated" {
			heard.Add(fmt.Sprint(n.Params.AdditionalFields["uri"]))
		}
	})
	subscribe(t, ctx, c, uri)
	heard.OnlyItsCustomer(t, simURL, key, other.ConnectionID, mine.ConnectionID, uri, 5*time.Second)
}

// TestReplicaHearsOfAnotherReplicasEvent: behind two replicas on one Redis,
// Basiq's webhook reaches one of them, and a client subscribed on the other
// still hears of its customer's change.
func TestReplicaHearsOfAnotherReplicasEvent(t *testing.T) {
	t.Parallel()
	state := testRedis(t, 8)
	sim := basiqtest.NewServer(basiqtest.WithAPIKey("fleet-key"), basiqtest.WithTimeScale(0.01))
	t.Cleanup(sim.Close)
	secret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("the fleet's webhook secret, 32 b"))
	start := func() string {
		return mcptest.StartServer(t, binary, sandboxEnv("BASIQ_API_KEY=fleet-key", "BASIQ_BASE_URL="+sim.URL,
			"BASIQ_WEBHOOK_SECRET="+secret, "BASIQ_MCP_STATE_URL="+state), "--transport", "http", "--index-share", "0")
	}
	receiver, other := start(), start()
	_, err := sim.Subscribe(receiver+hosting.WebhookPath, secret, sim.URL)
	require.NoError(t, err)
	customers := activeCustomers(t, sim, 2)
	//lint:ignore SA1019 the legacy subscription flow needs the session's GET stream
	c := httpClient(t, other, transport.WithContinuousListening())
	hearsOnlyItsCustomer(t, c, sim.URL, "fleet-key", customers[0], customers[1], "basiq://users/"+customers[0].UserID, subscribeLegacy)
}

// TestStdioSubscriberHearsThroughThePoller: no webhook reaches an editor's
// stdio server, so it polls Basiq's events, and a client subscribed over
// stdio hears of its customer's change.
func TestStdioSubscriberHearsThroughThePoller(t *testing.T) {
	t.Parallel()
	sim := basiqtest.NewServer(basiqtest.WithAPIKey("stdio-key"), basiqtest.WithTimeScale(0.01))
	t.Cleanup(sim.Close)
	customers := activeCustomers(t, sim, 2)
	env := sandboxEnv("BASIQ_API_KEY=stdio-key", "BASIQ_BASE_URL="+sim.URL, "BASIQ_MCP_STATE_DIR="+t.TempDir())
	// client.Start, which NewStdioMCPClient skips, is what hands
	// notifications to OnNotification.
	c := client.NewClient(transport.NewStdio(binary, env, "--events-poll", "200ms", "--background-delay", "0s"))
	// stdio has no subscriptions/listen; resources/subscribe is its flow.
	hearsOnlyItsCustomer(t, c, sim.URL, "stdio-key", customers[0], customers[1], "basiq://users/"+customers[0].UserID+"/connections", subscribeLegacy)
}

// TestStdioProcessesOnOneFileShareThePoller: two editor windows each run a
// stdio server on one state file; one polls Basiq's events (the other has
// its poller off, so it cannot be the one), and a client subscribed to the
// other still hears of its customer's change, through the file.
func TestStdioProcessesOnOneFileShareThePoller(t *testing.T) {
	t.Parallel()
	sim := basiqtest.NewServer(basiqtest.WithAPIKey("two-windows"), basiqtest.WithTimeScale(0.01))
	t.Cleanup(sim.Close)
	customers := activeCustomers(t, sim, 2)
	env := sandboxEnv("BASIQ_API_KEY=two-windows", "BASIQ_BASE_URL="+sim.URL, "BASIQ_MCP_STATE_DIR="+t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	poller := client.NewClient(transport.NewStdio(binary, env, "--events-poll", "200ms", "--background-delay", "0s", "--index-share", "0"))
	require.NoError(t, poller.Start(ctx))
	defer poller.Close()
	mcptest.Initialize(t, ctx, poller)
	c := client.NewClient(transport.NewStdio(binary, env, "--events-poll", "0", "--index-share", "0"))
	hearsOnlyItsCustomer(t, c, sim.URL, "two-windows", customers[0], customers[1], "basiq://users/"+customers[0].UserID, subscribeLegacy)
}
