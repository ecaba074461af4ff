package guard

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// IdempotencyTTL is how long a create's result answers a repeat.
const IdempotencyTTL = 24 * time.Hour

// Idempotency makes creates safe to retry: agents repeat calls after
// timeouts, and Basiq would create a second user or report each time.
type Idempotency struct {
	store Store
	now   func() time.Time
	keys  keyed
}

// NewIdempotency keeps records in store.
func NewIdempotency(store Store, now func() time.Time) *Idempotency {
	if now == nil {
		now = time.Now
	}
	return &Idempotency{store: store, now: now}
}

// IdempotencyError is a key reused with other arguments.
type IdempotencyError struct{ Msg string }

func (e *IdempotencyError) Error() string { return e.Msg }

// Do runs create once per (tool, key) within the TTL. A repeat with the
// same arguments gets the first result back (replayed); with other
// arguments it is refused. Concurrent repeats wait for the first.
func (i *Idempotency) Do(tool, key string, args any, create func() (any, error)) (result json.RawMessage, replayed bool, err error) {
	id := tool + "\x00" + key
	defer i.keys.lock(id)()

	argJSON, err := json.Marshal(args)
	if err != nil {
		return nil, false, err
	}
	sum := sha256.Sum256(argJSON)
	hash := hex.EncodeToString(sum[:])
	rec, found, err := i.store.GetRecord(id)
	if err != nil {
		return nil, false, err
	}
	if found && i.now().Sub(rec.Created) < IdempotencyTTL {
		if rec.ArgsHash != hash {
			return nil, false, &IdempotencyError{fmt.Sprintf("idempotency_key %q was already used with different arguments (at %s); use a new key for a different request",
				key, rec.Created.UTC().Format(time.RFC3339))}
		}
		return rec.Result, true, nil
	}
	out, err := create()
	if err != nil {
		return nil, false, err
	}
	raw, err := json.Marshal(out)
	if err != nil {
		return nil, false, err
	}
	if err := i.store.PutRecord(id, Record{ArgsHash: hash, Result: raw, Created: i.now()}); err != nil {
		return nil, false, err
	}
	return raw, false, nil
}
