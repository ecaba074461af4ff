package basiq

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// Circuit breaker defaults: after this many calls in a row fail because
// Basiq is down (network errors, 5xx, garbled answers), calls fail fast for
// the cooldown instead of piling up; then one probe call is let through.
const (
	DefaultBreakerThreshold = 5
	DefaultBreakerCooldown  = 30 * time.Second
)

// UnavailableError is returned without calling Basiq while the breaker is
// open.
type UnavailableError struct {
	Failures   int
	RetryAfter time.Duration
}

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("basiq: Basiq looks unavailable (%d calls in a row failed); not calling it for %s", e.Failures, e.RetryAfter.Round(time.Second))
}

// IsUnavailable reports whether err is the breaker refusing a call, and
// when to try again.
func IsUnavailable(err error) (time.Duration, bool) {
	var e *UnavailableError
	if errors.As(err, &e) {
		return e.RetryAfter, true
	}
	return 0, false
}

// WithCircuitBreaker sets the breaker's threshold and cooldown; a threshold
// of 0 turns it off.
func WithCircuitBreaker(threshold int, cooldown time.Duration) Option {
	return func(c *Client) error {
		c.breaker = breaker{threshold: threshold, cooldown: cooldown}
		return nil
	}
}

type breaker struct {
	threshold int
	cooldown  time.Duration

	mu        sync.Mutex
	failures  int
	openUntil time.Time
	probing   bool
}

// allow refuses a call while open; after the cooldown it lets one probe
// in, and says so.
func (b *breaker) allow(now time.Time) (probe bool, err error) {
	if b.threshold <= 0 {
		return false, nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failures < b.threshold {
		return false, nil
	}
	if now.Before(b.openUntil) || b.probing {
		wait := max(b.openUntil.Sub(now), time.Second)
		return false, &UnavailableError{Failures: b.failures, RetryAfter: wait}
	}
	b.probing = true
	return true, nil
}

// unprobe gives back a probe allow let in but that was never sent (the
// deployment's shared breaker refused it), so the next call may probe:
// held, it would refuse every call for good while the breaker looks
// closed.
func (b *breaker) unprobe() {
	b.mu.Lock()
	b.probing = false
	b.mu.Unlock()
}

// record notes how a call ended: down means Basiq could not answer. It
// reports whether this outcome opened the breaker, and until when.
func (b *breaker) record(now time.Time, down bool) (opened bool, until time.Time) {
	if b.threshold <= 0 {
		return false, time.Time{}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.probing = false
	if !down {
		b.failures = 0
		return false, time.Time{}
	}
	b.failures++
	if b.failures >= b.threshold {
		b.openUntil = now.Add(b.cooldown)
		return true, b.openUntil
	}
	return false, time.Time{}
}

// upstreamDown reports whether err means Basiq itself failed, as opposed
// to refusing the request (4xx) or the caller giving up.
func upstreamDown(err error) bool {
	if err == nil || IsInputError(err) || IsDecodeError(err) || errors.Is(err, errCallerGaveUp) {
		return false
	}
	if e, ok := AsError(err); ok {
		return e.StatusCode >= 500
	}
	return true
}

var errCallerGaveUp = errors.New("caller gave up")
