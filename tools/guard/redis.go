package guard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisStore is a Store in Redis, shared by every replica of a deployment.
// A reservation is one optimistic transaction (WATCH the connection's
// ledger and the budget, decide, MULTI/EXEC, again on a conflict), so the
// same rules run as in the bbolt store; claims and single use are SET NX;
// windows and records expire with the keys. It also shares the Basiq server
// token between replicas (basiq.SharedTokens), so N replicas make one
// token request.
type RedisStore struct {
	rdb    redis.UniversalClient
	prefix string // "basiq-mcp:" and the deployment's namespace (Tenant); in braces on a Cluster
	// cluster is set on a Redis Cluster: every key of the deployment is in
	// one hash slot (the namespace is the key's hash tag), so transactions
	// over several keys work, and WAIT runs on that slot's primary.
	cluster *redis.ClusterClient
	db      int // the database: pub/sub channels are shared by every database
	tenant  Tenant
	gen     generation
	reps    replicas
}

// redisTimeout bounds one store operation: a store that does not answer
// in time stops the write (fail closed) rather than hang it.
const redisTimeout = 3 * time.Second

// OpenRedis connects to the Redis a redis:// URL names, keeping every key
// under the tenant's namespace. It does not wait for Redis to answer: the
// server starts, reads work, and writes fail closed until Redis is back
// (/healthz says which).
func OpenRedis(url string, t Tenant) (*RedisStore, error) {
	if t.Namespace == "" {
		return nil, errors.New("guard: a Redis store needs the deployment's namespace (Tenant)")
	}
	rdb, db, err := redisClient(url)
	if err != nil {
		return nil, fmt.Errorf("guard: --state-url %q: %v", redact(url), err)
	}
	s := &RedisStore{rdb: rdb, prefix: "basiq-mcp:" + t.Namespace + ":", db: db, tenant: t}
	if cc, ok := rdb.(*redis.ClusterClient); ok {
		s.cluster, s.prefix = cc, "basiq-mcp:{"+t.Namespace+"}:"
	}
	s.reps.expected = strings.HasPrefix(url, "redis-sentinel:") || strings.Contains(url, "master_name=") // Sentinel has replicas by design
	return s, nil
}

// rkey is the Redis key of one piece of state, in the namespace.
func (s *RedisStore) rkey(kind, id string) string { return s.prefix + kind + ":" + id }

func ctxTimeout() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), redisTimeout)
}

// Kind is "redis".
func (s *RedisStore) Kind() string { return "redis" }

// Ping asks Redis.
func (s *RedisStore) Ping() error {
	ctx, cancel := ctxTimeout()
	defer cancel()
	return storeDown(s.rdb.Ping(ctx).Err())
}

// Close closes the connections.
func (s *RedisStore) Close() error { return s.rdb.Close() }

// Reserve runs the reservation as a WATCH/MULTI transaction.
func (s *RedisStore) Reserve(r Reservation) (Verdict, error) {
	ctx, cancel := ctxTimeout()
	defer cancel()
	if err := s.checkGeneration(ctx); err != nil { // an emptied store spends the budget first
		return Verdict{}, err
	}
	ledgerKey, budgetKey := s.rkey("ledger", r.Key), s.rkey("budget", "refresh")
	var v Verdict
	txn := func(tx *redis.Tx) error {
		times, err := tx.Get(ctx, ledgerKey).Bytes()
		if err != nil && !errors.Is(err, redis.Nil) {
			return err
		}
		raw, err := tx.Get(ctx, budgetKey).Bytes()
		if err != nil && !errors.Is(err, redis.Nil) {
			return err
		}
		var keep []time.Time
		var b budgetState
		v, keep, b = decide(r, decodeTimes(times), decodeBucket(raw))
		if r.DryRun || v.Rule != "" {
			return nil
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, ledgerKey, encodeTimes(keep), max(r.CapWindow, r.Cooldown)+time.Hour)
			p.Set(ctx, budgetKey, encodeBucket(b), 24*time.Hour)
			return nil
		})
		return err
	}
	for range 50 {
		err := s.rdb.Watch(ctx, txn, ledgerKey, budgetKey)
		if err == nil && !r.DryRun && v.Rule == "" {
			err = s.durable(ctx) // the spend must survive a failover
		}
		if !errors.Is(err, redis.TxFailedErr) {
			return v, storeDown(err)
		}
	}
	return v, storeDown(errors.New("too many concurrent reservations on one key"))
}

// Unreserve takes back one use recorded at at under key, in a WATCH/MULTI
// transaction that keeps the ledger's expiry.
func (s *RedisStore) Unreserve(key string, at time.Time) error {
	ctx, cancel := ctxTimeout()
	defer cancel()
	ledgerKey := s.rkey("ledger", key)
	txn := func(tx *redis.Tx) error {
		times, err := tx.Get(ctx, ledgerKey).Bytes()
		if errors.Is(err, redis.Nil) {
			return nil
		}
		if err != nil {
			return err
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.SetArgs(ctx, ledgerKey, encodeTimes(withoutOne(decodeTimes(times), at)), redis.SetArgs{KeepTTL: true})
			return nil
		})
		return err
	}
	for range 50 {
		if err := s.rdb.Watch(ctx, txn, ledgerKey); !errors.Is(err, redis.TxFailedErr) {
			return storeDown(err)
		}
	}
	return storeDown(errors.New("too many concurrent changes on one key"))
}

// UseOnce is SET NX until the confirmation expires.
func (s *RedisStore) UseOnce(id string, expires time.Time) (bool, error) {
	ctx, cancel := ctxTimeout()
	defer cancel()
	ok, err := s.rdb.SetNX(ctx, s.rkey("used", id), "1", max(time.Until(expires), time.Second)).Result()
	if err == nil && ok {
		err = s.durable(ctx) // a use lost in a failover would reopen the confirmation
	}
	return ok, storeDown(err)
}

// Claim is SET NX; on a held key it returns the record there.
func (s *RedisStore) Claim(key string, rec Record, ttl time.Duration) (Record, bool, error) {
	ctx, cancel := ctxTimeout()
	defer cancel()
	raw, err := json.Marshal(rec)
	if err != nil {
		return rec, false, err
	}
	ok, err := s.rdb.SetNX(ctx, s.rkey("record", key), raw, ttl).Result()
	if err == nil && ok {
		err = s.durable(ctx) // a claim lost in a failover would let a second create through
	}
	if err != nil || ok {
		return rec, ok, storeDown(err)
	}
	held, err := s.rdb.Get(ctx, s.rkey("record", key)).Bytes()
	if errors.Is(err, redis.Nil) { // expired in between: try once more
		ok, err = s.rdb.SetNX(ctx, s.rkey("record", key), raw, ttl).Result()
		return rec, ok, storeDown(err)
	}
	if err != nil {
		return rec, false, storeDown(err)
	}
	var current Record
	return current, false, json.Unmarshal(held, &current)
}

// PutRecord replaces a record.
func (s *RedisStore) PutRecord(key string, rec Record, ttl time.Duration) error {
	ctx, cancel := ctxTimeout()
	defer cancel()
	raw, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return storeDown(s.rdb.Set(ctx, s.rkey("record", key), raw, ttl).Err())
}

// DeleteRecord removes a record.
func (s *RedisStore) DeleteRecord(key string) error {
	ctx, cancel := ctxTimeout()
	defer cancel()
	return storeDown(s.rdb.Del(ctx, s.rkey("record", key)).Err())
}

// PutUsers stores directory entries in one hash, in one command.
func (s *RedisStore) PutUsers(us ...KnownUser) error {
	if len(us) == 0 {
		return nil
	}
	ctx, cancel := ctxTimeout()
	defer cancel()
	fields := make([]any, 0, 2*len(us))
	for _, u := range us {
		raw, err := json.Marshal(u)
		if err != nil {
			return err
		}
		fields = append(fields, Key(u.ID), raw)
	}
	return storeDown(s.rdb.HSet(ctx, s.rkey("users", "all"), fields...).Err())
}

// GetUser reads a directory entry.
func (s *RedisStore) GetUser(id string) (KnownUser, bool, error) {
	ctx, cancel := ctxTimeout()
	defer cancel()
	var u KnownUser
	raw, err := s.rdb.HGet(ctx, s.rkey("users", "all"), Key(id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return u, false, nil
	}
	if err != nil {
		return u, false, storeDown(err)
	}
	return u, true, json.Unmarshal(raw, &u)
}

// DeleteUser removes a directory entry.
func (s *RedisStore) DeleteUser(id string) error {
	ctx, cancel := ctxTimeout()
	defer cancel()
	return storeDown(s.rdb.HDel(ctx, s.rkey("users", "all"), Key(id)).Err())
}

// ScanUsers walks the directory with HSCAN.
func (s *RedisStore) ScanUsers(fn func(KnownUser) bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), 4*redisTimeout)
	defer cancel()
	var cursor uint64
	for {
		kv, next, err := s.rdb.HScan(ctx, s.rkey("users", "all"), cursor, "*", 500).Result()
		if err != nil {
			return storeDown(err)
		}
		for i := 1; i < len(kv); i += 2 {
			var u KnownUser
			if json.Unmarshal([]byte(kv[i]), &u) == nil && !fn(u) {
				return nil
			}
		}
		if cursor = next; cursor == 0 {
			return nil
		}
	}
}
