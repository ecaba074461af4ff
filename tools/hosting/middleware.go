// Package hosting is basiq-mcp's HTTP edge: small single-purpose
// middlewares (origin check, rate limit, body limit, bearer or OAuth
// authentication), the OAuth token verifier and RFC 9728 metadata, the
// health, readiness and metrics endpoints, per-request toolsets, and the
// serving lifecycle of the streamable HTTP and SSE transports. The rules
// about callers (scopes, customer binding, quotas, audit) live in
// tools/guard; this package only establishes who the caller is.
package hosting

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"
)

// Middleware wraps a handler.
type Middleware func(http.Handler) http.Handler

// Chain wraps h in mws, the first outermost.
func Chain(h http.Handler, mws ...Middleware) http.Handler {
	for _, mw := range slices.Backward(mws) {
		h = mw(h)
	}
	return h
}

// Except applies mw to every path but the open ones (health probes, the
// OAuth metadata a client reads before it has a token).
func Except(open []string, mw Middleware) Middleware {
	return func(next http.Handler) http.Handler {
		wrapped := mw(next)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if slices.Contains(open, r.URL.Path) {
				next.ServeHTTP(w, r)
				return
			}
			wrapped.ServeHTTP(w, r)
		})
	}
}

// CheckOrigin refuses a browser request from a page on another site: only
// loopback origins (local tools such as an inspector) and the allowed ones
// pass. A request without Origin is not from a browser page.
func CheckOrigin(allowed []string) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if origin := r.Header.Get("Origin"); origin != "" && !originAllowed(origin, allowed) {
				http.Error(w, "Forbidden: origin "+origin+" is not allowed", http.StatusForbidden)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

func originAllowed(origin string, allowed []string) bool {
	if slices.Contains(allowed, origin) {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && isLoopbackHost(u.Hostname())
}

// RateLimit allows each client address perMinute requests (a burst of
// burst), answering 429 with Retry-After beyond. It runs before
// authentication, so a flood of forged tokens is throttled before any is
// verified. A rate of 0 turns it off.
func RateLimit(perMinute float64, burst int) Middleware {
	if burst <= 0 {
		burst = max(1, int(perMinute/10))
	}
	limits := &clientLimits{rate: perMinute / 60, burst: float64(burst), buckets: map[string]*bucket{}}
	return func(next http.Handler) http.Handler {
		if perMinute <= 0 {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if wait := limits.take(clientAddr(r), time.Now()); wait > 0 {
				w.Header().Set("Retry-After", fmt.Sprint(int(wait.Seconds())+1))
				http.Error(w, "Too many requests from this client", http.StatusTooManyRequests)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// LimitBody caps a request body at max bytes (413 beyond).
func LimitBody(max int64) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength > max {
				http.Error(w, fmt.Sprintf("Request body too large (at most %d bytes)", max), http.StatusRequestEntityTooLarge)
				return
			}
			if r.Body != nil {
				r.Body = http.MaxBytesReader(w, r.Body, max)
			}
			next.ServeHTTP(w, r)
		})
	}
}

func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// clientLimits is a token bucket per client address.
type clientLimits struct {
	mu      sync.Mutex
	rate    float64 // tokens per second
	burst   float64
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

// take spends one token for key, or says how long until one is available.
func (l *clientLimits) take(key string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > time.Minute { // forget idle clients
		for k, b := range l.buckets {
			if now.Sub(b.at) > 10*time.Minute {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b := l.buckets[key]
	if b == nil {
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[key] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.at).Seconds()*l.rate)
	b.at = now
	if b.tokens < 1 {
		return time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
	}
	b.tokens--
	return 0
}

func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// IsLoopback reports whether a listen address binds loopback only.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	return err == nil && isLoopbackHost(host)
}

// DefaultClientRate is the per-client request limit off loopback.
const DefaultClientRate = 600

// Exposure applies the rules that depend on who can reach the server: off
// loopback a bearer token or OAuth is required, and a per-client rate limit
// applies by default (rate < 0 asks for that default; on loopback it is
// unlimited, so local load is not throttled).
func Exposure(addr, token string, rate float64, oauth bool) (float64, error) {
	loopback := IsLoopback(addr)
	if !loopback && token == "" && !oauth {
		return 0, fmt.Errorf("refusing to listen on %s, off loopback, without an auth token: set BASIQ_MCP_AUTH_TOKEN, or OAuth (BASIQ_MCP_OAUTH_ISSUER and BASIQ_MCP_OAUTH_AUDIENCE)", addr)
	}
	if rate >= 0 {
		return rate, nil
	}
	if loopback {
		return 0, nil
	}
	return DefaultClientRate, nil
}
