package guard_test

import (
	"fmt"
	"github.com/basiq-mcp/basiq-mcp/testdata/mcptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/tools/guard"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// redisURL is a clean database of the shared test Redis (mcptest.Redis).
func redisURL(t *testing.T, db int) string { return mcptest.Redis(t, db) }

func openRedis(t *testing.T) guard.Store {
	s, err := guard.OpenRedis(redisURL(t, 1), guard.TenantFor("test-key", "https://au-api.basiq.io", ""))
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

var clusterTenants atomic.Int64

// openCluster is a store on the shared Redis Cluster, in a namespace of
// its own.
func openCluster(t *testing.T) guard.Store {
	tenant := guard.TenantFor(fmt.Sprintf("cluster-%d-%d", time.Now().UnixNano(), clusterTenants.Add(1)), "https://au-api.basiq.io", "")
	s, err := guard.OpenRedis(mcptest.Cluster(t), tenant)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

func openBolt(t *testing.T) guard.Store {
	s, err := guard.OpenBolt(filepath.Join(t.TempDir(), "state.db"))
	require.NoError(t, err)
	return s
}

// TestStoreContract runs one suite against both stores (Redis alone and as
// a Cluster): the same rules, the same atomicity.
func TestStoreContract(t *testing.T) {
	for name, open := range map[string]func(*testing.T) guard.Store{"bbolt": openBolt, "redis": openRedis, "redis cluster": openCluster} {
		t.Run(name, func(t *testing.T) {
			t.Run("rules", func(t *testing.T) { storeRules(t, open(t)) })
			t.Run("one of many concurrent reservations passes", func(t *testing.T) { storeConcurrentReserve(t, open(t)) })
			t.Run("the budget is shared by every key", func(t *testing.T) { storeBudget(t, open(t)) })
			t.Run("use once", func(t *testing.T) { storeUseOnce(t, open(t)) })
			t.Run("claims", func(t *testing.T) { storeClaims(t, open(t)) })
			t.Run("directory", func(t *testing.T) { storeDirectory(t, open(t)) })
			t.Run("caller quotas", func(t *testing.T) { storeCallerQuota(t, open(t)) })
			t.Run("caller quotas under load", func(t *testing.T) { storeQuotaUnderLoad(t, open(t)) })
			t.Run("bulk spread", func(t *testing.T) { storeSpread(t, open(t)) })
			t.Run("scan records", func(t *testing.T) { storeScanRecords(t, open(t)) })
		})
	}
}

func reservation(key string, now time.Time) guard.Reservation {
	return guard.Reservation{Key: key, Now: now, Cooldown: time.Hour, Cap: 3, CapWindow: 24 * time.Hour, PerMinute: 100, Burst: 100}
}

func storeRules(t *testing.T, s guard.Store) {
	now := time.Now()
	require.NoError(t, s.Ping())
	dry := reservation("u1/c1", now)
	dry.DryRun = true
	v, err := s.Reserve(dry)
	require.NoError(t, err)
	assert.Empty(t, v.Rule, "allowed")
	v, err = s.Reserve(reservation("u1/c1", now))
	require.NoError(t, err)
	assert.Empty(t, v.Rule, "the dry run recorded nothing")
	v, err = s.Reserve(reservation("u1/c1", now.Add(time.Minute)))
	require.NoError(t, err)
	assert.Equal(t, guard.RuleCooldown, v.Rule)
	assert.WithinDuration(t, now.Add(time.Hour), v.RetryAt, time.Millisecond)
	for i := 1; i <= 2; i++ {
		v, err = s.Reserve(reservation("u1/c1", now.Add(time.Duration(i)*2*time.Hour)))
		require.NoError(t, err)
		assert.Empty(t, v.Rule)
	}
	v, err = s.Reserve(reservation("u1/c1", now.Add(7*time.Hour)))
	require.NoError(t, err)
	assert.Equal(t, guard.RuleCap, v.Rule)
	assert.Equal(t, 3, v.Count)
	assert.WithinDuration(t, now.Add(24*time.Hour), v.RetryAt, time.Millisecond, "when the first leaves the window")

	seen := reservation("u2/c2", now)
	seen.Seen = 3 // Basiq's job history shows three refreshes this state never saw
	v, err = s.Reserve(seen)
	require.NoError(t, err)
	assert.Equal(t, guard.RuleCap, v.Rule)
	since := reservation("u3/c3", now)
	since.Since = now.Add(-10 * time.Minute) // Basiq's lastUsed or newest job
	v, err = s.Reserve(since)
	require.NoError(t, err)
	assert.Equal(t, guard.RuleCooldown, v.Rule)
}

func storeConcurrentReserve(t *testing.T, s guard.Store) {
	now := time.Now()
	var passed atomic.Int32
	var wg sync.WaitGroup
	for range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := s.Reserve(reservation(guard.Key("U9", "C9"), now))
			if assert.NoError(t, err) && v.Rule == "" {
				passed.Add(1)
			}
		}()
	}
	wg.Wait()
	assert.EqualValues(t, 1, passed.Load(), "exactly one reservation passes")
	v, err := s.Reserve(reservation(guard.Key("u9", "c9"), now))
	require.NoError(t, err)
	assert.Equal(t, guard.RuleCooldown, v.Rule, "ids are case-folded: one connection, however it is spelled")
}

func storeBudget(t *testing.T, s guard.Store) {
	now := time.Now()
	passed := 0
	for i := range 10 {
		r := reservation(fmt.Sprintf("u/c%d", i), now)
		r.PerMinute, r.Burst = 1, 3
		v, err := s.Reserve(r)
		require.NoError(t, err)
		if v.Rule == "" {
			passed++
		} else {
			assert.Equal(t, guard.RuleBudget, v.Rule)
		}
	}
	assert.Equal(t, 3, passed, "a burst of 3, then one a minute")
}

func storeUseOnce(t *testing.T, s guard.Store) {
	var first atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := s.UseOnce("nonce-1", time.Now().Add(time.Minute))
			if assert.NoError(t, err) && ok {
				first.Add(1)
			}
		}()
	}
	wg.Wait()
	assert.EqualValues(t, 1, first.Load())
}

func storeClaims(t *testing.T, s guard.Store) {
	now := time.Now().UTC()
	var claimed atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, ok, err := s.Claim("create_user\x00k1", guard.Record{ArgsHash: "h", State: guard.StatePending, Created: now}, time.Hour)
			if assert.NoError(t, err) && ok {
				claimed.Add(1)
			}
		}()
	}
	wg.Wait()
	assert.EqualValues(t, 1, claimed.Load(), "one claim wins")
	require.NoError(t, s.PutRecord("create_user\x00k1", guard.Record{ArgsHash: "h", State: guard.StateDone, Result: []byte(`{"id":"u1"}`), Created: now}, time.Hour))
	rec, ok, err := s.Claim("create_user\x00k1", guard.Record{State: guard.StatePending, Created: now}, time.Hour)
	require.NoError(t, err)
	assert.False(t, ok)
	assert.Equal(t, guard.StateDone, rec.State)
	assert.JSONEq(t, `{"id":"u1"}`, string(rec.Result))
	require.NoError(t, s.DeleteRecord("create_user\x00k1"))
	_, ok, err = s.Claim("create_user\x00k1", guard.Record{State: guard.StatePending, Created: now}, time.Hour)
	require.NoError(t, err)
	assert.True(t, ok, "a deleted record frees its key")
}

func storeDirectory(t *testing.T, s guard.Store) {
	require.NoError(t, s.PutUsers(guard.KnownUser{ID: "ABC-1", Name: "Ada", Email: "ada@example.com"}))
	u, ok, err := s.GetUser("abc-1")
	require.NoError(t, err)
	require.True(t, ok, "found however the id is spelled")
	assert.Equal(t, "Ada", u.Name)
	n := 0
	require.NoError(t, s.ScanUsers(func(guard.KnownUser) bool { n++; return true }))
	assert.Equal(t, 1, n)
	require.NoError(t, s.DeleteUser("Abc-1"))
	_, ok, err = s.GetUser("abc-1")
	require.NoError(t, err)
	assert.False(t, ok)
}

// TestBoltFileRemovedFailsClosed: a state file removed while the server
// runs stops writes with the store-down error instead of a panic, and is
// not quietly made anew.
func TestBoltFileRemovedFailsClosed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := guard.OpenBolt(path)
	require.NoError(t, err)
	require.NoError(t, os.Remove(path))
	_, _, err = s.Claim("k", guard.Record{State: guard.StatePending, Created: time.Now()}, time.Hour)
	assert.ErrorIs(t, err, guard.ErrStoreDown)
	_, err = s.UseOnce("n", time.Now().Add(time.Minute))
	assert.ErrorIs(t, err, guard.ErrStoreDown)
	assert.Error(t, s.Ping())
}

func storeScanRecords(t *testing.T, s guard.Store) {
	now := time.Now().UTC()
	for _, k := range []string{"create_user\x00a", "create_user\x00b", "create_report\x00a", "lease\x00create_user\x00a"} {
		require.NoError(t, s.PutRecord(k, guard.Record{State: guard.StateSending, Created: now, Call: []byte(`{"email":"a@b.co"}`)}, time.Hour))
	}
	scan := func(prefix string) map[string]guard.Record {
		got := map[string]guard.Record{}
		require.NoError(t, s.ScanRecords(prefix, func(k string, r guard.Record) bool { got[k] = r; return true }))
		return got
	}
	users := scan("create_user\x00")
	assert.Len(t, users, 2)
	assert.JSONEq(t, `{"email":"a@b.co"}`, string(users["create_user\x00a"].Call), "a record keeps its call")
	assert.Len(t, scan(""), 4)
	n := 0
	require.NoError(t, s.ScanRecords("", func(string, guard.Record) bool { n++; return false }))
	assert.Equal(t, 1, n, "fn stops the scan")
}
