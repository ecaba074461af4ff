package basiq

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"sync"
	"time"
)

// Token scopes Basiq issues.
const (
	ScopeServer = "SERVER_ACCESS"
	ScopeClient = "CLIENT_ACCESS"
)

// tokenFetchTimeout bounds one token request, whichever caller started it.
const tokenFetchTimeout = 30 * time.Second

type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
}

// SharedTokens lets the processes of one deployment share the SERVER_ACCESS
// token: Basiq limits POST /token per application, so N replicas should make
// one token request, not N. The guard's Redis store implements it.
type SharedTokens interface {
	// LoadToken returns the token another process published, if any.
	LoadToken(ctx context.Context) (token string, expires time.Time, ok bool, err error)
	// LeadToken makes this process the one that fetches the next token for
	// ttl; false means another process is fetching it.
	LeadToken(ctx context.Context, ttl time.Duration) (bool, error)
	// StoreToken publishes a new token until it expires.
	StoreToken(ctx context.Context, token string, expires time.Time) error
}

// WithSharedTokens shares the server token through s.
func WithSharedTokens(s SharedTokens) Option {
	return func(c *Client) error {
		c.shared = s
		return nil
	}
}

// sharedWait bounds how long a process waits for another to publish a
// token before it fetches one itself (the leader may have died).
const sharedWait = 10 * time.Second

// tokenSource caches the process-wide SERVER_ACCESS token. Basiq limits
// POST /token (1,500 per 5 minutes) and asks partners to reuse tokens, so one
// fetch at a time serves every concurrent caller.
type tokenSource struct {
	c         *Client
	mu        sync.Mutex
	token     string
	renewAt   time.Time // after this, renew in the background
	expiresAt time.Time // after this (less a margin), wait for a new one
	rejected  string    // the token Basiq last refused
	inflight  *tokenFetch
}

type tokenFetch struct {
	done  chan struct{}
	token string
	err   error
}

// expiryMargin keeps a token from being used in its last minute, when it
// could expire between being read here and reaching Basiq.
const expiryMargin = time.Minute

func newTokenSource(c *Client) *tokenSource { return &tokenSource{c: c} }

// get returns a valid token, fetching one if there is none. A token past its
// half-life is still returned while a background fetch replaces it.
func (ts *tokenSource) get(ctx context.Context) (string, error) {
	ts.mu.Lock()
	now := ts.c.now()
	fresh := ts.token != "" && now.Before(ts.expiresAt.Add(-expiryMargin))
	if fresh && now.Before(ts.renewAt) {
		tok := ts.token
		ts.mu.Unlock()
		return tok, nil
	}
	f := ts.startFetchLocked()
	if fresh {
		tok := ts.token
		ts.mu.Unlock()
		return tok, nil
	}
	ts.mu.Unlock()
	select {
	case <-f.done:
		return f.token, f.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// startFetchLocked starts a fetch unless one is running. The fetch is
// detached from any caller's context: one caller giving up must not fail
// everyone else waiting on the same token.
func (ts *tokenSource) startFetchLocked() *tokenFetch {
	if ts.inflight != nil {
		return ts.inflight
	}
	f := &tokenFetch{done: make(chan struct{})}
	ts.inflight = f
	rejected := ts.rejected
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), tokenFetchTimeout)
		defer cancel()
		tok, expires, err := ts.obtain(ctx, rejected)
		ts.mu.Lock()
		defer ts.mu.Unlock()
		ts.inflight = nil
		if err != nil {
			f.err = err
			close(f.done)
			return
		}
		now := ts.c.now()
		ts.token, f.token = tok, tok
		ts.renewAt, ts.expiresAt = now.Add(expires.Sub(now)/2), expires
		ts.c.log.Debug("basiq token renewed", slog.Duration("lifetime", expires.Sub(now)))
		close(f.done)
	}()
	return f
}

// obtain returns a new token and when it expires: one another process
// published (unless it is the one Basiq just refused), or one fetched here,
// with this process as the leader the others wait for, then published.
func (ts *tokenSource) obtain(ctx context.Context, rejected string) (string, time.Time, error) {
	sh := ts.c.shared
	deadline := ts.c.now().Add(sharedWait)
	usable := func() (string, time.Time, bool) {
		tok, exp, ok, err := sh.LoadToken(ctx)
		return tok, exp, err == nil && ok && tok != rejected && ts.c.now().Before(exp.Add(-2*expiryMargin))
	}
	for sh != nil && ts.c.now().Before(deadline) {
		if tok, exp, ok := usable(); ok {
			return tok, exp, nil
		}
		lead, err := sh.LeadToken(ctx, tokenFetchTimeout)
		if err != nil {
			break // no shared store to wait on
		}
		if lead {
			// The last leader may have published and stepped down between
			// the look above and this lead: look once more before fetching.
			if tok, exp, ok := usable(); ok {
				return tok, exp, nil
			}
			break
		}
		if sleepCtx(ctx, 100*time.Millisecond) != nil {
			return "", time.Time{}, ctx.Err()
		}
	}
	tr, err := ts.c.requestToken(ctx, url.Values{"scope": {ScopeServer}}, true)
	if err != nil {
		return "", time.Time{}, err
	}
	life := time.Duration(tr.ExpiresIn) * time.Second
	if life <= 0 {
		life = time.Hour
	}
	expires := ts.c.now().Add(life)
	if sh != nil {
		if err := sh.StoreToken(ctx, tr.AccessToken, expires); err != nil {
			ts.c.log.Warn("the server token could not be shared", "error", err)
		}
	}
	return tr.AccessToken, expires, nil
}

// invalidate drops the cached token after Basiq refused it, and remembers
// it so that a copy in the shared store is not taken again.
func (ts *tokenSource) invalidate() {
	ts.mu.Lock()
	ts.rejected, ts.token = ts.token, ""
	ts.mu.Unlock()
}

// current returns the cached token, for redaction only.
func (ts *tokenSource) current() string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.token
}

// requestToken asks Basiq for a token; inner says it is the server token a
// call already let through needs (see call.inner), a client token being a
// call of its own.
func (c *Client) requestToken(ctx context.Context, form url.Values, inner bool) (*tokenResponse, error) {
	var tr tokenResponse
	cl := &call{method: "POST", path: "/token", form: form, idempotent: true, auth: authBasic, inner: inner}
	if _, err := c.send(ctx, cl, &tr); err != nil {
		return nil, err
	}
	if tr.AccessToken == "" {
		return nil, errors.New("basiq: POST /token: response has no access_token")
	}
	return &tr, nil
}

// ClientToken is a CLIENT_ACCESS token bound to one user, for Basiq's hosted
// consent UI. It prints as "[REDACTED]" so it cannot leak through a log line.
type ClientToken struct {
	value     string
	UserID    string
	ExpiresAt time.Time
}

// Value returns the token itself, for the one place that must send it.
func (t ClientToken) Value() string { return t.value }

// String hides the token.
func (t ClientToken) String() string { return "[REDACTED]" }

// LogValue hides the token from slog.
func (t ClientToken) LogValue() slog.Value { return slog.StringValue("[REDACTED]") }

// MintClientToken requests a CLIENT_ACCESS token bound to userID. It is never
// cached and never shares the server token's cache.
func (c *Client) MintClientToken(ctx context.Context, userID string) (ClientToken, error) {
	if err := ValidateID("user id", userID); err != nil {
		return ClientToken{}, err
	}
	tr, err := c.requestToken(ctx, url.Values{"scope": {ScopeClient}, "userId": {userID}}, false)
	if err != nil {
		return ClientToken{}, err
	}
	return ClientToken{value: tr.AccessToken, UserID: userID, ExpiresAt: c.now().Add(time.Duration(tr.ExpiresIn) * time.Second)}, nil
}
