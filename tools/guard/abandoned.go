package guard

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	bolt "go.etcd.io/bbolt"
)

// ScanRecords walks the records with keys under prefix in one read
// transaction.
func (s *BoltStore) ScanRecords(prefix string, fn func(string, Record) bool) error {
	return s.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketRecords).Cursor()
		for k, v := c.Seek([]byte(prefix)); k != nil && bytes.HasPrefix(k, []byte(prefix)); k, v = c.Next() {
			var rec Record
			if json.Unmarshal(v, &rec) == nil && !fn(string(k), rec) {
				return nil
			}
		}
		return nil
	})
}

// ScanRecords walks the records with keys under prefix with SCAN (on a
// Cluster, on the namespace's node), reading each as it goes.
func (s *RedisStore) ScanRecords(prefix string, fn func(string, Record) bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), 4*redisTimeout)
	defer cancel()
	base := s.rkey("record", "")
	node := s.primary(ctx)
	var cursor uint64
	for {
		keys, next, err := node.Scan(ctx, cursor, base+prefix+"*", 500).Result()
		if err != nil {
			return storeDown(err)
		}
		for _, k := range keys {
			raw, err := s.rdb.Get(ctx, k).Bytes()
			if errors.Is(err, redis.Nil) {
				continue
			}
			if err != nil {
				return storeDown(err)
			}
			var rec Record
			if json.Unmarshal(raw, &rec) == nil && !fn(strings.TrimPrefix(k, base), rec) {
				return nil
			}
		}
		if cursor = next; cursor == 0 {
			return nil
		}
	}
}

// Abandoned is a keyed create whose process stopped while sending it, or
// whose answer was lost, and that no retry has settled.
type Abandoned struct {
	Tool, Key string
	Call      json.RawMessage // the create's arguments
	Since     time.Time       // when it was claimed
	// Result, when set, is a create done at Basiq whose outcome line the
	// process that made it did not write: nothing is looked up, the line
	// is written from it (see Outcome).
	Result json.RawMessage
	// Mine marks a done create whose line was being written to this
	// process's own audit file: only a process of that file can tell
	// whether it got there (see Outcome).
	Mine bool
}

// Abandoned lists the keyed creates left sending or unknown whose owner's
// lease has lapsed, claimed within the key's life: the ones a process
// stopped without recording their outcome (kill -9, a crash, a lost
// answer never retried).
func (i *Idempotency) Abandoned() ([]Abandoned, error) {
	var out []Abandoned
	now := i.now()
	err := i.store.ScanRecords("", func(key string, rec Record) bool {
		tool, k, ok := strings.Cut(key, "\x00")
		if !ok || tool == "lease" || now.Sub(rec.Created) <= leaseTTL || now.Sub(rec.Created) >= IdempotencyTTL {
			return true
		}
		switch {
		case (rec.State == StateSending || rec.State == StateUnknown) && len(rec.Call) > 0:
			out = append(out, Abandoned{Tool: tool, Key: k, Call: rec.Call, Since: rec.Created})
		case rec.State == StateDone && rec.Unaudited:
			out = append(out, Abandoned{Tool: tool, Key: k, Since: rec.Created, Result: rec.Result, Mine: i.ownFile(rec.Writer)})
		}
		return true
	})
	return out, err
}

// Settle finishes an abandoned create with what a look at Basiq found:
// found, it is the key's result (a retry replays it); not found, the claim
// is released (a retry sends it). It holds the key's lease meanwhile, and
// reports false, doing nothing, when another process holds it or the
// record moved on.
func (i *Idempotency) Settle(a Abandoned, found any, ok bool) (bool, error) {
	id := Key(a.Tool) + "\x00" + a.Key
	defer i.keys.lock(id)()
	stop, held := i.takeOver(id)
	if !held {
		return false, nil
	}
	defer stop()
	rec, there, err := i.current(id)
	if err != nil || !there || rec.State != StateSending && rec.State != StateUnknown {
		return false, err
	}
	if !ok {
		return true, i.store.DeleteRecord(id)
	}
	_, _, err = i.settle(id, rec, found)
	return err == nil, err
}
