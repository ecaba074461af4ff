package guard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
	bolt "go.etcd.io/bbolt"
)

// RuleBulk is the rule a bulk refresh breaks: refreshes for more distinct
// customers in a window than one support conversation plausibly needs.
// Basiq's first best practice is never to refresh in bulk (it refreshes
// every connection itself daily), so a loop over customers is stopped, not
// slowed.
const RuleBulk = "bulk"

// Spread is one atomic step on the customers a scope (a caller, a session,
// or the deployment's callerless requests) refreshed within a window: when
// member is already among them, or fewer than max are, member is recorded
// (unless look) and allowed; otherwise refused. count is how many distinct
// customers the window holds, member included when allowed.
type Spread struct {
	Key    string
	Member string
	Now    time.Time
	Window time.Duration
	Max    int
	Look   bool
}

// decideSpread applies a Spread to the members and their last times; it is
// pure, so both stores run the same rule inside their own transaction. A
// refused spread's count is what the member would have made it.
func decideSpread(s Spread, members map[string]int64) (allowed bool, count int, keep map[string]int64) {
	keep = map[string]int64{}
	for m, at := range members {
		if s.Now.Sub(time.Unix(0, at)) < s.Window {
			keep[m] = at
		}
	}
	_, seen := keep[s.Member]
	count = len(keep)
	if !seen {
		count++
	}
	if !seen && len(keep) >= s.Max {
		return false, count, keep
	}
	if !s.Look {
		keep[s.Member] = s.Now.UnixNano()
	}
	return true, count, keep
}

var bucketSpread = []byte("spread")

// Spread runs the rule in one bbolt transaction (a look writes nothing).
func (s *BoltStore) Spread(sp Spread) (bool, int, error) {
	var allowed bool
	var count int
	err := s.update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketSpread)
		if err != nil {
			return err
		}
		members := map[string]int64{}
		if raw := b.Get([]byte(sp.Key)); raw != nil {
			_ = json.Unmarshal(raw, &members)
		}
		var keep map[string]int64
		allowed, count, keep = decideSpread(sp, members)
		if sp.Look {
			return nil
		}
		raw, err := json.Marshal(keep)
		if err != nil {
			return err
		}
		return b.Put([]byte(sp.Key), raw)
	})
	return allowed, count, err
}

// Spread runs the rule in one WATCH/MULTI transaction on a hash of member
// to time, which expires a window after its last change.
func (s *RedisStore) Spread(sp Spread) (bool, int, error) {
	ctx, cancel := ctxTimeout()
	defer cancel()
	key := s.rkey("spread", sp.Key)
	var allowed bool
	var count int
	txn := func(tx *redis.Tx) error {
		raw, err := tx.HGetAll(ctx, key).Result()
		if err != nil {
			return err
		}
		members := map[string]int64{}
		for m, v := range raw {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				members[m] = n
			}
		}
		var keep map[string]int64
		allowed, count, keep = decideSpread(sp, members)
		if sp.Look {
			return nil
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Del(ctx, key)
			for m, at := range keep {
				p.HSet(ctx, key, m, strconv.FormatInt(at, 10))
			}
			p.Expire(ctx, key, sp.Window)
			return nil
		})
		return err
	}
	for range 50 {
		err := s.rdb.Watch(ctx, txn, key)
		if !errors.Is(err, redis.TxFailedErr) {
			return allowed, count, storeDown(err)
		}
	}
	return false, 0, storeDown(errors.New("too many concurrent changes on one key"))
}

type scopeKey struct{}

// WithRefreshScope returns ctx naming who a refresh counts for in the bulk
// rule: "caller:…" for an OAuth caller, "session:…" for an MCP session, or
// "local" for the deployment's callerless requests (set by the tools layer,
// which knows the session).
func WithRefreshScope(ctx context.Context, scope string) context.Context {
	return context.WithValue(ctx, scopeKey{}, scope)
}

// refreshScope is ctx's scope; an OAuth caller always counts as itself.
func refreshScope(ctx context.Context) string {
	if c, ok := CallerFrom(ctx); ok {
		return "caller:" + c.Key()
	}
	if s, ok := ctx.Value(scopeKey{}).(string); ok && s != "" {
		return s
	}
	return "local"
}

// bulkRefusal says what a bulk refresh is and what to do instead; it has
// no retry time, because waiting and looping on is what it stops.
func bulkRefusal(count int, p Policy) *Decision {
	return &Decision{Rule: RuleBulk, Outcome: Refused, Reason: fmt.Sprintf("this is a bulk refresh: connections of %d different customers within %s from this caller. Basiq advises never to refresh in bulk, and refreshes every connection itself once a day, so nothing was sent and no retry will be allowed for another customer in this window. To find who needs attention and why, use support_queue (one call for every customer), and diagnose_connection for one customer",
		count, p.BulkWindow)}
}

// bulk applies the bulk rule to a refresh for userID (a dry run only
// looks). Off mode checks nothing; shadow mode records and allows.
func (g *Governor) bulk(ctx context.Context, tool, userID string, dryRun bool) (*Decision, error) {
	p := g.policy
	if p.BulkCustomers <= 0 || p.Mode == Off {
		return nil, nil
	}
	allowed, count, err := g.store.Spread(Spread{Key: "bulk|" + refreshScope(ctx), Member: Key(userID), Now: g.now(), Window: p.BulkWindow, Max: p.BulkCustomers, Look: dryRun})
	if err != nil {
		return nil, fmt.Errorf("guard: the bulk rule could not be checked in the shared store, so the refresh was not sent: %w", err)
	}
	if allowed {
		return nil, nil
	}
	refusal := bulkRefusal(count, p)
	if p.Mode == Shadow && !dryRun {
		g.log.Warn("shadow mode: bulk refresh allowed that enforce would refuse", "customers", count)
		g.record(ctx, tool, Decision{UserID: userID, Outcome: "shadow-allowed", Reason: refusal.Reason, Rule: RuleBulk}, false)
		return nil, nil
	}
	return refusal, nil
}
