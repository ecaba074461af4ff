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

// tokenSource caches the process-wide SERVER_ACCESS token. Basiq limits
// POST /token (1,500 per 5 minutes) and asks partners to reuse tokens, so one
// fetch at a time serves every concurrent caller.
type tokenSource struct {
	c         *Client
	mu        sync.Mutex
	token     string
	renewAt   time.Time // after this, renew in the background
	expiresAt time.Time // after this (less a margin), wait for a new one
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
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), tokenFetchTimeout)
		defer cancel()
		tr, err := ts.c.requestToken(ctx, url.Values{"scope": {ScopeServer}})
		ts.mu.Lock()
		defer ts.mu.Unlock()
		ts.inflight = nil
		if err != nil {
			f.err = err
			close(f.done)
			return
		}
		issued := ts.c.now()
		life := time.Duration(tr.ExpiresIn) * time.Second
		if life <= 0 {
			life = time.Hour
		}
		ts.token, f.token = tr.AccessToken, tr.AccessToken
		ts.renewAt, ts.expiresAt = issued.Add(life/2), issued.Add(life)
		ts.c.log.Debug("basiq token renewed", slog.Duration("lifetime", life))
		close(f.done)
	}()
	return f
}

// invalidate drops the cached token after Basiq refused it.
func (ts *tokenSource) invalidate() {
	ts.mu.Lock()
	ts.token = ""
	ts.mu.Unlock()
}

// current returns the cached token, for redaction only.
func (ts *tokenSource) current() string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.token
}

func (c *Client) requestToken(ctx context.Context, form url.Values) (*tokenResponse, error) {
	var tr tokenResponse
	cl := &call{method: "POST", path: "/token", form: form, idempotent: true, auth: authBasic}
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
	tr, err := c.requestToken(ctx, url.Values{"scope": {ScopeClient}, "userId": {userID}})
	if err != nil {
		return ClientToken{}, err
	}
	return ClientToken{value: tr.AccessToken, UserID: userID, ExpiresAt: c.now().Add(time.Duration(tr.ExpiresIn) * time.Second)}, nil
}
