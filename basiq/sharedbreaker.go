package basiq

import (
	"context"
	"time"
)

// SharedBreaker lets the processes of one deployment open and close the
// circuit breaker together: without it, N replicas each send their own
// failing requests before each stops, and each probes on its own. The
// guard's Redis store implements it.
type SharedBreaker interface {
	// BreakerOpenUntil says until when a process of the deployment opened
	// the breaker (zero: it is closed).
	BreakerOpenUntil(ctx context.Context) (time.Time, error)
	// OpenBreaker publishes that the breaker is open until then.
	OpenBreaker(ctx context.Context, until time.Time) error
	// CloseBreaker publishes that Basiq answered again.
	CloseBreaker(ctx context.Context) error
	// LeadProbe makes this process the one that probes Basiq, for ttl;
	// false means another process is probing.
	LeadProbe(ctx context.Context, ttl time.Duration) (bool, error)
}

// WithSharedBreaker opens and closes the breaker with the other processes
// of the deployment through s.
func WithSharedBreaker(s SharedBreaker) Option {
	return func(c *Client) error {
		c.sharedBreaker = s
		return nil
	}
}

// sharedRead bounds how often the shared state is read: once a second at
// most, not once per call.
const sharedRead = time.Second

// sharedTimeout bounds a call to the shared store: the breaker is a
// protection, and a slow store must not hold every Basiq call.
const sharedTimeout = 500 * time.Millisecond

// sharedView is the shared breaker as this process last read it.
type sharedView struct {
	until  time.Time
	readAt time.Time
}

// allowShared refuses a call while another process has the breaker open,
// and lets one process of the deployment probe once the time is up. A
// shared store that does not answer leaves the decision to this process's
// own breaker.
// It reports whether this call is the deployment's probe.
func (c *Client) allowShared(now time.Time) (probe bool, err error) {
	s := c.sharedBreaker
	if s == nil || c.breaker.threshold <= 0 {
		return false, nil
	}
	until := c.sharedUntil(now)
	switch {
	case until.IsZero():
		return false, nil
	case now.Before(until):
		return false, &UnavailableError{Failures: c.breaker.threshold, RetryAfter: max(until.Sub(now), time.Second)}
	}
	ctx, cancel := context.WithTimeout(context.Background(), sharedTimeout)
	defer cancel()
	lead, lerr := s.LeadProbe(ctx, c.breaker.cooldown)
	if lerr == nil && !lead {
		return false, &UnavailableError{Failures: c.breaker.threshold, RetryAfter: time.Second} // another process is probing
	}
	return lerr == nil, nil
}

// sharedUntil reads the shared open-until, at most once per sharedRead.
func (c *Client) sharedUntil(now time.Time) time.Time {
	c.sharedMu.Lock()
	defer c.sharedMu.Unlock()
	if now.Sub(c.breakerView.readAt) < sharedRead && !c.breakerView.readAt.IsZero() {
		return c.breakerView.until
	}
	ctx, cancel := context.WithTimeout(context.Background(), sharedTimeout)
	defer cancel()
	until, err := c.sharedBreaker.BreakerOpenUntil(ctx)
	if err != nil {
		return time.Time{}
	}
	c.breakerView = sharedView{until: until, readAt: now}
	return until
}

// recordShared publishes what this call's outcome did to the breaker: it
// opened it, or it was the deployment's probe and failed (every process
// stops for the cooldown), or it answered while the deployment's breaker
// was open (every process resumes).
func (c *Client) recordShared(now time.Time, probe, opened bool, openUntil time.Time, down bool) {
	s := c.sharedBreaker
	if s == nil {
		return
	}
	if probe && down && !opened {
		opened, openUntil = true, now.Add(c.breaker.cooldown)
	}
	ctx, cancel := context.WithTimeout(context.Background(), sharedTimeout)
	defer cancel()
	c.sharedMu.Lock()
	wasOpen := !c.breakerView.until.IsZero()
	c.sharedMu.Unlock()
	switch {
	case opened:
		if s.OpenBreaker(ctx, openUntil) == nil {
			c.sharedMu.Lock()
			c.breakerView = sharedView{until: openUntil, readAt: now}
			c.sharedMu.Unlock()
		}
	case !down && wasOpen:
		if s.CloseBreaker(ctx) == nil {
			c.sharedMu.Lock()
			c.breakerView = sharedView{readAt: now}
			c.sharedMu.Unlock()
		}
	}
}
