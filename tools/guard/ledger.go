package guard

import (
	"encoding/binary"
	"math"
	"time"
)

// Reservation asks the store to check one refresh against the rules that
// need the shared ledger and, if they allow it, to record it, in one atomic
// step: two processes or replicas can never both pass.
type Reservation struct {
	Key       string        // normalised user/connection
	Now       time.Time     // the decision's time
	Since     time.Time     // the latest activity Basiq shows (lastUsed, newest job)
	Cooldown  time.Duration // minimum time since the latest refresh
	Cap       int           // refreshes allowed per CapWindow
	CapWindow time.Duration
	Seen      int     // refreshes Basiq's job history shows within CapWindow
	PerMinute float64 // the budget shared by every process on the store
	Burst     int
	DryRun    bool // only look: record nothing, take nothing
	// NoBudget leaves the deployment's budget out: neither checked nor
	// taken (a per-caller quota, or shadow mode's record of a refresh).
	NoBudget bool
}

// Rules a reservation can break.
const (
	RuleCooldown = "cooldown"
	RuleCap      = "daily-cap"
	RuleBudget   = "budget"
	// RuleStatus and RuleInstitution are decided from what Basiq reports
	// (the connection's status, the institution's), not from the ledger.
	RuleStatus      = "connection-status"
	RuleInstitution = "institution-status"
)

// Verdict is a store's answer to a reservation.
type Verdict struct {
	Rule    string    // "" when allowed (and, unless a dry run, recorded)
	Last    time.Time // the latest refresh or activity, for the message
	Count   int       // refreshes within the cap's window
	RetryAt time.Time // when the broken rule will allow it
}

// budgetState is the state of the shared refresh budget.
type budgetState struct {
	Tokens float64
	Filled time.Time
}

// decide applies a reservation to the ledger times of its key (oldest
// first) and the budget. It is pure, so every store runs the same rules
// inside its own transaction.
func decide(r Reservation, times []time.Time, b budgetState) (v Verdict, keep []time.Time, after budgetState) {
	horizon := r.Now.Add(-max(r.CapWindow, r.Cooldown))
	for _, t := range times {
		if !t.Before(horizon) {
			keep = append(keep, t)
		}
	}
	v.Last = r.Since
	if n := len(keep); n > 0 && keep[n-1].After(v.Last) {
		v.Last = keep[n-1]
	}
	inWindow := 0
	for _, t := range keep {
		if !t.Before(r.Now.Add(-r.CapWindow)) {
			inWindow++
		}
	}
	v.Count = max(inWindow, r.Seen)
	after = refill(b, r)
	if r.NoBudget {
		after = b
	}
	switch {
	case r.Cooldown > 0 && !v.Last.IsZero() && r.Now.Before(v.Last.Add(r.Cooldown)):
		// Without a cooldown there is none: a use recorded a moment "later"
		// by a concurrent caller whose clock read came first is no reason.
		v.Rule, v.RetryAt = RuleCooldown, v.Last.Add(r.Cooldown)
	case r.Cap > 0 && v.Count >= r.Cap:
		v.Rule, v.RetryAt = RuleCap, capRetry(keep, r)
	case !r.NoBudget && after.Tokens < 1:
		v.Rule, v.RetryAt = RuleBudget, r.Now.Add(budgetWait(after, r))
	}
	if v.Rule != "" || r.DryRun {
		return v, keep, b
	}
	if !r.NoBudget {
		after.Tokens--
	}
	return v, append(keep, r.Now), after
}

func refill(b budgetState, r Reservation) budgetState {
	if b.Filled.IsZero() {
		return budgetState{Tokens: float64(r.Burst), Filled: r.Now}
	}
	gained := r.Now.Sub(b.Filled).Minutes() * r.PerMinute
	return budgetState{Tokens: math.Min(float64(r.Burst), b.Tokens+math.Max(gained, 0)), Filled: r.Now}
}

func budgetWait(b budgetState, r Reservation) time.Duration {
	if r.PerMinute <= 0 {
		return time.Hour
	}
	return time.Duration((1 - b.Tokens) / r.PerMinute * float64(time.Minute))
}

// capRetry is when the oldest refresh in the window leaves it.
func capRetry(keep []time.Time, r Reservation) time.Time {
	for _, t := range keep {
		if !t.Before(r.Now.Add(-r.CapWindow)) {
			return t.Add(r.CapWindow)
		}
	}
	return r.Now.Add(r.CapWindow)
}

func encodeTimes(times []time.Time) []byte {
	b := make([]byte, 8*len(times))
	for i, t := range times {
		binary.BigEndian.PutUint64(b[8*i:], uint64(t.UnixNano()))
	}
	return b
}

func decodeTimes(b []byte) []time.Time {
	var out []time.Time
	for i := 0; i+8 <= len(b); i += 8 {
		out = append(out, time.Unix(0, int64(binary.BigEndian.Uint64(b[i:]))))
	}
	return out
}

func encodeBucket(b budgetState) []byte {
	out := make([]byte, 16)
	binary.BigEndian.PutUint64(out, math.Float64bits(b.Tokens))
	binary.BigEndian.PutUint64(out[8:], uint64(b.Filled.UnixNano()))
	return out
}

func decodeBucket(b []byte) budgetState {
	if len(b) != 16 {
		return budgetState{}
	}
	return budgetState{Tokens: math.Float64frombits(binary.BigEndian.Uint64(b)), Filled: time.Unix(0, int64(binary.BigEndian.Uint64(b[8:])))}
}

// withoutOne removes one ledger entry at exactly at (a use reserved and then
// not carried out), keeping the others in order.
func withoutOne(times []time.Time, at time.Time) []time.Time {
	for i, t := range times {
		if t.Equal(at) {
			return append(times[:i:i], times[i+1:]...)
		}
	}
	return times
}
