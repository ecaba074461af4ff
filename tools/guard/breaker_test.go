package guard_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/tools/guard"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReplicasOpenAndCloseTheBreakerTogether: two replicas on one Redis.
// Basiq fails until one replica's breaker opens; the other then calls
// Basiq no more, without failing a request of its own. After the cooldown
// one replica probes for the deployment; its success closes the breaker
// for both.
func TestReplicasOpenAndCloseTheBreakerTogether(t *testing.T) {
	var down atomic.Bool
	var hits atomic.Int32
	down.Store(true)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/token" {
			w.Write([]byte(`{"access_token":"tok","token_type":"Bearer","expires_in":3600}`))
			return
		}
		hits.Add(1)
		if down.Load() {
			w.WriteHeader(503)
			w.Write([]byte(`{"type":"list","correlationId":"c","data":[{"type":"error","code":"service-unavailable","title":"Down","detail":"down"}]}`))
			return
		}
		w.Write([]byte(`{"type":"user","id":"u1","email":"a@b.co"}`))
	}))
	t.Cleanup(api.Close)
	now := time.Now()
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	url := redisURL(t, 11)
	replica := func() *basiq.Client {
		s, err := guard.OpenRedis(url, guard.TenantFor("breaker-key", api.URL, ""))
		require.NoError(t, err)
		t.Cleanup(func() { s.Close() })
		c, err := basiq.NewClient("breaker-key", basiq.WithBaseURL(api.URL), basiq.WithClock(clock), basiq.WithCircuitBreaker(3, time.Minute),
			basiq.WithRetryPolicy(basiq.RetryPolicy{MaxAttempts: 1}), basiq.WithSharedBreaker(s))
		require.NoError(t, err)
		return c
	}
	a, b := replica(), replica()
	ctx := context.Background()
	for range 3 {
		_, err := a.GetUser(ctx, "u1")
		require.Error(t, err)
	}
	sent := hits.Load()
	_, err := b.GetUser(ctx, "u1")
	_, open := basiq.IsUnavailable(err)
	assert.True(t, open, "the other replica stops too, having failed nothing itself: %v", err)
	assert.Equal(t, sent, hits.Load(), "nothing sent")

	down.Store(false)
	mu.Lock()
	now = now.Add(time.Minute + time.Second)
	mu.Unlock()
	time.Sleep(1100 * time.Millisecond) // past the once-a-second read of the shared state
	_, err = b.GetUser(ctx, "u1")
	require.NoError(t, err, "one replica probes for the deployment")
	_, err = a.GetUser(ctx, "u1")
	assert.NoError(t, err, "and the breaker is closed for both")
}
