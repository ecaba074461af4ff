package guard

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

var (
	bucketRefreshes = []byte("refreshes")
	bucketBudget    = []byte("budget")
	bucketUsed      = []byte("confirmations")
	bucketRecords   = []byte("idempotency")
	bucketUsers     = []byte("users")
	budgetKey       = []byte("refresh")
)

// BoltStore is a Store in one bbolt file: crash-safe and shared by every
// basiq-mcp process on the machine. The file is opened for each operation,
// because bbolt locks it while open: a second server (another editor
// starting one, a script calling basiq-mcp call) must not fail to start,
// and each operation is one transaction under the file lock, so processes
// take turns and never both pass a rule.
type BoltStore struct {
	path string
	made bool // OpenBolt made the buckets: a file without them is a lost state
}

// lockWait bounds how long an operation waits for another process.
const lockWait = 5 * time.Second

// OpenBolt creates the store at path if needed, with its directory.
func OpenBolt(path string) (*BoltStore, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("guard: state directory: %w", err)
	}
	s := &BoltStore{path: path}
	buckets := [][]byte{bucketRefreshes, bucketBudget, bucketUsed, bucketRecords, bucketUsers}
	// A file that has its buckets needs no write (and no sync) to start on.
	missing := true
	if _, err := os.Stat(path); err == nil {
		_ = s.view(func(tx *bolt.Tx) error {
			missing = slices.ContainsFunc(buckets, func(b []byte) bool { return tx.Bucket(b) == nil })
			return nil
		})
	}
	var err error
	if missing {
		err = s.update(func(tx *bolt.Tx) error {
			for _, b := range buckets {
				if _, err := tx.CreateBucketIfNotExists(b); err != nil {
					return err
				}
			}
			return nil
		})
	}
	s.made = err == nil
	return s, err
}

// Recovered is always zero: the file is the state, and a removed file is a
// new store that no process shares memory of.
func (s *BoltStore) Recovered() (time.Time, error) { return time.Time{}, nil }

// Kind is "bbolt".
func (s *BoltStore) Kind() string { return "bbolt" }

// Ping opens the file.
func (s *BoltStore) Ping() error { return s.view(func(*bolt.Tx) error { return nil }) }

func (s *BoltStore) open() (*bolt.DB, error) {
	db, err := bolt.Open(s.path, 0o600, &bolt.Options{Timeout: lockWait})
	if err != nil {
		return nil, storeDown(fmt.Errorf("opening %s: %w", s.path, err))
	}
	return db, nil
}

func (s *BoltStore) update(fn func(*bolt.Tx) error) error {
	db, err := s.open()
	if err != nil {
		return err
	}
	defer db.Close()
	return db.Update(func(tx *bolt.Tx) error {
		if err := s.intact(tx); err != nil {
			return err
		}
		return fn(tx)
	})
}

func (s *BoltStore) view(fn func(*bolt.Tx) error) error {
	db, err := s.open()
	if err != nil {
		return err
	}
	defer db.Close()
	return db.View(func(tx *bolt.Tx) error {
		if err := s.intact(tx); err != nil {
			return err
		}
		return fn(tx)
	})
}

// intact refuses a file without the guard's buckets (removed, or replaced
// while the server ran): writes stop, failing closed, until a restart makes
// the state anew; nothing reads a bucket that is not there.
func (s *BoltStore) intact(tx *bolt.Tx) error {
	if tx.Bucket(bucketRecords) == nil && s.made {
		return storeDown(fmt.Errorf("%s holds no guard state (was it removed?); restart the server to make it anew", s.path))
	}
	return nil
}

// Close has nothing to release: the file is closed after each operation.
func (s *BoltStore) Close() error { return nil }

// Reserve applies the reservation in one write transaction.
func (s *BoltStore) Reserve(r Reservation) (Verdict, error) {
	var v Verdict
	err := s.update(func(tx *bolt.Tx) error {
		ledger, budget := tx.Bucket(bucketRefreshes), tx.Bucket(bucketBudget)
		var keep []time.Time
		var b budgetState
		v, keep, b = decide(r, decodeTimes(ledger.Get([]byte(r.Key))), decodeBucket(budget.Get(budgetKey)))
		if err := ledger.Put([]byte(r.Key), encodeTimes(keep)); err != nil {
			return err
		}
		return budget.Put(budgetKey, encodeBucket(b))
	})
	return v, err
}

// Unreserve takes back one use recorded at at under key.
func (s *BoltStore) Unreserve(key string, at time.Time) error {
	return s.update(func(tx *bolt.Tx) error {
		ledger := tx.Bucket(bucketRefreshes)
		return ledger.Put([]byte(key), encodeTimes(withoutOne(decodeTimes(ledger.Get([]byte(key))), at)))
	})
}

// UseOnce marks a confirmation used. Expired entries are swept as it goes,
// so the bucket holds only confirmations that could still be replayed.
func (s *BoltStore) UseOnce(id string, expires time.Time) (bool, error) {
	first := false
	err := s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketUsed)
		if b.Get([]byte(id)) != nil {
			return nil
		}
		first = true
		now := time.Now().UnixNano()
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if len(v) == 8 && int64(binary.BigEndian.Uint64(v)) < now {
				if err := c.Delete(); err != nil {
					return err
				}
			}
		}
		var v [8]byte
		binary.BigEndian.PutUint64(v[:], uint64(expires.UnixNano()))
		return b.Put([]byte(id), v[:])
	})
	return first, err
}

// Claim stores rec unless a live record holds the key.
func (s *BoltStore) Claim(key string, rec Record, ttl time.Duration) (Record, bool, error) {
	current, claimed := rec, false
	err := s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRecords)
		if raw := b.Get([]byte(key)); raw != nil {
			var old Record
			if json.Unmarshal(raw, &old) == nil && rec.Created.Sub(old.Created) < ttl {
				current = old
				return nil
			}
		}
		raw, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		claimed = true
		return b.Put([]byte(key), raw)
	})
	return current, claimed, err
}

// PutRecord replaces a record.
func (s *BoltStore) PutRecord(key string, rec Record, _ time.Duration) error {
	raw, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return s.update(func(tx *bolt.Tx) error { return tx.Bucket(bucketRecords).Put([]byte(key), raw) })
}

// DeleteRecord removes a record.
func (s *BoltStore) DeleteRecord(key string) error {
	return s.update(func(tx *bolt.Tx) error { return tx.Bucket(bucketRecords).Delete([]byte(key)) })
}

// PutUsers stores directory entries, in one transaction.
func (s *BoltStore) PutUsers(us ...KnownUser) error {
	raws := make([][]byte, len(us))
	for i, u := range us {
		raw, err := json.Marshal(u)
		if err != nil {
			return err
		}
		raws[i] = raw
	}
	return s.update(func(tx *bolt.Tx) error {
		for i, u := range us {
			if err := tx.Bucket(bucketUsers).Put([]byte(Key(u.ID)), raws[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// GetUser reads a directory entry.
func (s *BoltStore) GetUser(id string) (KnownUser, bool, error) {
	var u KnownUser
	found := false
	err := s.view(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucketUsers).Get([]byte(Key(id)))
		found = raw != nil
		if !found {
			return nil
		}
		return json.Unmarshal(raw, &u)
	})
	return u, found, err
}

// DeleteUser removes a directory entry.
func (s *BoltStore) DeleteUser(id string) error {
	return s.update(func(tx *bolt.Tx) error { return tx.Bucket(bucketUsers).Delete([]byte(Key(id))) })
}

// ScanUsers calls fn for each directory entry until it returns false.
func (s *BoltStore) ScanUsers(fn func(KnownUser) bool) error {
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketUsers).ForEach(func(_, v []byte) error {
			var u KnownUser
			if json.Unmarshal(v, &u) == nil && !fn(u) {
				return errStopScan
			}
			return nil
		})
	})
	if errors.Is(err, errStopScan) {
		return nil
	}
	return err
}

var errStopScan = errors.New("scan stopped")
