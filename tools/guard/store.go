// Package guard holds the state and rules that keep an agent from hurting a
// bank or a customer: the refresh governor, sealed confirmations for
// destructive actions, idempotency records, the customer directory and the
// audit log. Its state lives in a Store that every process and replica of a
// deployment shares, and every decision that must not happen twice is one
// atomic step in that store.
package guard

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Store keeps guard state. Two implementations pass one contract test
// suite: BoltStore (a file, shared by the processes of one machine) and
// RedisStore (shared by replicas).
type Store interface {
	// Kind names the store ("bbolt" or "redis") for /healthz.
	Kind() string
	// Ping reports whether the store answers.
	Ping() error
	// Reserve checks a refresh against the ledger rules and the shared
	// budget and, when they allow it, records it, atomically.
	Reserve(r Reservation) (Verdict, error)
	// Spread checks and records, atomically, one customer among those a
	// scope refreshed within a window (the bulk rule).
	Spread(s Spread) (allowed bool, count int, err error)
	// Unreserve takes back one use a reservation recorded at at, when what
	// it was for was not carried out.
	Unreserve(key string, at time.Time) error
	// UseOnce marks id used until expires; it reports false when id was
	// used before.
	UseOnce(id string, expires time.Time) (first bool, err error)
	// Claim stores rec under key unless a record younger than ttl is there;
	// it returns the record in force and whether rec became it.
	Claim(key string, rec Record, ttl time.Duration) (Record, bool, error)
	// PutRecord replaces the record under key; DeleteRecord removes it.
	PutRecord(key string, rec Record, ttl time.Duration) error
	DeleteRecord(key string) error
	// ScanRecords calls fn with every record whose key starts with prefix,
	// in no order, until fn returns false.
	ScanRecords(prefix string, fn func(key string, rec Record) bool) error
	// PutUsers (all at once), GetUser, DeleteUser and ScanUsers keep the
	// customer directory; fn returns false to stop a scan.
	PutUsers(us ...KnownUser) error
	GetUser(id string) (KnownUser, bool, error)
	DeleteUser(id string) error
	ScanUsers(fn func(KnownUser) bool) error
	// Recovered says when the store was found emptied (a Redis restarted
	// without persistence), zero when it was not, within IdempotencyTTL.
	Recovered() (time.Time, error)
	// Close releases the store.
	Close() error
}

// Record is an idempotency record: the arguments' hash, where the create
// stands and, once done, its result.
type Record struct {
	ArgsHash string          `json:"args"`
	State    string          `json:"state"`
	Result   json.RawMessage `json:"result,omitempty"`
	Created  time.Time       `json:"created"`
	// Call is a keyed create's arguments, kept only until it settles, so
	// that a create whose process stopped mid-send can be looked up at
	// Basiq without a retry (see Idempotency.Abandoned).
	Call json.RawMessage `json:"call,omitempty"`
	// Unaudited marks a create done at Basiq whose outcome line is not yet
	// written: the line is written under the key's lease after the record
	// (Idempotency.Outcome), and by another process if this one stops.
	Unaudited bool `json:"unaudited,omitempty"`
	// Writer is the audit file the outcome line goes to, while Unaudited.
	Writer *LineWriter `json:"writer,omitempty"`
}

// Record states.
const (
	StatePending = "pending" // claimed; nothing sent yet
	StateSending = "sending" // the create is being sent (or was, by a process that died)
	StateDone    = "done"    // Basiq created it; Result holds what it returned
	StateUnknown = "unknown" // sent, but the answer was lost: it may exist
)

// Key normalises an id, or ids joined with "/", into a store key: Basiq
// ids are case-insensitive (UUIDs, hex), and one resource must never count
// as two because it was spelled two ways.
func Key(parts ...string) string {
	return strings.ToLower(strings.Join(parts, "/"))
}

// ErrStoreDown wraps a store failure: writes and refreshes stop (fail
// closed) until the store answers again.
var ErrStoreDown = errors.New("the guard store is not answering")

func storeDown(err error) error {
	if err == nil || errors.Is(err, ErrStoreDown) {
		return err
	}
	return fmt.Errorf("%w: %v", ErrStoreDown, err)
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
