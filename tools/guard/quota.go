package guard

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// RuleCaller is the rule of a per-caller quota.
const RuleCaller = "caller-quota"

// Quota bounds how often one OAuth caller may do something costly (send a
// refresh, create a report) in a window, in the shared store, so every
// replica counts together. A use is one atomic reservation, checked and
// recorded in one step before anything is sent, and taken back if nothing
// was: fifty concurrent calls against a quota of five send five. A request
// without a caller (stdio, the static bearer token) is not counted: the
// deployment's own limits apply.
type Quota struct {
	store  Store
	what   string // "refreshes", "reports"
	limit  int    // 0: no quota
	window time.Duration
	now    func() time.Time
}

// NewQuota counts what in window, at most limit per caller (0: unlimited).
func NewQuota(store Store, what string, limit int, window time.Duration, now func() time.Time) *Quota {
	if now == nil {
		now = time.Now
	}
	return &Quota{store: store, what: what, limit: limit, window: window, now: now}
}

// Hold is one use of a caller's quota, reserved before the thing is sent.
// Release takes it back unless Keep said it was sent; a nil Hold (no quota,
// no caller) does nothing.
type Hold struct {
	store Store
	key   string
	at    time.Time
	once  sync.Once // the first of Keep and Release decides
}

// Reserve takes one use of ctx's caller's quota, or refuses with a
// *QuotaError when the caller has used it all. A store that does not
// answer refuses too: nothing is sent unrecorded.
func (q *Quota) Reserve(ctx context.Context) (*Hold, error) {
	c, ok := CallerFrom(ctx)
	if q == nil || q.limit <= 0 || !ok {
		return nil, nil
	}
	r := Reservation{Key: "caller|" + q.what + "|" + c.Key(), Now: q.now(), CapWindow: q.window, Cap: q.limit, NoBudget: true}
	v, err := q.store.Reserve(r)
	if err != nil {
		return nil, fmt.Errorf("guard: the caller's quota could not be checked, so nothing was sent: %w", err)
	}
	if v.Rule != "" { // only the cap applies to a quota; any refusal is one

		return nil, &QuotaError{What: q.what, Limit: q.limit, Window: q.window, RetryAt: v.RetryAt}
	}
	return &Hold{store: q.store, key: r.Key, at: r.Now}, nil
}

// Keep marks the use as spent: the thing was sent.
func (h *Hold) Keep() {
	if h != nil {
		h.once.Do(func() {})
	}
}

// Release takes the use back unless it was kept; it is safe to call more
// than once. A store that does not answer keeps the use (the caller loses
// one, the quota is never overrun).
func (h *Hold) Release() {
	if h != nil {
		h.once.Do(func() { h.store.Unreserve(h.key, h.at) })
	}
}

// QuotaError is a caller's quota refusing.
type QuotaError struct {
	What    string
	Limit   int
	Window  time.Duration
	RetryAt time.Time
}

func (e *QuotaError) Error() string {
	return fmt.Sprintf("this caller has used its quota of %d %s per %s; retry after %s, or ask the operator for a higher quota",
		e.Limit, e.What, e.Window, e.RetryAt.UTC().Format(time.RFC3339))
}
