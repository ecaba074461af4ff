package hosting

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/basiq-mcp/basiq-mcp/tools/guard"
)

// Health answers /healthz: "ok", or "degraded" while the guard store does
// not answer (reads still work then; writes and refreshes are refused),
// with the store's kind and the given fields. It shows no secrets.
func Health(store guard.Store, info map[string]any) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		health := map[string]any{"status": "ok", "store": store.Kind(), "store_ok": true}
		for k, v := range info {
			health[k] = v
		}
		if store.Ping() != nil {
			health["status"], health["store_ok"] = "degraded", false
		}
		writeJSON(w, http.StatusOK, health)
	})
}

// tokenCheckGap is the least time between two readiness checks of the
// Basiq token: /readyz is unauthenticated and Basiq's token allowance is
// shared by every replica, so probes read the last outcome instead.
const tokenCheckGap = 30 * time.Second

// Ready answers /readyz for a load balancer: 200 when the last check could
// have a Basiq server token (the client's Ready) and the store answers a
// ping, 503 naming what is missing. The token is checked at most once per
// 30 s, whatever the probes; Basiq's error text is not shown (it can name
// the key's application).
func Ready(store guard.Store, client interface{ Ready(context.Context) error }) http.Handler {
	t := &tokenCheck{ready: client.Ready, now: time.Now}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ok, at := t.outcome(r.Context())
		ready := map[string]any{"ready": ok, "basiq_token": ok, "basiq_token_checked": at.UTC().Format(time.RFC3339), "store_ok": true}
		if store.Ping() != nil {
			ready["ready"], ready["store_ok"] = false, false
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
