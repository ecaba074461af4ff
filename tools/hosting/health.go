package hosting

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/basiq-mcp/basiq-mcp/tools/guard"
)

// Upstream is what the edge asks of the Basiq client: whether it could
// have a server token, and whether its breaker is open.
type Upstream interface {
	Ready(context.Context) error
	BreakerOpen() bool
}

// Health answers /healthz: "ok", or "degraded" while the guard store does
// not answer (reads still work then; writes and refreshes are refused) or
// the breaker keeps Basiq from being called, with the store's kind and the
// given fields. It shows no secrets.
func Health(store guard.Store, info map[string]any, upstream Upstream) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		health := map[string]any{"status": "ok", "store": store.Kind(), "store_ok": true, "basiq_breaker": "closed"}
		for k, v := range info {
			health[k] = v
		}
		if store.Ping() != nil {
			health["status"], health["store_ok"] = "degraded", false
		}
		if upstream != nil && upstream.BreakerOpen() {
			health["status"], health["basiq_breaker"] = "degraded", "open"
		}
		writeJSON(w, http.StatusOK, health)
	})
}

// ReadyOptions shape /readyz: RequireStore fails it while the store does
// not answer; Draining, when true, fails it because the server is stopping.
type ReadyOptions struct {
	RequireStore bool
	Draining     func() bool
}

// tokenCheckGap is the least time between two readiness checks of the
// Basiq token: /readyz is unauthenticated and Basiq's token allowance is
// shared by every replica, so probes read the last outcome instead.
const tokenCheckGap = 30 * time.Second

// Ready answers /readyz for a load balancer, "send me traffic": 200 when
// the last check could have a Basiq server token (the client's Ready),
// 503 naming what is missing, and 503 at once when the server is stopping.
// A store outage is shown but fails it only with RequireStore: reads still
// work then, and every replica shares the store, so failing would drop
// every endpoint at once. The token is checked at most once per 30 s,
// whatever the probes; Basiq's error text is not shown (it can name the
// key's application).
func Ready(store guard.Store, client interface{ Ready(context.Context) error }, o ReadyOptions) http.Handler {
	t := &tokenCheck{ready: client.Ready, now: time.Now}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o.Draining != nil && o.Draining() {
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"ready": false, "draining": true})
			return
		}
		ok, at := t.outcome(r.Context())
		ready := map[string]any{"ready": ok, "basiq_token": ok, "basiq_token_checked": at.UTC().Format(time.RFC3339), "store_ok": true}
		if store.Ping() != nil {
			ready["store_ok"] = false
			if o.RequireStore {
				ready["ready"] = false
			}
		}
		status := http.StatusOK
		if ready["ready"] == false {
			status = http.StatusServiceUnavailable
		}
		writeJSON(w, status, ready)
	})
}

// tokenCheck keeps the last token outcome; one probe at a time checks again
// once it is older than the gap, the others read it.
type tokenCheck struct {
	ready func(context.Context) error
	now   func() time.Time
	mu    sync.Mutex
	ok    bool
	at    time.Time
}

func (t *tokenCheck) outcome(ctx context.Context) (bool, time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.at.IsZero() || t.now().Sub(t.at) >= tokenCheckGap {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		t.ok, t.at = t.ready(ctx) == nil, t.now()
	}
	return t.ok, t.at
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
