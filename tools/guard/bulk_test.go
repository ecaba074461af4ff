package guard_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/tools/guard"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// storeSpread: the bulk rule's store step. Twenty simultaneous customers in
// one scope with a maximum of 3: exactly 3 pass; a customer already in the
// window passes again; a look records nothing; another scope is apart; the
// window moves on.
func storeSpread(t *testing.T, s guard.Store) {
	now := time.Now()
	var passed atomic.Int32
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			ok, _, err := s.Spread(guard.Spread{Key: "bulk|local", Member: fmt.Sprintf("u%d", i), Now: now, Window: 10 * time.Minute, Max: 3})
			assert.NoError(t, err)
			if ok {
				passed.Add(1)
			}
		})
	}
	wg.Wait()
	assert.EqualValues(t, 3, passed.Load())
	ok, count, err := s.Spread(guard.Spread{Key: "bulk|local", Member: "u-new", Now: now, Window: 10 * time.Minute, Max: 3, Look: true})
	require.NoError(t, err)
	assert.False(t, ok)
	assert.Equal(t, 4, count, "a fourth customer would make 4")
	ok, _, err = s.Spread(guard.Spread{Key: "bulk|caller:2:ab|c", Member: "u-new", Now: now, Window: 10 * time.Minute, Max: 3})
	require.NoError(t, err)
	assert.True(t, ok, "another caller has a window of its own")
	ok, _, err = s.Spread(guard.Spread{Key: "bulk|local", Member: "u-new", Now: now.Add(11 * time.Minute), Window: 10 * time.Minute, Max: 3})
	require.NoError(t, err)
	assert.True(t, ok, "the window moved on")
}
