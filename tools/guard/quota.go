package guard

import (
	"context"
	"fmt"
	"time"
)

// RuleCaller is the rule of a per-caller quota.
const RuleCaller = "caller-quota"

// Quota bounds how often one OAuth caller may do something costly (send a
// refresh, create a report) in a window, in the shared store, so every
// replica counts together. A request without a caller (stdio, the static
// bearer token) is not counted: the deployment's own limits apply.
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

func (q *Quota) reservation(c Caller, look bool) Reservation {
	return Reservation{Key: "caller|" + q.what + "|" + c.Key(), Now: q.now(), CapWindow: q.window, Cap: q.limit, DryRun: look, NoBudget: true}
}

// Check refuses when the caller has used its quota; it takes nothing.
func (q *Quota) Check(ctx context.Context) error {
	c, ok := CallerFrom(ctx)
	if q == nil || q.limit <= 0 || !ok {
		return nil
	}
	v, err := q.store.Reserve(q.reservation(c, true))
	if err != nil {
		return fmt.Errorf("guard: the caller's quota could not be checked, so nothing was sent: %w", err)
	}
	if v.Rule == RuleCap {
		return &QuotaError{What: q.what, Limit: q.limit, Window: q.window, RetryAt: v.RetryAt}
	}
	return nil
}

// Take counts one use after the thing was allowed. It never refuses: the
// check came first, so concurrent calls of one caller can pass the quota
// by at most their number, and nothing allowed goes unrecorded.
func (q *Quota) Take(ctx context.Context) error {
	c, ok := CallerFrom(ctx)
	if q == nil || q.limit <= 0 || !ok {
		return nil
	}
	r := q.reservation(c, false)
	r.Cap = 0
	_, err := q.store.Reserve(r)
	return err
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
