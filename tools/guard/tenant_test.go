package guard_test

import (
	"context"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/tools/guard"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTenantsShareNothing: two deployments on one Redis database keep
// apart every key (records, confirmations, ledger, directory) and the
// server token; a deployment with another key cannot open the token even
// when the operator gave both the same --state-prefix.
func TestTenantsShareNothing(t *testing.T) {
	url := redisURL(t, 3)
	open := func(key, prefix string) *guard.RedisStore {
		s, err := guard.OpenRedis(url, guard.TenantFor(key, "https://au-api.basiq.io", prefix))
		require.NoError(t, err)
		t.Cleanup(func() { s.Close() })
		return s
	}
	a, b := open("key-a", ""), open("key-b", "")
	ctx := context.Background()

	rec := guard.Record{ArgsHash: "h", State: guard.StateDone, Created: time.Now()}
	_, first, err := a.Claim("create_user/k1", rec, time.Hour)
	require.NoError(t, err)
	require.True(t, first)
	_, first, err = b.Claim("create_user/k1", rec, time.Hour)
	require.NoError(t, err)
	assert.True(t, first, "one idempotency key in two deployments is two records")
	ok, _ := a.UseOnce("confirm/n1", time.Now().Add(time.Minute))
	ok2, _ := b.UseOnce("confirm/n1", time.Now().Add(time.Minute))
	assert.True(t, ok && ok2, "confirmations are the deployment's own")
	require.NoError(t, a.PutUsers(guard.KnownUser{ID: "u1", Name: "Monica"}))
	_, found, err := b.GetUser("u1")
	require.NoError(t, err)
	assert.False(t, found, "the customer directory is the deployment's own")

	require.NoError(t, a.StoreToken(ctx, "token-of-a", time.Now().Add(time.Hour)))
	tok, _, ok, err := a.LoadToken(ctx)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, "token-of-a", tok)
	_, _, ok, err = b.LoadToken(ctx)
	require.NoError(t, err)
	assert.False(t, ok, "another deployment finds no token")
	_, _, ok, err = open("key-b", "shared").LoadToken(ctx)
	require.NoError(t, err)
	assert.False(t, ok)
	require.NoError(t, open("key-a", "shared").StoreToken(ctx, "token-of-a", time.Now().Add(time.Hour)))
	_, _, ok, err = open("key-b", "shared").LoadToken(ctx)
	require.NoError(t, err)
	assert.False(t, ok, "one prefix, two keys: the token is still not readable")

	opt, _ := redis.ParseURL(url)
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	keys, err := rdb.Keys(ctx, "*").Result()
	require.NoError(t, err)
	for _, k := range keys {
		assert.Regexp(t, `^basiq-mcp:(d[0-9a-f]{16}|shared):`, k, "every key is in a namespace")
		v, _ := rdb.Get(ctx, k).Result()
		assert.NotContains(t, v, "token-of-a", "the token is sealed in Redis")
	}
}

// TestGenerationMarker: a new namespace starts clean; a store found emptied
// is recovered for everyone, even for a process restarted with Redis that
// remembers the generation in its state directory.
func TestGenerationMarker(t *testing.T) {
	url := redisURL(t, 7)
	memory := t.TempDir() + "/redis-generation"
	open := func(remember bool) *guard.RedisStore {
		s, err := guard.OpenRedis(url, guard.TenantFor("gen-key", "https://au-api.basiq.io", ""))
		require.NoError(t, err)
		if remember {
			s.RememberIn(memory)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	first := open(true)
	at, err := first.Recovered()
	require.NoError(t, err)
	assert.True(t, at.IsZero(), "a namespace nobody remembers starts clean")

	opt, _ := redis.ParseURL(url)
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	require.NoError(t, rdb.FlushDB(context.Background()).Err())

	restarted := open(true) // a new process: only the file remembers
	at, err = restarted.Recovered()
	require.NoError(t, err)
	assert.False(t, at.IsZero(), "emptied since the remembered generation")
	at2, err := open(false).Recovered()
	require.NoError(t, err)
	assert.Equal(t, at.UnixNano(), at2.UnixNano(), "every process of the deployment sees the recovery")
}
