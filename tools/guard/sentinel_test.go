package guard_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/tools/guard"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestGuardStateSurvivesASentinelFailover: on a primary, a replica and
// three sentinels (.ci/run starts them and sets BASIQ_MCP_TEST_SENTINEL),
// the primary is shut down in the middle of a burst of single-use
// writes. After Sentinel promotes the replica, every confirmation that was
// used, every claim that was made and every budget unit that was spent is
// still so: a write is acknowledged only once a replica has it.
func TestGuardStateSurvivesASentinelFailover(t *testing.T) {
	raw := os.Getenv("BASIQ_MCP_TEST_SENTINEL")
	if raw == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("BASIQ_MCP_TEST_SENTINEL is not set, and CI always starts the Sentinel topology")
		}
		t.Skip("BASIQ_MCP_TEST_SENTINEL is not set (bash .ci/run starts a primary, a replica and three sentinels)")
	}
	tenant := guard.TenantFor("sentinel-key", "https://au-api.basiq.io", fmt.Sprintf("failover-%d", time.Now().UnixNano()))
	s, err := guard.OpenRedis(raw, tenant)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	require.NoError(t, s.Ping())

	var mu sync.Mutex
	used, claimed, spent := []string{}, []string{}, 0
	burst := func(stop chan struct{}) {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			id := fmt.Sprintf("c-%d", i)
			if first, err := s.UseOnce(id, time.Now().Add(time.Hour)); err == nil && first {
				mu.Lock()
				used = append(used, id)
				mu.Unlock()
			}
			if _, ok, err := s.Claim("k-"+id, guard.Record{State: guard.StatePending, Created: time.Now()}, time.Hour); err == nil && ok {
				mu.Lock()
				claimed = append(claimed, "k-"+id)
				mu.Unlock()
			}
			v, err := s.Reserve(guard.Reservation{Key: "u/" + id, Now: time.Now(), PerMinute: 1000, Burst: 1000, Cap: 100, CapWindow: time.Hour})
			if err == nil && v.Rule == "" {
				mu.Lock()
				spent++
				mu.Unlock()
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); burst(stop) }()
	time.Sleep(300 * time.Millisecond)
	shutDownPrimary(t, raw) // its replication link cut first, so what it alone acknowledged dies with it
	require.Eventually(t, func() bool { return s.Ping() == nil }, 30*time.Second, 200*time.Millisecond, "a replica is promoted")
	time.Sleep(200 * time.Millisecond)
	close(stop)
	wg.Wait()

	for _, id := range used {
		first, err := s.UseOnce(id, time.Now().Add(time.Hour))
		require.NoError(t, err)
		assert.False(t, first, "confirmation %s, used before the failover, stays used", id)
	}
	for _, key := range claimed {
		_, ok, err := s.Claim(key, guard.Record{State: guard.StatePending, Created: time.Now()}, time.Hour)
		require.NoError(t, err)
		assert.False(t, ok, "claim %s stays claimed", key)
	}
	t.Logf("before and during the failover: %d confirmations used, %d claims made, %d budget units spent; none lost", len(used), len(claimed), spent)
	assert.NotEmpty(t, used)
}

// shutDownPrimary asks a sentinel which server is the primary, cuts its
// replication link, lets writes reach it alone for a moment, and shuts it
// down, as a primary partitioned from its replica and then lost would.
func shutDownPrimary(t *testing.T, raw string) {
	u, err := url.Parse(raw)
	require.NoError(t, err)
	sentinel := redis.NewSentinelClient(&redis.Options{Addr: strings.Split(u.Host, ",")[0]})
	defer sentinel.Close()
	addr, err := sentinel.GetMasterAddrByName(context.Background(), u.Query().Get("master")).Result()
	require.NoError(t, err)
	primary := redis.NewClient(&redis.Options{Addr: addr[0] + ":" + addr[1]})
	defer primary.Close()
	// A password the replica does not know keeps it from reconnecting;
	// connections already open (the store's, this one) go on.
	require.NoError(t, primary.Do(context.Background(), "CONFIG", "SET", "requirepass", "partitioned").Err())
	require.NoError(t, primary.Do(context.Background(), "CLIENT", "KILL", "TYPE", "replica").Err())
	time.Sleep(300 * time.Millisecond)     // writes reach the primary alone
	primary.Shutdown(context.Background()) // the connection drops; the error says so
	t.Logf("primary %s:%s shut down", addr[0], addr[1])
}
