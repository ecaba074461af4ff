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

func TestCircuitBreakerFailsFastWhileBasiqIsDown(t *testing.T) {
	var healthy atomic.Bool
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		if healthy.Load() {
			reply(w, 200, userJSON)
			return
		}
		basiqError(w, 503, "service-unavailable", "down")
	})
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	c := api.client(t, basiq.WithClock(clock), basiq.WithCircuitBreaker(3, time.Minute),
		basiq.WithRetryPolicy(basiq.RetryPolicy{MaxAttempts: 1}))
	ctx := context.Background()
	for range 3 {
		_, err := c.GetUser(ctx, "u1")
		e, _ := basiq.AsError(err)
		require.NotNil(t, e)
		assert.Equal(t, 503, e.StatusCode)
	}
	sent := len(api.requests())
	_, err := c.GetUser(ctx, "u1")
	wait, open := basiq.IsUnavailable(err)
	assert.True(t, open, "the fourth call fails fast")
	assert.Equal(t, time.Minute, wait)
	assert.Len(t, api.requests(), sent, "nothing was sent while open")

	mu.Lock()
	now = now.Add(time.Minute)
	mu.Unlock()
	_, err = c.GetUser(ctx, "u1")
	_, open = basiq.IsUnavailable(err)
	assert.False(t, open, "after the cooldown one probe is sent")
	assert.Len(t, api.requests(), sent+1)
	_, err = c.GetUser(ctx, "u1")
	_, open = basiq.IsUnavailable(err)
	assert.True(t, open, "a failed probe opens the breaker again")

	healthy.Store(true)
	mu.Lock()
	now = now.Add(time.Minute)
	mu.Unlock()
	_, err = c.GetUser(ctx, "u1")
	require.NoError(t, err, "a good probe closes it")
	_, err = c.GetUser(ctx, "u1")
	require.NoError(t, err)

	notFound := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) { basiqError(w, 404, "resource-not-found", "no") })
	nc := notFound.client(t, basiq.WithCircuitBreaker(2, time.Minute))
	for range 5 {
		_, err := nc.GetUser(ctx, "u1")
		assert.True(t, basiq.IsNotFound(err), "Basiq answering 404 is not Basiq being down")
	}
}

// sharedState is a deployment's shared breaker held in memory, with
// another process leading the probe when othersProbe is set.
type sharedState struct {
	mu          sync.Mutex
	until       time.Time
	othersProbe bool
}

func (s *sharedState) BreakerOpenUntil(context.Context) (time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.until, nil
}

func (s *sharedState) OpenBreaker(_ context.Context, until time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.until = until
	return nil
}

func (s *sharedState) CloseBreaker(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.until = time.Time{}
	return nil
}

func (s *sharedState) LeadProbe(context.Context, time.Duration) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.othersProbe, nil
}

// TestBreakerRefusedByTheDeploymentStillCloses: once its cooldown is
// over, a process whose half-open probe the deployment refuses (another
// replica probes) must not keep refusing every call after that replica's
// probe closed the breaker for all. Found by the scripted day: two of three
// replicas refused every call for good after Basiq's token endpoint came
// back, while /healthz said their breaker was closed.
func TestBreakerRefusedByTheDeploymentStillCloses(t *testing.T) {
	var healthy atomic.Bool
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		if healthy.Load() {
			reply(w, 200, userJSON)
			return
		}
		basiqError(w, 503, "service-unavailable", "down")
	})
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	shared := &sharedState{}
	c := api.client(t, basiq.WithClock(clock), basiq.WithCircuitBreaker(3, time.Minute),
		basiq.WithRetryPolicy(basiq.RetryPolicy{MaxAttempts: 1}), basiq.WithSharedBreaker(shared))
	ctx := context.Background()
	for range 3 {
		_, err := c.GetUser(ctx, "u1")
		require.Error(t, err)
	}
	mu.Lock()
	now = now.Add(2 * time.Minute) // past the cooldown, and past the next shared read
	mu.Unlock()
	shared.mu.Lock()
	shared.othersProbe = true // another replica leads the probe
	shared.mu.Unlock()
	_, err := c.GetUser(ctx, "u1")
	_, open := basiq.IsUnavailable(err)
	require.True(t, open, "another replica probes")

	healthy.Store(true)
	require.NoError(t, shared.CloseBreaker(ctx)) // its probe was answered: closed for all
	mu.Lock()
	now = now.Add(2 * time.Second)
	mu.Unlock()
	_, err = c.GetUser(ctx, "u1")
	require.NoError(t, err, "this replica calls Basiq again")
}
