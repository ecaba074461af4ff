package mcptest

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/redis/go-redis/v9"
)

// Redis is a clean database (db) of the redis-server the tests share:
// BASIQ_MCP_TEST_REDIS, which .ci/run sets after starting redis-server on
// loopback. Outside CI the Redis tests skip without it; under CI its absence
// is a failure. Each package's tests use databases of their own.
func Redis(t testing.TB, db int) string {
	t.Helper()
	base := os.Getenv("BASIQ_MCP_TEST_REDIS")
	if base == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("BASIQ_MCP_TEST_REDIS is not set, and CI always starts redis-server")
		}
		t.Skip("BASIQ_MCP_TEST_REDIS is not set (bash .ci/run starts a redis-server and sets it)")
	}
	url := fmt.Sprintf("%s/%d", base, db)
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	if err := rdb.FlushDB(context.Background()).Err(); err != nil {
		t.Fatalf("a clean database for the test: %v", err)
	}
	return url
}

// Cluster is the Redis Cluster the tests share: BASIQ_MCP_TEST_CLUSTER
// (redis-cluster://HOST:PORT,…), which .ci/run sets after starting six
// nodes on loopback (three primaries, each with a replica). It skips, or
// fails under CI, as Redis does. Tests keep apart by namespace.
func Cluster(t testing.TB) string {
	t.Helper()
	url := os.Getenv("BASIQ_MCP_TEST_CLUSTER")
	if url == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("BASIQ_MCP_TEST_CLUSTER is not set, and CI always starts a Redis Cluster")
		}
		t.Skip("BASIQ_MCP_TEST_CLUSTER is not set (bash .ci/run starts a Redis Cluster and sets it)")
	}
	return url
}
