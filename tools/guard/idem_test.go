package guard_test

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/tools/guard"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestClaimsDoNotOutliveTheirOwner: a key claimed by a process that died
// does not block its retries for the key's 24 hours. A claim whose owner
// died before sending is taken over at once by the next retry, which asks
// Basiq first and creates only if nothing is there; one whose owner died
// while sending is said to be "may have been sent", truthfully; and a live
// owner's claim makes a retry wait.
func TestClaimsDoNotOutliveTheirOwner(t *testing.T) {
	store, err := guard.OpenBolt(filepath.Join(t.TempDir(), "g.db"))
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	i := guard.NewIdempotency(store, nil)
	args := map[string]string{"email": "a@b.co"}
	hash := argsHash(t, args)
	var creates atomic.Int32
	create := func() (any, error) { creates.Add(1); return map[string]string{"id": "u-new"}, nil }
	nothing := func(time.Time) (any, bool, error) { return nil, false, nil }

	// A process claimed k-dead and died before sending anything.
	_, _, err = store.Claim("create_user\x00k-dead", guard.Record{ArgsHash: hash, State: guard.StatePending, Created: time.Now()}, guard.IdempotencyTTL)
	require.NoError(t, err)
	raw, replayed, err := i.Do("create_user", "k-dead", args, create, nothing)
	require.NoError(t, err, "the retry takes over a claim whose owner is gone")
	assert.False(t, replayed)
	assert.JSONEq(t, `{"id":"u-new"}`, string(raw))
	assert.Equal(t, int32(1), creates.Load(), "created once, after Basiq showed nothing")

	// A process died while sending: without a way to look, nothing is sent
	// again, and the message says it may have been carried out.
	_, _, err = store.Claim("create_user\x00k-sending", guard.Record{ArgsHash: hash, State: guard.StateSending, Created: time.Now()}, guard.IdempotencyTTL)
	require.NoError(t, err)
	_, _, err = i.Do("create_user", "k-sending", args, create, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "may have")
	assert.Equal(t, int32(1), creates.Load(), "nothing sent again")

	// A live owner: a retry meanwhile waits.
	started, release := make(chan struct{}), make(chan struct{})
	slow := func() (any, error) { close(started); <-release; return map[string]string{"id": "u-slow"}, nil }
	done := make(chan error, 1)
	go func() { _, _, err := i.Do("create_user", "k-live", args, slow, nothing); done <- err }()
	<-started
	other := guard.NewIdempotency(store, nil) // another process on the same store
	_, _, err = other.Do("create_user", "k-live", args, create, nothing)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "still being carried out")
	close(release)
	require.NoError(t, <-done)
	raw, replayed, err = other.Do("create_user", "k-live", args, create, nothing)
	require.NoError(t, err)
	assert.True(t, replayed)
	assert.JSONEq(t, `{"id":"u-slow"}`, string(raw))
	assert.Equal(t, int32(1), creates.Load())
}

func argsHash(t *testing.T, args any) string {
	t.Helper()
	raw, err := json.Marshal(args)
	require.NoError(t, err)
	return guard.HashArgs(raw)
}

// TestUnknownOutcomeBasiqShowsNothingIsSentAgain: a create whose answer
// was lost, where a look at Basiq completes and finds nothing made since,
// is sent again by the next retry with the key (it was not carried out),
// rather than refused for the key's 24 hours; one the look cannot settle
// stays refused.
func TestUnknownOutcomeBasiqShowsNothingIsSentAgain(t *testing.T) {
	store, err := guard.OpenBolt(filepath.Join(t.TempDir(), "g.db"))
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	i := guard.NewIdempotency(store, nil)
	args := map[string]string{"email": "a@b.co"}
	_, _, err = store.Claim("create_user\x00k-unknown", guard.Record{ArgsHash: argsHash(t, args), State: guard.StateUnknown, Created: time.Now()}, guard.IdempotencyTTL)
	require.NoError(t, err)
	var creates atomic.Int32
	create := func() (any, error) { creates.Add(1); return map[string]string{"id": "u-again"}, nil }
	cannotLook := func(time.Time) (any, bool, error) { return nil, false, errors.New("Basiq lists no users") }
	_, _, err = i.Do("create_user", "k-unknown", args, create, cannotLook)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "may have")
	assert.Zero(t, creates.Load())

	nothing := func(time.Time) (any, bool, error) { return nil, false, nil }
	raw, replayed, err := i.Do("create_user", "k-unknown", args, create, nothing)
	require.NoError(t, err)
	assert.False(t, replayed)
	assert.JSONEq(t, `{"id":"u-again"}`, string(raw))
	assert.Equal(t, int32(1), creates.Load())
}

// TestAbandonedCreatesAreFoundAndSettled: a create left sending by a
// process whose lease lapsed is listed with its arguments; settling it
// with what Basiq shows makes it the key's result (a retry replays it),
// and with nothing found releases the key (a retry sends). A create whose
// owner still holds its lease is not listed, and one settled is not again.
func TestAbandonedCreatesAreFoundAndSettled(t *testing.T) {
	store, err := guard.OpenBolt(filepath.Join(t.TempDir(), "g.db"))
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	now := time.Now()
	clock := func() time.Time { return now }
	i := guard.NewIdempotency(store, clock)
	args := map[string]string{"email": "a@b.co"}
	call, _ := json.Marshal(args)
	old := now.Add(-time.Minute)
	for _, k := range []string{"k-found", "k-nothing"} {
		_, _, err := store.Claim("create_user\x00"+k, guard.Record{ArgsHash: argsHash(t, args), State: guard.StateSending, Created: old, Call: call}, guard.IdempotencyTTL)
		require.NoError(t, err)
	}
	_, _, err = store.Claim("create_user\x00k-young", guard.Record{ArgsHash: argsHash(t, args), State: guard.StateSending, Created: now, Call: call}, guard.IdempotencyTTL)
	require.NoError(t, err)
	left, err := i.Abandoned()
	require.NoError(t, err)
	require.Len(t, left, 2, "the young claim's owner may still be sending")
	for _, a := range left {
		assert.JSONEq(t, `{"email":"a@b.co"}`, string(a.Call))
		settled, err := i.Settle(a, map[string]string{"id": "u-found"}, a.Key == "k-found")
		require.NoError(t, err)
		assert.True(t, settled)
	}
	left, err = i.Abandoned()
	require.NoError(t, err)
	require.Len(t, left, 1, "the one found is done, its outcome line not yet written")
	assert.JSONEq(t, `{"id":"u-found"}`, string(left[0].Result))
	lines := 0
	for n := range 2 { // a second process, or a retry, finds it written
		wrote, err := i.Outcome("create_user", "k-found", "k-found-attempt", func(json.RawMessage) { lines++ })
		require.NoError(t, err)
		assert.Equal(t, n == 0, wrote)
	}
	assert.Equal(t, 1, lines, "the outcome line is written once")
	left, err = i.Abandoned()
	require.NoError(t, err)
	assert.Empty(t, left, "settled once")
	var creates atomic.Int32
	create := func() (any, error) { creates.Add(1); return map[string]string{"id": "u-sent"}, nil }
	raw, replayed, err := i.Do("create_user", "k-found", args, create, nil)
	require.NoError(t, err)
	assert.True(t, replayed)
	assert.JSONEq(t, `{"id":"u-found"}`, string(raw))
	raw, replayed, err = i.Do("create_user", "k-nothing", args, create, nil)
	require.NoError(t, err)
	assert.False(t, replayed)
	assert.JSONEq(t, `{"id":"u-sent"}`, string(raw))
	assert.Equal(t, int32(1), creates.Load())
}
