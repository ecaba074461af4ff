package guard_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/tools/guard"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestChangesReachTheDeploymentOnly: a customer announced by one replica
// is heard by the deployment's other replicas, and not by a deployment on
// another database of the same Redis (pub/sub ignores databases) nor by
// another namespace.
func TestChangesReachTheDeploymentOnly(t *testing.T) {
	t.Parallel()
	tenant := guard.TenantFor("changes-key", "https://au-api.basiq.io", "")
	open := func(url string, tn guard.Tenant) *guard.Changes {
		s, err := guard.OpenRedis(url, tn)
		require.NoError(t, err)
		t.Cleanup(func() { s.Close() })
		return guard.NewChanges(s)
	}
	db := redisURL(t, 9)
	one, two := open(db, tenant), open(db, tenant)
	otherDB := open(redisURL(t, 10), tenant)
	otherTenant := open(db, guard.TenantFor("another-key", "https://au-api.basiq.io", ""))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	heard := map[string][]string{}
	for name, c := range map[string]*guard.Changes{"two": two, "other db": otherDB, "other tenant": otherTenant} {
		c.Follow(ctx, func(id string) { mu.Lock(); heard[name] = append(heard[name], id); mu.Unlock() })
	}
	time.Sleep(200 * time.Millisecond) // the subscriptions are made
	require.NoError(t, one.Announce("u-42"))
	require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(heard["two"]) == 1 }, 5*time.Second, 10*time.Millisecond)
	time.Sleep(200 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, map[string][]string{"two": {"u-42"}}, heard)
}

// TestChangesReachOtherProcessesOnOneFile: with bbolt, a customer
// announced by one process is heard by another process on the same file
// (an editor's second window), once; the announcer hears its own once too.
func TestChangesReachOtherProcessesOnOneFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "state.db")
	open := func() *guard.Changes {
		s, err := guard.OpenBolt(path)
		require.NoError(t, err)
		return guard.NewChanges(s)
	}
	one, two := open(), open()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	heard := map[string][]string{}
	for name, c := range map[string]*guard.Changes{"one": one, "two": two} {
		c.Follow(ctx, func(id string) { mu.Lock(); heard[name] = append(heard[name], id); mu.Unlock() })
	}
	require.NoError(t, one.Announce("u-7"))
	require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(heard["two"]) == 1 }, 5*time.Second, 20*time.Millisecond,
		"the other process hears within seconds")
	time.Sleep(1500 * time.Millisecond) // another look at the file finds nothing new
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, map[string][]string{"one": {"u-7"}, "two": {"u-7"}}, heard)
}
