package guard

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
)

// IdempotencyTTL is how long a create's result answers a repeat.
const IdempotencyTTL = 24 * time.Hour

// Idempotency makes creates safe to retry: agents repeat calls after
// timeouts, and Basiq would create a second user or report each time.
type Idempotency struct {
	store Store
	now   func() time.Time
	keys  keyed
	lines *Audit // where this process writes outcome lines (Outcome reads it back)
	// unwritten are the done creates whose line this process's file is to
	// hold and Outcome has not yet marked written (Unwritten).
	unwritten sync.Map // record id -> Abandoned
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

// Do runs create at most once per (tool, key) within the TTL, across every
// process on the store: the key is claimed atomically before anything is
// sent. A repeat with the same arguments gets the first result back
// (replayed); with other arguments it is refused. A create whose answer was
// lost (Basiq may have carried it out) leaves the key "unknown": a repeat
// never creates again, but asks reconcile to find what the first attempt
// made (nil: nothing can be looked up) and otherwise says what to check.
func (i *Idempotency) Do(tool, key string, args any, create func() (any, error), reconcile func(since time.Time) (any, bool, error)) (result json.RawMessage, replayed bool, err error) {
	id := Key(tool) + "\x00" + key
	defer i.keys.lock(id)()
	argJSON, err := json.Marshal(args)
	if err != nil {
		return nil, false, err
	}
	hash := HashArgs(argJSON)
	now := i.now().UTC()
	rec, claimed, err := i.store.Claim(id, Record{ArgsHash: hash, State: StatePending, Created: now, Call: argJSON}, IdempotencyTTL)
	if err != nil {
		return nil, false, fmt.Errorf("guard: the idempotency_key could not be claimed, so nothing was created: %w", storeDown(err))
	}
	if !claimed {
		return i.repeat(id, key, hash, rec, create, reconcile)
	}
	// Only the holder of the key's lease sends: a repeat that found the
	// claim before this call took the lease may have taken it over.
	stop, ok := i.takeOver(id)
	if !ok {
		return nil, false, &IdempotencyError{fmt.Sprintf("another call with idempotency_key %q is being carried out; wait a few seconds and call again with the same key", key)}
	}
	defer stop()
	// A repeat that saw this claim may have taken the lease first, sent,
	// and let it go since: send only on a claim still pending.
	if now, found, err := i.current(id); err != nil || !found || now.State != StatePending {
		if err == nil && found && now.State == StateDone {
			return now.Result, true, nil
		}
		return nil, false, &IdempotencyError{fmt.Sprintf("another call with idempotency_key %q is being carried out; wait a few seconds and call again with the same key", key)}
	}
	if raw, done, err := i.afterEmptied(id, key, rec, reconcile); done || err != nil {
		return raw, done, err
	}
	return i.send(id, rec, create)
}

// HashArgs is the digest of a call's arguments a key's record keeps.
func HashArgs(argJSON []byte) string {
	sum := sha256.Sum256(argJSON)
	return hex.EncodeToString(sum[:])
}

// leaseTTL is how long a claim's owner is taken to be alive without
// renewing its lease; it renews every third of it while its call runs.
const leaseTTL = 15 * time.Second

// hold keeps renewing this process's lease on key id until the returned
// stop is called, which gives it up.
func (i *Idempotency) hold(id string) (stop func()) {
	lease := "lease\x00" + id
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(leaseTTL / 3)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				_ = i.store.PutRecord(lease, Record{State: "lease", Created: i.now().UTC()}, leaseTTL)
			}
		}
	}()
	return func() { close(done); _ = i.store.DeleteRecord(lease) }
}

// takeOver claims the lease of key id if its owner stopped renewing it
// (its process is gone); false means the owner is alive.
func (i *Idempotency) takeOver(id string) (stop func(), ok bool) {
	_, claimed, err := i.store.Claim("lease\x00"+id, Record{State: "lease", Created: i.now().UTC()}, leaseTTL)
	if err != nil || !claimed {
		return nil, false
	}
	return i.hold(id), true
}

// send marks the claim as being sent, then runs create and records how it
// ended: a result to replay, an unknown outcome, or nothing (Basiq refused
// it, so a retry may try again).
func (i *Idempotency) send(id string, rec Record, create func() (any, error)) (json.RawMessage, bool, error) {
	rec.State = StateSending
	if err := i.store.PutRecord(id, rec, IdempotencyTTL); err != nil {
		_ = i.store.DeleteRecord(id)
		return nil, false, fmt.Errorf("guard: the idempotency_key could not be recorded as sending, so nothing was created: %w", storeDown(err))
	}
	out, err := create()
	if err != nil {
		if basiq.MayHaveHappened(err) {
			rec.State = StateUnknown
			if perr := i.store.PutRecord(id, rec, IdempotencyTTL); perr != nil {
				err = errors.Join(err, perr)
			}
			return nil, false, &UnknownOutcomeError{Err: err}
		}
		_ = i.store.DeleteRecord(id) // Basiq refused it: a retry may try again
		return nil, false, err
	}
	raw, err := json.Marshal(out)
	if err != nil {
		return nil, false, err
	}
	i.markDone(id, &rec, raw) // settled: its arguments are not kept; its outcome is written next
	if err := i.store.PutRecord(id, rec, IdempotencyTTL); err != nil {
		return raw, false, nil // created; only the replay of a later repeat is lost
	}
	return raw, false, nil
}

// afterEmptied guards a key claimed in a store that was found emptied
// within the TTL: the key may have been used before the records were lost,
// so Basiq is asked first (the same look as after a lost answer) for what
// an earlier call with it made. Found: that is replayed. Not found: the
// create goes ahead. Not knowable: nothing is created, and the caller is
// told what to check.
func (i *Idempotency) afterEmptied(id, key string, rec Record, reconcile func(time.Time) (any, bool, error)) (json.RawMessage, bool, error) {
	emptied, err := i.store.Recovered()
	if err != nil {
		_ = i.store.DeleteRecord(id)
		return nil, false, fmt.Errorf("guard: the idempotency_key could not be checked, so nothing was created: %w", storeDown(err))
	}
	if emptied.IsZero() {
		return nil, false, nil
	}
	var found any
	ok := false
	if reconcile != nil {
		found, ok, err = reconcile(emptied.Add(-IdempotencyTTL))
	}
	switch {
	case err == nil && ok:
		return i.settle(id, rec, found)
	case err == nil && reconcile != nil:
		return nil, false, nil
	}
	_ = i.store.DeleteRecord(id)
	return nil, false, &IdempotencyError{fmt.Sprintf("the guard store lost its records at %s (it came back empty), and whether idempotency_key %q already made something cannot be looked up at Basiq now; nothing was created. Look for it (list_users, get_auth_link, list_reports) and call again without the key only if it is not there",
		emptied.UTC().Format(time.RFC3339), key)}
}

// settle records what a look at Basiq found as the key's result, and
// replays it.
func (i *Idempotency) settle(id string, rec Record, found any) (json.RawMessage, bool, error) {
	raw, err := json.Marshal(found)
	if err != nil {
		return nil, false, err
	}
	i.markDone(id, &rec, raw)
	_ = i.store.PutRecord(id, rec, IdempotencyTTL)
	return raw, true, nil
}

// repeat answers a call whose key another call claimed first. While the
// first call's process holds its lease, the repeat waits. When that
// process is gone, the repeat takes the claim over: a claim never sent is
// sent now; one that was being sent, or whose answer was lost, is looked
// up at Basiq first, and sent only when the look finds nothing.
func (i *Idempotency) repeat(id, key, hash string, rec Record, create func() (any, error), reconcile func(time.Time) (any, bool, error)) (json.RawMessage, bool, error) {
	at := rec.Created.UTC().Format(time.RFC3339)
	if rec.ArgsHash != hash {
		return nil, false, &IdempotencyError{fmt.Sprintf("idempotency_key %q was already used with different arguments (at %s); use a new key for a different request", key, at)}
	}
	if rec.State == StateDone {
		return rec.Result, true, nil
	}
	if rec.State == StatePending || rec.State == StateSending || rec.State == StateUnknown {
		stop, ok := i.takeOver(id)
		if !ok {
			return nil, false, &IdempotencyError{fmt.Sprintf("the first call with idempotency_key %q (at %s) is still being carried out; wait a few seconds and call again with the same key", key, at)}
		}
		defer stop()
		// What was read before the lease may be stale: the first call may
		// have finished (and let its lease go) since. Decide on the record
		// as it is now.
		now, found, err := i.current(id)
		switch {
		case err != nil:
			return nil, false, fmt.Errorf("guard: the idempotency_key could not be read, so nothing was created: %w", storeDown(err))
		case !found:
			return nil, false, &IdempotencyError{fmt.Sprintf("the first call with idempotency_key %q (at %s) ended without creating anything; call again with the same key", key, at)}
		case now.State == StateDone:
			return now.Result, true, nil
		}
		rec = now
		if rec.State == StatePending { // its process stopped before sending anything
			return i.send(id, rec, create)
		}
	}
	if reconcile != nil {
		found, ok, err := reconcile(rec.Created.Add(-time.Minute))
		switch {
		case err == nil && ok:
			return i.settle(id, rec, found)
		case err == nil && (rec.State == StateSending || rec.State == StateUnknown):
			// The owner died mid-send, or its answer was lost, and Basiq
			// shows nothing made since: it was not carried out.
			return i.send(id, rec, create)
		}
	}
	if rec.State == StateSending {
		rec.State = StateUnknown
		_ = i.store.PutRecord(id, rec, IdempotencyTTL)
		return nil, false, &IdempotencyError{fmt.Sprintf("the first call with idempotency_key %q (at %s) stopped while it was being sent, so it may have created it; nothing was sent again. Look for it before creating anew (list_users, get_auth_link, list_reports), and use a new key only if it is not there", key, at)}
	}
	return nil, false, &IdempotencyError{fmt.Sprintf("the first call with idempotency_key %q (at %s) was sent but its answer was lost, so it may have created it; nothing was created again. Look for it before creating anew (list_users, get_auth_link, list_reports), and use a new key only if it is not there", key, at)}
}

// UnknownOutcomeError is a create that was sent but whose answer was lost:
// Basiq may have carried it out.
type UnknownOutcomeError struct{ Err error }

func (e *UnknownOutcomeError) Error() string {
	return "the create was sent but its answer was lost (" + e.Err.Error() + "), so it may have been carried out; nothing will be sent again automatically. Call again with the same idempotency_key: this server then looks for what it made, and sends it again only if Basiq shows nothing"
}

func (e *UnknownOutcomeError) Unwrap() error { return e.Err }

// Ready reports whether the store answers; writes are refused while it does
// not (fail closed), so no write happens without its guard state.
func (i *Idempotency) Ready() error {
	if err := i.store.Ping(); err != nil {
		return fmt.Errorf("the guard store (%s) is not answering, so writes are stopped until it does; reads still work: %w", i.store.Kind(), storeDown(err))
	}
	return nil
}

// NoteSent records that a destructive action on target is being sent, so a
// later 404 for it can be told apart from a target that never existed:
// when the answer to a delete is lost, the next look finds it gone because
// the delete went through.
func (i *Idempotency) NoteSent(action, target string) error {
	return i.store.PutRecord(Key("sent", action, target), Record{State: StatePending, Created: i.now().UTC()}, IdempotencyTTL)
}

// WasSent reports whether action on target was sent within the TTL.
func (i *Idempotency) WasSent(action, target string) bool {
	rec, claimed, err := i.store.Claim(Key("sent", action, target), Record{State: "probe", Created: i.now().UTC()}, IdempotencyTTL)
	if err != nil {
		return false
	}
	if claimed { // nothing was there: remove the probe again
		_ = i.store.DeleteRecord(Key("sent", action, target))
		return false
	}
	return rec.State == StatePending
}

// current reads the record under id as it is now (false: there is none).
func (i *Idempotency) current(id string) (Record, bool, error) {
	rec, claimed, err := i.store.Claim(id, Record{State: "probe", Created: i.now().UTC()}, IdempotencyTTL)
	if err != nil {
		return Record{}, false, err
	}
	if claimed {
		return Record{}, false, i.store.DeleteRecord(id)
	}
	return rec, true, nil
}
