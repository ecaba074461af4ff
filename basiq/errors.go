package basiq

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Error is a failure reported by the Basiq API: the HTTP status plus the
// first entry of Basiq's error envelope. All entries are kept in Errors.
type Error struct {
	// StatusCode is the HTTP status of the response.
	StatusCode int
	// Code is Basiq's machine-readable code, e.g. "resource-not-found".
	// It is empty when the response carried no Basiq envelope (a gateway page).
	Code string
	// Title is Basiq's short summary of the failure.
	Title string
	// Detail is Basiq's longer explanation.
	Detail string
	// Source names the offending parameter or field, when Basiq says which.
	Source *ErrorSource
	// CorrelationID identifies the failure for Basiq support.
	CorrelationID string
	// RetryAfter is the wait the server asked for (Retry-After), or zero.
	RetryAfter time.Duration
	// Method and Path describe the request (path only: no query, no host).
	Method, Path string
	// Errors holds every entry of the envelope, the first one included.
	Errors []ErrorItem
}

// ErrorSource points at the parameter or field an error is about.
type ErrorSource struct {
	Parameter string `json:"parameter,omitempty"`
	Pointer   string `json:"pointer,omitempty"`
}

// ErrorItem is one entry of Basiq's error envelope.
type ErrorItem struct {
	Code   string       `json:"code"`
	Title  string       `json:"title"`
	Detail string       `json:"detail"`
	Source *ErrorSource `json:"source"`
}

type errorEnvelope struct {
	Type          string      `json:"type"`
	CorrelationID string      `json:"correlationId"`
	Data          []ErrorItem `json:"data"`
}

// Error formats the failure for logs and tool results. It never contains
// credentials: the request path is the only part of the request it repeats.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "basiq: %s %s: %d", e.Method, e.Path, e.StatusCode)
	if e.Code != "" {
		fmt.Fprintf(&b, " %s", e.Code)
	}
	msg := e.Detail
	if msg == "" {
		msg = e.Title
	}
	if msg != "" {
		fmt.Fprintf(&b, ": %s", msg)
	}
	if e.Source != nil && e.Source.Parameter != "" {
		fmt.Fprintf(&b, " (parameter %q)", e.Source.Parameter)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter.Round(time.Second))
	}
	if e.CorrelationID != "" {
		fmt.Fprintf(&b, " [correlationId %s]", e.CorrelationID)
	}
	return b.String()
}

// Temporary reports whether repeating the same request later may succeed.
func (e *Error) Temporary() bool {
	switch e.StatusCode {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// AsError returns the *Error inside err, if there is one.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// IsNotFound reports whether err is Basiq's 404 for a missing resource.
func IsNotFound(err error) bool {
	e, ok := AsError(err)
	return ok && e.StatusCode == http.StatusNotFound && e.Code != CodeParameterNotValid
}

// IsGone reports whether err is a 410: the resource existed but expired or was
// deleted (an auth link, for instance).
func IsGone(err error) bool {
	e, ok := AsError(err)
	return ok && e.StatusCode == http.StatusGone
}

// IsRateLimited reports whether err is a 429, and how long Basiq asked the
// caller to wait (zero when it did not say).
func IsRateLimited(err error) (retryAfter time.Duration, limited bool) {
	e, ok := AsError(err)
	if !ok || e.StatusCode != http.StatusTooManyRequests {
		return 0, false
	}
	return e.RetryAfter, true
}

// Error codes of Basiq's envelope that decisions depend on.
const (
	CodeParameterNotValid = "parameter-not-valid"
	CodeRequestNotValid   = "request-not-valid"
	CodeTooManySandbox    = "too-many-sandbox-connections"
	CodeAccessDenied      = "access-denied"
	CodeInvalidToken      = "invalid-authorization-token"
)

// Limit kinds reported by IsLimited.
const (
	LimitRate           = "rate"                // 429: too many requests
	LimitTokenFlood     = "token-requests"      // 403 request-not-valid from /token: too many tokens from one address
	LimitSandboxConnect = "sandbox-connections" // 403 too-many-sandbox-connections
)

// IsLimited reports whether err is one of Basiq's limits rather than a
// refusal of the credentials: a 429, or the documented 403s for a flood of
// token requests and the sandbox connection cap. kind says which;
// retryAfter is the wait Basiq asked for, if it said.
func IsLimited(err error) (kind string, retryAfter time.Duration, limited bool) {
	e, ok := AsError(err)
	switch {
	case !ok:
		return "", 0, false
	case e.StatusCode == http.StatusTooManyRequests:
		return LimitRate, e.RetryAfter, true
	case e.StatusCode == http.StatusForbidden && e.Code == CodeTooManySandbox:
		return LimitSandboxConnect, e.RetryAfter, true
	case e.StatusCode == http.StatusForbidden && e.Code == CodeRequestNotValid && e.Path == "/token":
		return LimitTokenFlood, e.RetryAfter, true
	}
	return "", 0, false
}

// IsAuthFailure reports whether err means the credentials were refused:
// a bad or disabled API key, an expired token or a missing permission. The
// 403s that are limits (IsLimited) are not auth failures.
func IsAuthFailure(err error) bool {
	e, ok := AsError(err)
	if !ok {
		return false
	}
	if _, _, limited := IsLimited(err); limited {
		return false
	}
	return e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden ||
		e.Code == CodeParameterNotValid && e.Path == "/token"
}

// IsFilterRefused reports whether Basiq refused the filter this client
// built (400 parameter-not-valid on the filter parameter): Basiq's filter
// support differs from what the client expected, not the caller's values.
func IsFilterRefused(err error) bool {
	e, ok := AsError(err)
	return ok && e.StatusCode == http.StatusBadRequest && e.Source != nil && e.Source.Parameter == "filter"
}

// parseError builds an *Error from a non-2xx response body.
func parseError(status int, header http.Header, body []byte, method, path string) *Error {
	e := &Error{StatusCode: status, Method: method, Path: path, RetryAfter: parseRetryAfter(header.Get("Retry-After"), time.Now())}
	var env errorEnvelope
	if json.Unmarshal(body, &env) == nil && len(env.Data) > 0 {
		e.CorrelationID = env.CorrelationID
		e.Errors = env.Data
		first := env.Data[0]
		e.Code, e.Title, e.Detail = first.Code, first.Title, first.Detail
		if first.Source != nil && (first.Source.Parameter != "" || first.Source.Pointer != "") {
			e.Source = first.Source
		}
		return e
	}
	e.Title = http.StatusText(status)
	return e
}

// parseRetryAfter reads a Retry-After header in either of its two forms:
// delay-seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil {
		if secs < 0 {
			return 0
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// redactor removes known secrets from text that may reach a log or a caller.
type redactor struct{ secrets []string }

func (r redactor) apply(s string) string {
	for _, secret := range r.secrets {
		if len(secret) >= 4 {
			s = strings.ReplaceAll(s, secret, "[REDACTED]")
		}
	}
	return s
}

// MayHaveHappened reports whether a write that failed with err may still
// have been carried out by Basiq: the answer was lost (a timeout, a dropped
// connection, a cancelled call), Basiq failed after accepting the request
// (5xx), or it answered 2xx with a body that could not be read. A 4xx, an
// argument refused before sending, an open circuit breaker or a connection
// refused at dial time mean it did not happen.
func MayHaveHappened(err error) bool {
	if err == nil || IsInputError(err) || notSent(err) {
		return false
	}
	if _, open := IsUnavailable(err); open {
		return false
	}
	if e, ok := AsError(err); ok {
		return e.StatusCode >= 500 || e.StatusCode == 0
	}
	return true // decode errors, timeouts, cancellations, dropped connections
}
