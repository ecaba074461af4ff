package basiqtest

import (
	"net/http"
	"strings"
	"time"
)

// access says which credentials a route accepts.
type access int

const (
	public     access = iota // no token (public connectors, /token)
	serverOnly               // SERVER_ACCESS only
	clientOK                 // SERVER_ACCESS, or CLIENT_ACCESS (checked by the handler where bound)
)

func (s *Simulator) routes() {
	s.mux = http.NewServeMux()
	h := s.handle
	h("POST /token", public, s.postToken)

	h("GET /users", serverOnly, s.listUsers)
	h("POST /users", serverOnly, s.createUser)
	h("GET /users/{userId}", serverOnly, s.getUser)
	h("POST /users/{userId}", serverOnly, s.updateUser)
	h("DELETE /users/{userId}", serverOnly, s.deleteUser)
	h("POST /users/{userId}/auth_link", serverOnly, s.createAuthLink)
	h("GET /users/{userId}/auth_link", serverOnly, s.getAuthLink)
	h("DELETE /users/{userId}/auth_link", serverOnly, s.deleteAuthLink)
	h("GET /users/{userId}/consents", serverOnly, s.listConsents)
	h("DELETE /users/{userId}/consents/{consentId}", serverOnly, s.deleteConsent)

	h("GET /users/{userId}/connections", serverOnly, s.listConnections)
	h("GET /users/{userId}/connections/{connectionId}", serverOnly, s.getConnection)
	h("DELETE /users/{userId}/connections/{connectionId}", serverOnly, s.deleteConnection)
	h("POST /users/{userId}/connections/{connectionId}/refresh", serverOnly, s.refreshConnection)
	h("POST /users/{userId}/connections/refresh", serverOnly, s.refreshAll)
	h("POST /users/{userId}/connections/{connectionId}/purge", serverOnly, s.purgeConnection)

	h("GET /jobs/{jobId}", clientOK, s.getJob)
	h("POST /jobs/{jobId}/mfa", clientOK, s.answerMFA)
	h("GET /users/{userId}/jobs", serverOnly, s.listUserJobs)

	h("GET /connectors", clientOK, s.listConnectors)
	h("GET /connectors/{connectorId}/{method}", clientOK, s.getConnector)
	h("GET /public/connectors", public, s.listConnectors)
	h("GET /public/connectors/{connectorId}/{method}", public, s.getConnector)

	h("GET /users/{userId}/accounts", serverOnly, s.listAccounts)
	h("GET /users/{userId}/accounts/{accountId}", serverOnly, s.getAccount)
	h("GET /users/{userId}/transactions", serverOnly, s.listTransactions)
	h("GET /users/{userId}/transactions/{transactionId}", serverOnly, s.getTransaction)

	h("GET /reports/types", serverOnly, s.listReportTypes)
	h("GET /reports/types/{reportTypeId}", serverOnly, s.getReportType)
	h("POST /reports", serverOnly, s.createReport)
	h("GET /reports", serverOnly, s.listReports)
	h("GET /reports/{id}", serverOnly, s.getReport)
	h("DELETE /reports/{id}", serverOnly, s.deleteReport)
	// /reports/{reportId}/transactions overlaps /reports/types/{id} for Go's
	// mux, so the sub-resource is a wildcard checked by the handler.
	h("GET /reports/{reportId}/{sub}", serverOnly, s.listReportTransactions)

	h("GET /events", serverOnly, s.listEvents)
	h("GET /events/types", serverOnly, s.listEventTypes)
	h("GET /events/types/{id}", serverOnly, s.getEventType)
	h("GET /events/{id}", serverOnly, s.getEvent)

	// Test-only: what a user finishing Basiq's hosted consent UI does.
	h("POST /sandbox/users/{userId}/consent", clientOK, s.sandboxConsent)
	s.controlRoutes()
	s.webhookRoutes()
	s.mux.HandleFunc("GET /sandbox/connect/{linkId}", s.connectPage)
	s.mux.HandleFunc("POST /sandbox/connect/{linkId}", s.connectSubmit)
}

// handle registers a route with fault injection, counting, locking, job
// advancement and credential checks in front of the handler.
func (s *Simulator) handle(pattern string, acc access, fn func(*exchange)) {
	s.mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.calls[pattern]++
		f := s.takeFault(r)
		s.mu.Unlock()
		if !s.delay(r, f) || f != nil && f.apply(w) {
			return
		}
		extra := []string{}
		if pattern == "GET /reports/{id}" {
			extra = append(extra, "application/pdf")
		}
		if !acceptable(r, extra...) {
			writeError(w, http.StatusBadRequest, "unsupported-accept", "Accept type is not supported",
				"Accept type "+r.Header.Get("Accept")+" is not supported on requested endpoint.", nil)
			return
		}
		if f != nil && f.Kind == FaultLoseAnswer {
			lost := f.Status
			if lost == 0 {
				lost = http.StatusBadGateway
			}
			defer (&Fault{Kind: FaultStatus, Status: lost}).apply(w)
			defer s.delay(r, &Fault{Kind: FaultLatency, Latency: f.Latency}) // after the lock is let go
			w = discard{header: http.Header{}}
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		x := &exchange{s: s, w: w, r: r, base: baseURL(r), now: s.now()}
		s.advanceAll(x.now)
		if acc != public && !s.authorize(x, acc) {
			return
		}
		began := time.Now()
		fn(x)
		s.cfg.logger.Debug("basiq simulator", "route", pattern, "path", r.URL.Path, "took", time.Since(began))
	}))
}

// ServeHTTP answers like Basiq, including for paths it does not know.
func (s *Simulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if strings.Contains(p, "//") || strings.Contains(p, "/./") || strings.Contains(p, "/../") || strings.HasSuffix(p, "/..") {
		writeError(w, http.StatusForbidden, "request-not-valid", "Invalid request", "Invalid request", nil)
		return
	}
	if _, pattern := s.mux.Handler(r); pattern == "" {
		s.noRoute(w, r)
		return
	}
	s.mux.ServeHTTP(w, r)
}

func (s *Simulator) noRoute(w http.ResponseWriter, r *http.Request) {
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodDelete} {
		alt := r.Clone(r.Context())
		alt.Method = m
		if _, pattern := s.mux.Handler(alt); pattern != "" {
			writeError(w, http.StatusMethodNotAllowed, "method-not-allowed", "Method not allowed", "Requested method is not allowed.", nil)
			return
		}
	}
	writeError(w, http.StatusNotFound, "resource-not-found", "Requested resource is not found", "Route not found for this API version", nil)
}

// authorize checks the bearer token against the route's access rule.
func (s *Simulator) authorize(x *exchange, acc access) bool {
	h := x.r.Header.Get("Authorization")
	raw, ok := strings.CutPrefix(h, "Bearer ")
	tok := s.tokens[strings.TrimSpace(raw)]
	switch {
	case !ok || tok == nil:
		x.fail(http.StatusUnauthorized, "invalid-authorization-token", "Invalid authorization token.", "Invalid authorization token.", nil)
		return false
	case !x.now.Before(tok.expires):
		x.fail(http.StatusForbidden, "access-denied", "Access denied.", "Token has expired", nil)
		return false
	case tok.Scope == scopeClient && acc == serverOnly:
		x.fail(http.StatusForbidden, "forbidden-access", "Access to this resource is forbidden", "Access to this resource is forbidden", nil)
		return false
	}
	x.tok = tok
	return true
}

// boundTo reports whether the token may act for userID; a CLIENT_ACCESS
// token bound to another user gets 401 unauthorized-access.
func (x *exchange) boundTo(userID string) bool {
	if x.tok == nil || x.tok.Scope != scopeClient || x.tok.UserID == userID {
		return true
	}
	x.fail(http.StatusUnauthorized, "unauthorized-access", "Unauthorized Access", "You are not authorized to access this resource", nil)
	return false
}

// advanceAll moves every unfinished job forward to now.
func (s *Simulator) advanceAll(now time.Time) {
	kept := s.running[:0]
	for _, j := range s.running {
		s.advance(j, now)
		if !j.done {
			kept = append(kept, j)
		}
	}
	s.running = kept
}
