package guard_test

import (
	"path/filepath"
	"testing"

	"github.com/basiq-mcp/basiq-mcp/tools/guard"
	"github.com/stretchr/testify/assert"
)

// TestOpenStoreTakesEveryRedisForm: the server's --state-url takes one
// Redis, Sentinel in both spellings and a Cluster's seed nodes (no Redis
// needs to answer at start), and refuses what it cannot read, naming it
// without the password.
func TestOpenStoreTakesEveryRedisForm(t *testing.T) {
	tenant := guard.TenantFor("urls-key", "https://au-api.basiq.io", "")
	bolt := filepath.Join(t.TempDir(), "state.db")
	for _, ok := range []string{
		"redis://127.0.0.1:6379/2",
		"rediss://:secret@cache.example:6380/0",
		"redis-sentinel://:secret@10.0.0.1:26379,10.0.0.2:26379/1?master=basiq",
		"redis://10.0.0.1:26379/1?master_name=basiq&addr=10.0.0.2:26379",
		"redis-cluster://10.0.0.1:7000,10.0.0.2:7000,10.0.0.3:7000",
		"rediss-cluster://user:secret@clustercfg.example:6379",
	} {
		s, err := guard.OpenStore(ok, bolt, tenant)
		if assert.NoError(t, err, ok) {
			assert.Equal(t, "redis", s.Kind())
			s.Close()
		}
	}
	for _, bad := range []string{
		"redis-sentinel://10.0.0.1/0?master=basiq",
		"redis-sentinel://10.0.0.1:26379/0",
		"redis-cluster://10.0.0.1:7000,nohost",
		"redis-cluster://:pw-that-stays-hidden@10.0.0.1:7000/3",
		"memcached://10.0.0.1:11211",
	} {
		_, err := guard.OpenStore(bad, bolt, tenant)
		if assert.Error(t, err, bad) {
			assert.NotContains(t, err.Error(), "pw-that-stays-hidden")
		}
	}
}
