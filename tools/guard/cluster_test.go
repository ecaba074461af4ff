package guard_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/testdata/mcptest"
	"github.com/basiq-mcp/basiq-mcp/tools/guard"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestClusterWritesWaitForTheirSlotsReplica: on a Redis Cluster every key
// of a deployment is in one hash slot, and a claim waits for that slot's
// replica (WAIT on the slot's primary, not on any node): while that
// replica does not answer, claims are refused (fail closed), and they go
// through again once it does.
func TestClusterWritesWaitForTheirSlotsReplica(t *testing.T) {
	url := mcptest.Cluster(t)
	tenant := guard.TenantFor(fmt.Sprintf("slot-%d", time.Now().UnixNano()), "https://au-api.basiq.io", "")
	s, err := guard.OpenRedis(url, tenant)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	claim := func(key string) error {
		_, ok, err := s.Claim(key, guard.Record{State: guard.StatePending, Created: time.Now()}, time.Minute)
		if err == nil && !ok {
			err = fmt.Errorf("%s was already claimed", key)
		}
		return err
	}
	require.NoError(t, claim("before"))

	ctx := context.Background()
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: strings.Split(strings.TrimPrefix(url, "redis-cluster://"), ",")})
	defer cc.Close()
	primary, err := cc.MasterForKey(ctx, "basiq-mcp:{"+tenant.Namespace+"}:")
	require.NoError(t, err)
	id, err := primary.Do(ctx, "CLUSTER", "MYID").Text()
	require.NoError(t, err)
	replicas, err := primary.Do(ctx, "CLUSTER", "REPLICAS", id).StringSlice()
	require.NoError(t, err)
	require.NotEmpty(t, replicas)
	addr := strings.Split(strings.Fields(replicas[0])[1], "@")[0]
	replica := redis.NewClient(&redis.Options{Addr: addr, ReadTimeout: 10 * time.Second})
	defer replica.Close()
	asleep := make(chan error, 1)
	go func() { asleep <- replica.Do(ctx, "DEBUG", "SLEEP", "3").Err() }()
	time.Sleep(300 * time.Millisecond)

	err = claim("during")
	assert.Error(t, err, "no replica of the slot acknowledged it: refused")
	require.NoError(t, <-asleep, "DEBUG SLEEP (the cluster's nodes allow it from loopback)")
	assert.Eventually(t, func() bool { return claim(fmt.Sprintf("after-%d", time.Now().UnixNano())) == nil }, 5*time.Second, 100*time.Millisecond)
}
