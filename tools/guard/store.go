// Package guard holds the state and rules that keep an agent from hurting a
// bank or a customer: the refresh governor, sealed confirmations for
// destructive actions, idempotency records and the audit log. Its state
// lives in a Store, so a restart does not reset a cap.
package guard

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	bolt "go.etcd.io/bbolt"
)

// Store keeps guard state. It is small on purpose, so a shared store can
// later serve several replicas.
type Store interface {
	// AddRefresh records a refresh request sent for key (user/connection).
	AddRefresh(key string, at time.Time) error
	// Refreshes returns the refresh times for key since the given time.
	Refreshes(key string, since time.Time) ([]time.Time, error)
	// UseOnce marks id used; it reports false when id was used before.
	UseOnce(id string, expires time.Time) (first bool, err error)
	// PutRecord and GetRecord keep idempotency records by key.
	PutRecord(key string, rec Record) error
	GetRecord(key string) (Record, bool, error)
	// PutUser, DeleteUser and ScanUsers keep the customer directory; fn
	// returns false to stop a scan.
	PutUser(u KnownUser) error
	GetUser(id string) (KnownUser, bool, error)
	DeleteUser(id string) error
	ScanUsers(fn func(KnownUser) bool) error
	// Close releases the store.
	Close() error
}

// Record is a stored result of an idempotent create.
type Record struct {
	ArgsHash string          `json:"args"`
	Result   json.RawMessage `json:"result"`
	Created  time.Time       `json:"created"`
}

var (
	bucketRefreshes = []byte("refreshes")
	bucketUsed      = []byte("confirmations")
	bucketRecords   = []byte("idempotency")
	bucketUsers     = []byte("users")
)

// ledgerWindow is how much refresh history is kept per connection: enough
// for a daily cap and a cooldown.
const ledgerWindow = 48 * time.Hour

// BoltStore is a Store in one bbolt file: crash-safe and shared by every
// basiq-mcp process on the machine. The file is opened for each operation,
// because bbolt locks it while open: a second server (another editor
// starting one) must not fail to start, and should obey the same caps.
type BoltStore struct {
	path string
}

// lockWait bounds how long an operation waits for another process.
const lockWait = 5 * time.Second

// OpenBolt creates the store at path if needed, with its directory.
func OpenBolt(path string) (*BoltStore, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("guard: state directory: %w", err)
	}
	s := &BoltStore{path: path}
	err := s.update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketRefreshes, bucketUsed, bucketRecords, bucketUsers} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	return s, err
}

func (s *BoltStore) open() (*bolt.DB, error) {
	db, err := bolt.Open(s.path, 0o600, &bolt.Options{Timeout: lockWait})
	if err != nil {
		return nil, fmt.Errorf("guard: opening %s: %w", s.path, err)
	}
	return db, nil
}

func (s *BoltStore) update(fn func(*bolt.Tx) error) error {
	db, err := s.open()
	if err != nil {
		return err
	}
	defer db.Close()
	return db.Update(fn)
}

func (s *BoltStore) view(fn func(*bolt.Tx) error) error {
	db, err := s.open()
	if err != nil {
		return err
	}
	defer db.Close()
	return db.View(fn)
}

// Close has nothing to release: the file is closed after each operation.
func (s *BoltStore) Close() error { return nil }

// AddRefresh appends at to key's ledger, dropping entries older than the window.
func (s *BoltStore) AddRefresh(key string, at time.Time) error {
	return s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRefreshes)
		times := append(decodeTimes(b.Get([]byte(key)), at.Add(-ledgerWindow)), at)
		return b.Put([]byte(key), encodeTimes(times))
	})
}

// Refreshes returns key's refresh times since the given time, oldest first.
func (s *BoltStore) Refreshes(key string, since time.Time) ([]time.Time, error) {
	var out []time.Time
	err := s.view(func(tx *bolt.Tx) error {
		out = decodeTimes(tx.Bucket(bucketRefreshes).Get([]byte(key)), since)
		return nil
	})
	return out, err
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

// PutRecord stores an idempotency record.
func (s *BoltStore) PutRecord(key string, rec Record) error {
	raw, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return s.update(func(tx *bolt.Tx) error { return tx.Bucket(bucketRecords).Put([]byte(key), raw) })
}

// GetRecord reads an idempotency record.
func (s *BoltStore) GetRecord(key string) (Record, bool, error) {
	var rec Record
	found := false
	err := s.view(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucketRecords).Get([]byte(key))
		if raw == nil {
			return nil
		}
		found = true
		return json.Unmarshal(raw, &rec)
	})
	return rec, found, err
}

// userKey folds an id's case: Basiq ids are case-insensitive UUIDs and hex.
func userKey(id string) []byte { return []byte(strings.ToLower(id)) }

// PutUser stores a directory entry.
func (s *BoltStore) PutUser(u KnownUser) error {
	raw, err := json.Marshal(u)
	if err != nil {
		return err
	}
	return s.update(func(tx *bolt.Tx) error { return tx.Bucket(bucketUsers).Put(userKey(u.ID), raw) })
}

// GetUser reads a directory entry.
func (s *BoltStore) GetUser(id string) (KnownUser, bool, error) {
	var u KnownUser
	found := false
	err := s.view(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucketUsers).Get(userKey(id))
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
	return s.update(func(tx *bolt.Tx) error { return tx.Bucket(bucketUsers).Delete(userKey(id)) })
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

func encodeTimes(times []time.Time) []byte {
	b := make([]byte, 8*len(times))
	for i, t := range times {
		binary.BigEndian.PutUint64(b[8*i:], uint64(t.UnixNano()))
	}
	return b
}

// decodeTimes returns the stored times at or after since.
func decodeTimes(b []byte, since time.Time) []time.Time {
	var out []time.Time
	for i := 0; i+8 <= len(b); i += 8 {
		t := time.Unix(0, int64(binary.BigEndian.Uint64(b[i:])))
		if !t.Before(since) {
			out = append(out, t)
		}
	}
	return out
}

// DefaultStateDir is where guard state lives unless configured:
// $XDG_STATE_HOME/basiq-mcp, or ~/.local/state/basiq-mcp.
func DefaultStateDir() (string, error) {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "basiq-mcp"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", errors.New("guard: no home directory; set --state-dir")
	}
	return filepath.Join(home, ".local", "state", "basiq-mcp"), nil
}

// Guards is everything the tools need from this package, opened from one
// state directory: state.db (ledger, confirmations, idempotency) and
// audit.jsonl.
type Guards struct {
	Governor *Governor
	Confirm  *Confirmer
	Idem     *Idempotency
	Audit    *Audit
	Users    *Directory
}

// Open opens the guards in dir. confirmKey seals confirmations; empty means
// a random per-process key.
func Open(dir string, c *basiq.Client, p Policy, confirmKey []byte, log *slog.Logger) (*Guards, error) {
	store, err := OpenBolt(filepath.Join(dir, "state.db"))
	if err != nil {
		return nil, err
	}
	audit, err := OpenAudit(filepath.Join(dir, "audit.jsonl"))
	if err != nil {
		return nil, err
	}
	return &Guards{Governor: NewGovernor(c, store, audit, p, log, nil), Confirm: NewConfirmer(confirmKey, store, nil),
		Idem: NewIdempotency(store, nil), Audit: audit, Users: NewDirectory(store, nil)}, nil
}

// Close closes the audit log.
func (g *Guards) Close() error { return g.Audit.Close() }
