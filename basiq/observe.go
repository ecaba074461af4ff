package basiq

import (
	"context"
	"strings"
	"time"
)

// Exchange is one HTTP exchange with Basiq as an observer sees it: no ids,
// no query, no body, so it can feed metrics without customer data.
type Exchange struct {
	Method string
	// Route is the path with every id replaced by {id}, as
	// /users/{id}/connections/{id}/refresh.
	Route string
	// Status is Basiq's HTTP status, or 0 when no answer came.
	Status   int
	Began    time.Time
	Duration time.Duration
}

// WithObserver calls fn after every HTTP exchange with Basiq, retries
// included. fn runs on the request's goroutine, so it must be quick.
func WithObserver(fn func(Exchange)) Option {
	return func(c *Client) error {
		c.observe = fn
		return nil
	}
}

// WithContextObserver calls fn after every HTTP exchange with Basiq, with
// the context of the call it served (a trace can place the exchange in
// its request); fn runs on the request's goroutine, so it must be quick.
// Each use adds an observer; they are called in the order given.
func WithContextObserver(fn func(context.Context, Exchange)) Option {
	return func(c *Client) error {
		if prev := c.observeCtx; prev != nil {
			c.observeCtx = func(ctx context.Context, e Exchange) { prev(ctx, e); fn(ctx, e) }
			return nil
		}
		c.observeCtx = fn
		return nil
	}
}

func (c *Client) observed(ctx context.Context, method, path string, status int, began time.Time) {
	if c.observe == nil && c.observeCtx == nil {
		return
	}
	e := Exchange{Method: method, Route: Route(path), Status: status, Began: began, Duration: time.Since(began)}
	if c.observe != nil {
		c.observe(e)
	}
	if c.observeCtx != nil {
		c.observeCtx(ctx, e)
	}
}

// routeWords are the path segments of Basiq's API that name things rather
// than identify them; every other segment is an id.
var routeWords = map[string]bool{
	"token": true, "users": true, "connections": true, "refresh": true, "jobs": true, "mfa": true,
	"connectors": true, "institutions": true, "accounts": true, "transactions": true, "reports": true,
	"report_types": true, "auth_link": true, "consents": true, "events": true, "affordability": true,
	"expenses": true, "income": true, "statements": true, "pdf": true,
}

// Route replaces the ids in a Basiq path with {id}, keeping the words, so
// the number of routes stays bounded and no id leaves the client.
func Route(path string) string {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for i, s := range segs {
		if !routeWords[s] {
			segs[i] = "{id}"
		}
	}
	return "/" + strings.Join(segs, "/")
}

// BreakerOpen reports whether the circuit breaker is refusing calls now.
func (c *Client) BreakerOpen() bool {
	b := &c.breaker
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.threshold > 0 && b.failures >= b.threshold && c.now().Before(b.openUntil)
}

// Ready reports whether the client can call Basiq: it holds a server token
// or can get one now. A cached token costs nothing; otherwise one token
// request is made (shared with every caller waiting for it).
func (c *Client) Ready(ctx context.Context) error {
	if _, err := c.tokens.get(ctx); err != nil {
		return c.scrub(err)
	}
	return nil
}
