package guard

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// A Redis that restarts without persistence comes back empty: used
// confirmations, idempotency records, the ledger and the budget are gone,
// and what they guarded would open again. So the store carries a
// generation marker. A process remembers the generation it last saw (in
// memory and in a file in the state directory); when the marker is missing
// or another than remembered, the store was emptied, and that is recorded
// (for IdempotencyTTL): creates with an idempotency key first look at Basiq
// for what an earlier call made, and the refresh budget starts spent.
// A brand new namespace, which no process remembers, starts clean.

// generationScript reads the marker, sets one when missing, and records a
// recovery when the marker is not the one the caller remembers.
// KEYS: marker, recovery, budget. ARGV: a new marker, the remembered one,
// now (unix ns), the recovery's lifetime (ms), a spent budget.
var generationScript = redis.NewScript(`
local gen = redis.call('GET', KEYS[1])
if not gen then
  gen = ARGV[1]
  redis.call('SET', KEYS[1], gen)
end
if ARGV[2] ~= '' and ARGV[2] ~= gen then
  if redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[4], 'NX') then
    redis.call('SET', KEYS[3], ARGV[5], 'PX', 86400000)
  end
end
return {gen, redis.call('GET', KEYS[2]) or ''}
`)

// generation is what a RedisStore remembers of the marker.
type generation struct {
	mu   sync.Mutex
	seen string
	file string // where the marker seen last is kept across restarts; "" for none
}

func (g *generation) load() {
	if g.file == "" {
		return
	}
	if b, err := os.ReadFile(g.file); err == nil {
		g.seen = strings.TrimSpace(string(b))
	}
}

// Recovered checks the generation marker and returns when the store was
// found emptied (zero when it was not, within IdempotencyTTL).
func (s *RedisStore) Recovered() (time.Time, error) {
	ctx, cancel := ctxTimeout()
	defer cancel()
	s.gen.mu.Lock()
	defer s.gen.mu.Unlock()
	fresh := make([]byte, 12)
	rand.Read(fresh)
	now := time.Now()
	spent := encodeBucket(budgetState{Tokens: 0, Filled: now})
	out, err := generationScript.Run(ctx, s.rdb, []string{s.rkey("meta", "generation"), s.rkey("meta", "recovered"), s.rkey("budget", "refresh")},
		hex.EncodeToString(fresh), s.gen.seen, strconv.FormatInt(now.UnixNano(), 10), IdempotencyTTL.Milliseconds(), string(spent)).StringSlice()
	if err != nil || len(out) != 2 {
		return time.Time{}, storeDown(err)
	}
	if out[0] != s.gen.seen {
		s.gen.seen = out[0]
		if s.gen.file != "" {
			_ = os.WriteFile(s.gen.file, []byte(out[0]+"\n"), 0o600)
		}
	}
	if n, err := strconv.ParseInt(out[1], 10, 64); err == nil {
		return time.Unix(0, n), nil
	}
	return time.Time{}, nil
}

// RememberIn keeps the generation this store sees in a file (in the state
// directory), so a process restarted with Redis still knows it was emptied.
func (s *RedisStore) RememberIn(path string) {
	s.gen.mu.Lock()
	defer s.gen.mu.Unlock()
	s.gen.file = path
	_ = os.MkdirAll(filepath.Dir(path), 0o700)
	s.gen.load()
}

// checkGeneration is Recovered for the store's own writes, in a context
// already bounded.
func (s *RedisStore) checkGeneration(context.Context) error {
	_, err := s.Recovered()
	return err
}
