package basiq_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBreakerOpenedByTokenFailuresCloses: Basiq's token endpoint fails
// until the breaker opens; once it recovers, the probe after the cooldown
// asks for a token (it is part of the probe, not refused as a second one)
// and the breaker closes.
func TestBreakerOpenedByTokenFailuresCloses(t *testing.T) {
	var down atomic.Bool
	var tokens atomic.Int32
	down.Store(true)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/token" {
			tokens.Add(1)
			if down.Load() {
				basiqError(w, 503, "service-unavailable", "down")
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"access_token":"tok","token_type":"Bearer","expires_in":3600}`))
			return
		}
		reply(w, 200, userJSON)
	}))
	t.Cleanup(api.Close)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	c, err := basiq.NewClient("test-key", basiq.WithBaseURL(api.URL), basiq.WithClock(clock), basiq.WithCircuitBreaker(3, time.Minute),
		basiq.WithRetryPolicy(basiq.RetryPolicy{MaxAttempts: 1}))
	require.NoError(t, err)
	ctx := context.Background()
	for range 3 {
		_, err := c.GetUser(ctx, "u1")
		require.Error(t, err)
	}
	_, err = c.GetUser(ctx, "u1")
	_, open := basiq.IsUnavailable(err)
	require.True(t, open, "three failed token requests open the breaker")
	asked := tokens.Load()

	down.Store(false)
	mu.Lock()
	now = now.Add(time.Minute)
	mu.Unlock()
	_, err = c.GetUser(ctx, "u1")
	require.NoError(t, err, "the probe after the cooldown gets its token and its answer")
	assert.Equal(t, asked+1, tokens.Load(), "one token request, the probe's")
	_, err = c.GetUser(ctx, "u1")
	assert.NoError(t, err, "the breaker is closed")
}
