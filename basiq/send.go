package basiq

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// RetryPolicy bounds how idempotent requests are repeated after 429, 502,
// 503, 504, a malformed body or a network failure. Non-idempotent requests
// (creates, refreshes) are repeated only when the request provably never
// reached Basiq (the connection was refused) or after a token renewal.
type RetryPolicy struct {
	// MaxAttempts is the total number of tries, the first included.
	MaxAttempts int
	// BaseDelay is the first backoff; it doubles each attempt, with full jitter.
	BaseDelay time.Duration
	// MaxDelay caps one backoff.
	MaxDelay time.Duration
	// MaxElapsed caps the time spent on retries for one call. A Retry-After
	// that would end beyond it is returned to the caller instead of waited on.
	MaxElapsed time.Duration
}

// DefaultRetryPolicy is 4 attempts, 250 ms doubling to at most 5 s, within 20 s.
var DefaultRetryPolicy = RetryPolicy{MaxAttempts: 4, BaseDelay: 250 * time.Millisecond, MaxDelay: 5 * time.Second, MaxElapsed: 20 * time.Second}

func (p RetryPolicy) normalised() RetryPolicy {
	if p.MaxAttempts < 1 {
		p.MaxAttempts = 1
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = time.Millisecond
	}
	if p.MaxDelay < p.BaseDelay {
		p.MaxDelay = p.BaseDelay
	}
	return p
}

// backoff returns the jittered delay before attempt n+1 (n counts from 1).
func (p RetryPolicy) backoff(n int) time.Duration {
	d := p.BaseDelay << min(n-1, 20)
	if d > p.MaxDelay || d <= 0 {
		d = p.MaxDelay
	}
	return d/2 + rand.N(d/2+1)
}

// send issues cl, retrying as the policy allows, and decodes a 2xx JSON body
// into out (when out is non-nil). It returns the HTTP status on success.
func (c *Client) send(ctx context.Context, cl *call, out any) (int, error) {
	if cl.inner {
		return c.sendOnce(ctx, cl, out)
	}
	localProbe, err := c.breaker.allow(c.now())
	if err != nil {
		return 0, err
	}
	probe, err := c.allowShared(c.now())
	if err != nil {
		if localProbe {
			c.breaker.unprobe()
		}
		return 0, err
	}
	status, err := c.sendOnce(ctx, cl, out)
	if ctx.Err() != nil {
		err = errors.Join(err, errCallerGaveUp) // not Basiq's fault
	}
	down := upstreamDown(err)
	opened, until := c.breaker.record(c.now(), down)
	if !errors.Is(err, errCallerGaveUp) {
		c.recordShared(c.now(), probe, opened, until, down)
	}
	if errors.Is(err, errCallerGaveUp) {
		return status, ctx.Err()
	}
	return status, err
}

// sendOnce is one logical call, with its retries.
func (c *Client) sendOnce(ctx context.Context, cl *call, out any) (int, error) {
	u, err := c.requestURL(cl)
	if err != nil {
		return 0, err
	}
	payload, contentType, err := encodeBody(cl)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	renewed := false
	for attempt := 1; ; attempt++ {
		status, body, hdr, err := c.roundTrip(ctx, cl, u.String(), payload, contentType)
		wait, retry := time.Duration(0), false
		switch {
		case err != nil && ctx.Err() != nil:
			return 0, ctx.Err()
		case err != nil && isAPIError(err):
			return 0, err // the token request failed; it had its own retries
		case err != nil:
			err = fmt.Errorf("basiq: %s %s: %w", cl.method, u.Path, c.scrub(err))
			retry = cl.idempotent || notSent(err)
		case status >= 200 && status < 300:
			if cl.raw != nil {
				*cl.raw = body
			}
			if out == nil || len(body) == 0 {
				return status, nil
			}
			if derr := decodeLenient(body, out); derr != nil {
				// A cut-off body may be the network's doing, so a read is tried
				// again; either way Basiq answered, so the breaker is not told.
				err, retry = &DecodeError{Method: cl.method, Path: u.Path, Err: derr}, cl.idempotent
				break
			}
			return status, nil
		default:
			apiErr := parseError(status, hdr, body, cl.method, u.Path)
			c.scrubError(apiErr)
			if c.tokenRejected(cl, apiErr) && !renewed {
				// The request was refused at the door, so repeating it is safe
				// even for a create: renew the token once and go again.
				renewed = true
				attempt--
				continue
			}
			err, wait, retry = apiErr, apiErr.RetryAfter, apiErr.Temporary() && cl.idempotent
		}
		if !retry || attempt >= c.retry.MaxAttempts {
			return 0, err
		}
		wait = max(wait, c.retry.backoff(attempt))
		if time.Since(start)+wait > c.retry.MaxElapsed {
			return 0, err
		}
		c.log.DebugContext(ctx, "basiq retry", "method", cl.method, "path", u.Path, "attempt", attempt, "wait", wait, "error", err)
		if serr := sleepCtx(ctx, wait); serr != nil {
			return 0, serr
		}
	}
}

// tokenRejected reports whether apiErr says the bearer token was bad or
// expired; if so the cached token is dropped so the next try mints another.
func (c *Client) tokenRejected(cl *call, apiErr *Error) bool {
	if cl.auth != authServer {
		return false
	}
	expired := apiErr.StatusCode == http.StatusUnauthorized && apiErr.Code == CodeInvalidToken ||
		apiErr.StatusCode == http.StatusForbidden && apiErr.Code == CodeAccessDenied && strings.Contains(strings.ToLower(apiErr.Detail), "expired")
	if expired {
		c.tokens.invalidate()
	}
	return expired
}

// roundTrip performs one HTTP exchange and reads the body.
func (c *Client) roundTrip(ctx context.Context, cl *call, target string, payload []byte, contentType string) (int, []byte, http.Header, error) {
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, target, body)
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Accept", "application/json")
	if cl.accept != "" {
		req.Header.Set("Accept", cl.accept)
	}
	req.Header.Set("User-Agent", c.agent)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	switch cl.auth {
	case authBasic:
		req.Header.Set("Authorization", "Basic "+c.apiKey)
		req.Header.Set("basiq-version", APIVersion)
	case authServer:
		tok, err := c.tokens.get(ctx)
		if err != nil {
			return 0, nil, nil, &tokenFailure{err}
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	case authNone:
		if cl.bearer != "" {
			req.Header.Set("Authorization", "Bearer "+cl.bearer)
		}
	}
	began := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		c.observed(ctx, cl.method, req.URL.Path, 0, began)
		return 0, nil, nil, err
	}
	c.observed(ctx, cl.method, req.URL.Path, resp.StatusCode, began)
	defer resp.Body.Close()
	data, err := drain(resp.Body)
	c.log.DebugContext(ctx, "basiq request", "method", cl.method, "path", req.URL.Path, "status", resp.StatusCode,
		"duration", time.Since(began), "correlationId", resp.Header.Get("X-Correlation-Id"))
	if err != nil {
		return 0, nil, nil, err
	}
	return resp.StatusCode, data, resp.Header, nil
}

func isAPIError(err error) bool {
	_, ok := AsError(err)
	return ok
}

func encodeBody(cl *call) ([]byte, string, error) {
	switch {
	case cl.form != nil:
		return []byte(cl.form.Encode()), "application/x-www-form-urlencoded", nil
	case cl.body != nil:
		b, err := json.Marshal(cl.body)
		if err != nil {
			return nil, "", fmt.Errorf("basiq: encoding request body: %w", err)
		}
		return b, "application/json", nil
	}
	return nil, "", nil
}

// notSent reports whether an error means the request never left: no
// token could be had for it, or the connection was refused or could not
// be dialled at all.
func notSent(err error) bool {
	var op *net.OpError
	var tf *tokenFailure
	return errors.As(err, &tf) || errors.Is(err, syscall.ECONNREFUSED) || errors.As(err, &op) && op.Op == "dial"
}

// tokenFailure is a request never sent because no server token could be
// had for it; it reads as the token request's own error.
type tokenFailure struct{ err error }

func (e *tokenFailure) Error() string { return e.err.Error() }
func (e *tokenFailure) Unwrap() error { return e.err }

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// scrub removes secrets from a transport error's text.
func (c *Client) scrub(err error) error {
	msg := err.Error()
	clean := c.redactor().apply(msg)
	if clean == msg {
		return err
	}
	return errors.New(clean)
}

func (c *Client) scrubError(e *Error) {
	r := c.redactor()
	e.Title, e.Detail = r.apply(e.Title), r.apply(e.Detail)
	for i := range e.Errors {
		e.Errors[i].Title, e.Errors[i].Detail = r.apply(e.Errors[i].Title), r.apply(e.Errors[i].Detail)
	}
}

func (c *Client) redactor() redactor {
	return redactor{secrets: []string{c.apiKey, c.tokens.current()}}
}

// getJSON fetches path (built by idPath) into out.
func (c *Client) getJSON(ctx context.Context, path string, query url.Values, out any) error {
	_, err := c.send(ctx, &call{method: http.MethodGet, path: path, query: query, idempotent: true}, out)
	return err
}

// postJSON posts body to path and decodes the answer into out. It returns the
// HTTP status so callers can tell 200 (existing) from 201/202 (created).
func (c *Client) postJSON(ctx context.Context, path string, body, out any) (int, error) {
	return c.send(ctx, &call{method: http.MethodPost, path: path, body: body}, out)
}

// deletePath sends a DELETE, once: it is a write, and a repeat after a lost
// answer would find the resource gone and report a 404 for a delete that
// went through. The guard tells that case apart (it records what it sent).
func (c *Client) deletePath(ctx context.Context, path string) error {
	_, err := c.send(ctx, &call{method: http.MethodDelete, path: path}, nil)
	return err
}
