package guard_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/tools/guard"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// storeCallerQuota: a quota counts per caller in the store, only callers
// with a token are counted, and it never touches the deployment's budget.
func storeCallerQuota(t *testing.T, s guard.Store) {
	now := time.Now()
	clock := func() time.Time { return now }
	q := guard.NewQuota(s, "reports", 2, 24*time.Hour, clock)
	ada := guard.WithCaller(context.Background(), guard.Caller{Subject: "ada", ClientID: "bot"})
	bob := guard.WithCaller(context.Background(), guard.Caller{Subject: "bob", ClientID: "bot"})
	for range 2 {
		require.NoError(t, q.Check(ada))
		require.NoError(t, q.Take(ada))
	}
	err := q.Check(ada)
	var qe *guard.QuotaError
	require.True(t, errors.As(err, &qe), "the third report in a day is refused: %v", err)
	assert.Equal(t, now.Add(24*time.Hour).Unix(), qe.RetryAt.Unix())
	assert.NoError(t, q.Check(bob), "another caller has a quota of its own")
	assert.NoError(t, q.Check(context.Background()), "no token, no caller quota")
	now = now.Add(24*time.Hour + time.Second)
	assert.NoError(t, q.Check(ada), "the window moves on")

	// The budget: burst 2, barely refilling. The quota's takes leave it as
	// it was: one refresh after the first, then none.
	r := guard.Reservation{Key: "u/c", Now: now, CapWindow: time.Hour, PerMinute: 0.001, Burst: 2}
	for i, key := range []string{"u/c1", "u/c2", "u/c3"} {
		if i > 0 {
			require.NoError(t, q.Take(ada))
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
