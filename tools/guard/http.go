package guard

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// HTTPOptions configure the guard in front of the MCP HTTP endpoints.
type HTTPOptions struct {
	// AuthToken, when set, must come as "Authorization: Bearer <token>".
	// It is only ever compared here: it is never forwarded to Basiq.
	AuthToken string
	// AllowedOrigins are browser origins allowed besides loopback ones.
	AllowedOrigins []string
	// MaxBodyBytes caps a request body (default 1 MiB).
	MaxBodyBytes int64
	// RatePerMinute and Burst limit requests per client address; a rate of
	// 0 turns the limit off (burst defaults to a tenth of a minute's rate).
	RatePerMinute float64
	Burst         int
	// Open lists paths served without these checks (e.g. /healthz).
	Open []string
	// OAuth, when set, requires a valid access token from its issuer and
	// puts the caller in the request's context (CallerFrom); it takes the
	// place of AuthToken.
	OAuth *OAuth
}

// HTTPGuard wraps the MCP HTTP handler with authentication, origin checks,
// per-client rate limits and a body size cap.
func HTTPGuard(next http.Handler, o HTTPOptions) http.Handler {
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 1 << 20
	}
	if o.Burst <= 0 {
		o.Burst = max(1, int(o.RatePerMinute/10))
	}
	var want [32]byte
	if o.AuthToken != "" {
		want = sha256.Sum256([]byte(o.AuthToken))
	}
	limits := &clientLimits{rate: o.RatePerMinute / 60, burst: float64(o.Burst), buckets: map[string]*bucket{}}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if slices.Contains(o.Open, r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		if origin := r.Header.Get("Origin"); origin != "" && !originAllowed(origin, o.AllowedOrigins) {
			http.Error(w, "Forbidden: origin "+origin+" is not allowed", http.StatusForbidden)
			return
		}
		if o.OAuth != nil {
			raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || strings.TrimSpace(raw) == "" {
				o.OAuth.challenge(w, "send Authorization: Bearer <access token>")
				return
			}
			caller, err := o.OAuth.Verify(r.Context(), strings.TrimSpace(raw))
			if err != nil {
				o.OAuth.challenge(w, "the access token is not valid here (issuer, audience, signature or time)")
				return
			}
			if !o.OAuth.anyScope(caller) {
				o.OAuth.insufficient(w)
				return
			}
			r = r.WithContext(WithCaller(r.Context(), caller))
		} else if o.AuthToken != "" {
			raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			got := sha256.Sum256([]byte(strings.TrimSpace(raw)))
			if !ok || subtle.ConstantTimeCompare(got[:], want[:]) != 1 { // equal-length digests: no timing hint
				w.Header().Set("WWW-Authenticate", `Bearer realm="basiq-mcp"`)
				http.Error(w, "Unauthorized: send Authorization: Bearer <token>", http.StatusUnauthorized)
				return
			}
		}
		if wait := limits.take(clientKey(r), time.Now()); o.RatePerMinute > 0 && wait > 0 {
			w.Header().Set("Retry-After", fmt.Sprint(int(wait.Seconds())+1))
			http.Error(w, "Too many requests from this client", http.StatusTooManyRequests)
			return
		}
		if r.ContentLength > o.MaxBodyBytes {
			http.Error(w, fmt.Sprintf("Request body too large (at most %d bytes)", o.MaxBodyBytes), http.StatusRequestEntityTooLarge)
			return
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, o.MaxBodyBytes)
		}
		next.ServeHTTP(w, r)
	})
}

// originAllowed accepts loopback origins (local tools such as an inspector)
// and the configured ones; a page on any other site is refused.
func originAllowed(origin string, allowed []string) bool {
	if slices.Contains(allowed, origin) {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil {
		return false
	}
	host := u.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func clientKey(r *http.Request) string {
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

// IsLoopback reports whether a listen address binds loopback only.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// DefaultClientRate is the per-client request limit off loopback.
const DefaultClientRate = 600

// Exposure applies the rules that depend on who can reach the server: off
// loopback a bearer token is required, and a per-client rate limit applies
// by default (rate < 0 asks for that default; on loopback it is unlimited,
// so local load is not throttled).
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

// Health answers /healthz: "ok", or "degraded" while the guard store does
// not answer (reads still work then; writes and refreshes are refused),
// with the store's kind and the given fields. It shows no secrets.
func Health(store Store, info map[string]any) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		health := map[string]any{"status": "ok", "store": store.Kind(), "store_ok": true}
		for k, v := range info {
			health[k] = v
		}
		if store.Ping() != nil {
			health["status"], health["store_ok"] = "degraded", false
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(health)
	})
}

// Ready answers /readyz for a load balancer: 200 when a Basiq server token
// can be had (the client's Ready, basiq.Client's) and the store answers, 503 naming what
// is missing otherwise. Basiq's error text is not shown: it can name the
// key's application.
func Ready(store Store, client interface{ Ready(context.Context) error }) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		ready := map[string]any{"ready": true, "basiq_token": true, "store_ok": true}
		if client.Ready(ctx) != nil {
			ready["ready"], ready["basiq_token"] = false, false
		}
		if store.Ping() != nil {
			ready["ready"], ready["store_ok"] = false, false
		}
		w.Header().Set("Content-Type", "application/json")
		if ready["ready"] == false {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		json.NewEncoder(w).Encode(ready)
	})
}
