package guard_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/tools/guard"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// storeCallerQuota: a quota counts per caller in the store, only callers
// with a token are counted, a use not carried out is taken back, and it
// never touches the deployment's budget.
func storeCallerQuota(t *testing.T, s guard.Store) {
	now := time.Now()
	clock := func() time.Time { return now }
	q := guard.NewQuota(s, "reports", 2, 24*time.Hour, clock)
	ada := guard.WithCaller(context.Background(), guard.Caller{Subject: "ada", ClientID: "bot"})
	bob := guard.WithCaller(context.Background(), guard.Caller{Subject: "bob", ClientID: "bot"})
	unsent, err := q.Reserve(ada)
	require.NoError(t, err)
	unsent.Release() // a replay: nothing was sent, the use comes back
	for range 2 {
		h, err := q.Reserve(ada)
		require.NoError(t, err)
		h.Keep()
		h.Release() // kept: no effect
	}
	_, err = q.Reserve(ada)
	var qe *guard.QuotaError
	require.True(t, errors.As(err, &qe), "the third report in a day is refused: %v", err)
	assert.Equal(t, now.Add(24*time.Hour).Unix(), qe.RetryAt.Unix())
	h, err := q.Reserve(bob)
	assert.NoError(t, err, "another caller has a quota of its own")
	h.Release()
	h, err = q.Reserve(context.Background())
	assert.NoError(t, err, "no token, no caller quota")
	assert.Nil(t, h)
	now = now.Add(24*time.Hour + time.Second)

	// The budget: burst 2, barely refilling. The quota's uses leave it as
	// it was: one refresh after the first, then none.
	r := guard.Reservation{Key: "u/c", Now: now, CapWindow: time.Hour, PerMinute: 0.001, Burst: 2}
	for i, key := range []string{"u/c1", "u/c2", "u/c3"} {
		if i > 0 {
			h, err := q.Reserve(ada)
			require.NoError(t, err, "the window moved on")
			h.Keep()
		}
		r.Key = key
		v, err := s.Reserve(r)
		require.NoError(t, err)
		if i < 2 {
			assert.Empty(t, v.Rule, "refresh %d is within the budget", i+1)
		} else {
			assert.Equal(t, guard.RuleBudget, v.Rule, "the budget of 2 is spent")
		}
	}
}

// storeQuotaUnderLoad: fifty simultaneous uses of one caller against a
// quota of five: exactly five pass, whatever the interleaving.
func storeQuotaUnderLoad(t *testing.T, s guard.Store) {
	q := guard.NewQuota(s, "refreshes", 5, time.Hour, nil)
	ctx := guard.WithCaller(context.Background(), guard.Caller{Subject: "ada", ClientID: "bot"})
	var passed atomic.Int32
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if h, err := q.Reserve(ctx); err == nil {
				h.Keep()
				passed.Add(1)
			}
		})
	}
	wg.Wait()
	assert.EqualValues(t, 5, passed.Load())
}
