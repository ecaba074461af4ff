// Package basiq is a typed client for the Basiq open-banking API 3.0.
//
// One Client serves a whole process: it caches one server token and renews it
// before it expires, retries idempotent requests on transient failures, turns
// Basiq's error envelope into *Error, validates ids before they reach a URL
// path and builds filters without pasting strings. It uses the standard
// library only.
package basiq

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq/text"
)

// DefaultBaseURL is Basiq's production API host (sandbox keys use it too).
const DefaultBaseURL = "https://au-api.basiq.io"

// APIVersion is the Basiq API version this client speaks. It is sent on
// POST /token only: the version is carried by the token afterwards.
const APIVersion = "3.0"

// maxBodyBytes bounds how much of a response is read.
const maxBodyBytes = 32 << 20

// Client calls the Basiq API. It is safe for concurrent use.
type Client struct {
	apiKey  string
	baseURL *url.URL
	http    *http.Client
	log     *slog.Logger
	now     func() time.Time
	retry   RetryPolicy
	tokens  *tokenSource
	shared  SharedTokens // nil: the token is this process's own
	agent   string

	connectorTTL time.Duration
	connectors   connectorCache
	breaker      breaker
	// sharedBreaker, when set, opens and closes the breaker with the other
	// processes of the deployment (sharedbreaker.go).
	sharedBreaker SharedBreaker
	sharedMu      sync.Mutex
	breakerView   sharedView
	observe       func(Exchange) // nil: nobody watches
	observeCtx    func(context.Context, Exchange)
}

// Option configures a Client.
type Option func(*Client) error

// WithBaseURL points the client at another Basiq host, such as the simulator.
func WithBaseURL(raw string) Option {
	return func(c *Client) error {
		u, err := url.Parse(strings.TrimRight(raw, "/"))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("basiq: base URL %q must be an absolute http(s) URL", raw)
		}
		c.baseURL = u
		return nil
	}
}

// WithHTTPClient sets the HTTP client (timeouts, transport, proxies).
func WithHTTPClient(h *http.Client) Option {
	return func(c *Client) error {
		if h == nil {
			return errors.New("basiq: nil HTTP client")
		}
		c.http = h
		return nil
	}
}

// WithLogger sets the logger for request-level debug records. Records carry
// method, path, status, duration and correlation id; never headers or secrets.
func WithLogger(l *slog.Logger) Option {
	return func(c *Client) error {
		if l != nil {
			c.log = l
		}
		return nil
	}
}

// WithClock replaces time.Now, which decides when the cached token is renewed.
func WithClock(now func() time.Time) Option {
	return func(c *Client) error {
		if now != nil {
			c.now = now
		}
		return nil
	}
}

// WithRetryPolicy replaces DefaultRetryPolicy.
func WithRetryPolicy(p RetryPolicy) Option {
	return func(c *Client) error {
		c.retry = p.normalised()
		return nil
	}
}

// WithConnectorCacheTTL sets how long connector lists are reused (default
// DefaultConnectorCacheTTL; 0 turns the cache off). Basiq recomputes
// connector statuses about every 30 minutes, so agents asking the same
// question again within a minute need not reach Basiq.
func WithConnectorCacheTTL(d time.Duration) Option {
	return func(c *Client) error {
		c.connectorTTL = d
		return nil
	}
}

// WithUserAgent sets the User-Agent header sent with every request.
func WithUserAgent(ua string) Option {
	return func(c *Client) error {
		c.agent = ua
		return nil
	}
}

// NewClient returns a client that authenticates with apiKey, the key exactly
// as Basiq's dashboard issues it (it is sent as "Basic <key>" unchanged).
func NewClient(apiKey string, opts ...Option) (*Client, error) {
	apiKey = strings.TrimSpace(apiKey)
	if apiKey == "" {
		return nil, errors.New("basiq: an API key is required")
	}
	base, _ := url.Parse(DefaultBaseURL)
	c := &Client{
		apiKey:  apiKey,
		baseURL: base,
		http:    &http.Client{Timeout: 60 * time.Second, Transport: pooledTransport()},
		log:     slog.New(slog.DiscardHandler),
		now:     time.Now,
		retry:   DefaultRetryPolicy,
		agent:   "basiq-mcp",

		connectorTTL: DefaultConnectorCacheTTL,
		breaker:      breaker{threshold: DefaultBreakerThreshold, cooldown: DefaultBreakerCooldown},
	}
	for _, opt := range opts {
		if err := opt(c); err != nil {
			return nil, err
		}
	}
	c.tokens = newTokenSource(c)
	return c, nil
}

// pooledTransport keeps enough idle connections to Basiq for concurrent
// tool calls; Go's default keeps 2 per host, so calls in parallel would
// open and close connections all the time.
func pooledTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns, t.MaxIdleConnsPerHost = 128, 64
	return t
}

// BaseURL returns the API host the client talks to.
func (c *Client) BaseURL() string { return c.baseURL.String() }

// call describes one logical API request; send may issue it several times.
type call struct {
	method     string
	path       string     // escaped path, e.g. /users/u1/connections
	query      url.Values // nil for none
	body       any        // JSON body, nil for none
	form       url.Values // form body (POST /token only)
	next       string     // a links.next URL to follow instead of path+query
	idempotent bool       // safe to repeat after a transient failure
	auth       authMode
	accept     string  // Accept header; JSON by default
	raw        *[]byte // when set, receives a 2xx body as it came (a PDF)
	bearer     string  // with authNone: an explicit token (a CLIENT_ACCESS one)
	// inner is the server token a call the breaker let through needs: it is
	// part of that call (its probe, when half open), so the breaker neither
	// refuses it nor counts it apart; the call's outcome is counted.
	inner bool
}

type authMode int

const (
	authServer authMode = iota // Bearer with the cached SERVER_ACCESS token
	authBasic                  // Basic with the API key (POST /token)
	authNone                   // no Authorization header
)

// path joins literal segments and caller-supplied ids into an escaped path.
// Each id is validated; kind names it in the error.
func idPath(parts ...string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(parts); i++ {
		seg := parts[i]
		if strings.HasPrefix(seg, ":") { // ":kind" is followed by the id value
			kind := seg[1:]
			i++
			if err := ValidateID(kind, parts[i]); err != nil {
				return "", err
			}
			seg = url.PathEscape(parts[i])
		}
		b.WriteByte('/')
		b.WriteString(seg)
	}
	return b.String(), nil
}

// badLink is a next link Basiq sent that the client will not follow: its
// data, not the caller's arguments, is at fault, so it reads as a body that
// could not be used (DecodeError), never as invalid input.
func badLink(cl *call, why string) error {
	return &DecodeError{Method: "GET", Path: cl.path, Err: errors.New(why)}
}

// requestURL resolves the call to an absolute URL on the client's host.
func (c *Client) requestURL(cl *call) (*url.URL, error) {
	full := strings.TrimRight(c.baseURL.Path, "/") + cl.path // the base URL may carry a path prefix
	if cl.next != "" {
		u, err := url.Parse(cl.next)
		if err != nil {
			return nil, badLink(cl, "its next link is not a URL")
		}
		if !u.IsAbs() {
			u = c.baseURL.ResolveReference(u) // RFC 3986, as the server meant it
		}
		// A next link is followed as given, but only on the same host: the
		// bearer token must never be sent anywhere else.
		if u.Scheme != c.baseURL.Scheme || u.Host != c.baseURL.Host {
			return nil, badLink(cl, fmt.Sprintf("its next link points to another host (%s); not followed", u.Host))
		}
		// It must continue the same list: its path, once dot segments are
		// resolved, is the list's path exactly (a prefix would let
		// /users/u1/transactions/../../../reports through).
		if clean := path.Clean("/" + u.Path); clean != full || strings.Contains(u.RawPath, "%2") {
			return nil, badLink(cl, fmt.Sprintf("its next link %q does not continue %s; not followed", text.Truncate(u.Path, 80), cl.path))
		}
		return u, nil
	}
	u := *c.baseURL
	u.Path = full
	u.RawPath = ""
	if p, err := url.PathUnescape(u.Path); err == nil && p != u.Path {
		u.RawPath = u.Path
		u.Path = p
	}
	if len(cl.query) > 0 {
		u.RawQuery = cl.query.Encode()
	}
	return &u, nil
}

// drain reads a bounded response body.
func drain(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxBodyBytes+1))
	if err == nil && len(b) > maxBodyBytes {
		return nil, fmt.Errorf("response body larger than %d bytes", maxBodyBytes)
	}
	return b, err
}
