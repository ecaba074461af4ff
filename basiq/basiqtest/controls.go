package basiqtest

import (
	"maps"
	"net/http"
	"slices"
	"strings"
)

// The test controls below exist only on the simulator (Basiq has no such
// routes). Each changes one object as Basiq's own life would, and records
// the events Basiq would: tests and people trying the server offline use
// them to put a customer in a state worth looking at. They need a server
// token, as every route holding customer data does.
func (s *Simulator) controlRoutes() {
	h := s.handle
	h("POST /_sim/connections/{id}/invalidate", serverOnly, s.simInvalidate)
	h("POST /_sim/connections/{id}/activate", serverOnly, s.simActivate)
	h("POST /_sim/consents/{id}/revoke", serverOnly, s.simRevoke)
	h("POST /_sim/consents/{id}/expire", serverOnly, s.simExpire)
	h("POST /_sim/connectors/{id}/status", serverOnly, s.simConnectorStatus)
	h("POST /_sim/jobs/{id}/wait-for-code", serverOnly, s.simWaitForCode)
}

// simWaitForCode makes the next refresh of the job's connection wait for
// the customer's one-time code, as a bank that challenges does; the code is
// the persona's (123456 for a connection without one).
func (s *Simulator) simWaitForCode(x *exchange) {
	j := s.jobs[x.r.PathValue("id")]
	if j == nil || j.ConnID == "" {
		x.notFound("Requested job does not exist, or is not a connection's job.")
		return
	}
	c := s.conns[j.ConnID]
	if c == nil || c.deleted {
		x.notFound("The job's connection no longer exists.")
		return
	}
	c.askCode = true
	x.json(http.StatusOK, obj{"type": "connection", "id": c.ID, "nextJobWaitsForCode": true})
}

// failuresByCode are the failures invalidate can give, by Basiq's code.
var failuresByCode = map[string]*failure{
	failUserAction.Code: &failUserAction, failLocked.Code: &failLocked, failConsentRevoked.Code: &failConsentRevoked,
}

func (s *Simulator) controlledConn(x *exchange) *simConn {
	c := s.conns[x.r.PathValue("id")]
	if c == nil || c.deleted {
		x.notFound("Requested connection does not exist.")
		return nil
	}
	return c
}

// simInvalidate makes a connection invalid with a failure code (body
// {"code": …}, default account-not-accessible-requires-user-action): every
// later job of it fails so, until the customer acts or it is activated.
func (s *Simulator) simInvalidate(x *exchange) {
	c := s.controlledConn(x)
	var b struct {
		Code string `json:"code"`
	}
	if c == nil || !x.decode(&b, true) {
		return
	}
	if b.Code == "" {
		b.Code = failUserAction.Code
	}
	f := failuresByCode[b.Code]
	if f == nil {
		x.badParam("code", "code must be one of "+strings.Join(slices.Sorted(maps.Keys(failuresByCode)), ", "))
		return
	}
	c.Fail, c.Status = f, "invalid"
	s.emit(x.now, "connection", "updated", c.UserID, "/users/"+c.UserID+"/connections/"+c.ID, s.connEventData(c))
	x.json(http.StatusOK, x.connView(c, false))
}

// simActivate makes a connection active again, its failure cleared.
func (s *Simulator) simActivate(x *exchange) {
	c := s.controlledConn(x)
	if c == nil {
		return
	}
	c.Fail, c.Status = nil, "active"
	s.emit(x.now, "connection", "updated", c.UserID, "/users/"+c.UserID+"/connections/"+c.ID, s.connEventData(c))
	x.json(http.StatusOK, x.connView(c, false))
}

func (s *Simulator) controlledConsent(x *exchange) (*simUser, *simConsent) {
	id := x.r.PathValue("id")
	for uid, list := range s.consents {
		for _, c := range list {
			if c.ID == id {
				return s.users[uid], c
			}
		}
	}
	x.notFound("Requested consent does not exist.")
	return nil, nil
}

// simRevoke revokes a consent as the customer does from their bank or
// Basiq's consent dashboard: the connections it covered go invalid.
func (s *Simulator) simRevoke(x *exchange) {
	u, c := s.controlledConsent(x)
	if c == nil || u == nil {
		return
	}
	c.Status, c.Revoked, c.Updated = "revoked", x.now, x.now
	s.emit(x.now, "consent", "revoked", u.ID, "/users/"+u.ID+"/consents/"+c.ID, nil)
	for _, conn := range s.activeConns(u) {
		conn.Fail, conn.Status = &failConsentRevoked, "invalid"
		s.emit(x.now, "connection", "updated", u.ID, "/users/"+u.ID+"/connections/"+conn.ID, s.connEventData(conn))
	}
	x.json(http.StatusOK, x.consentView(c))
}

// simExpire ends a consent now, as its expiry date would.
func (s *Simulator) simExpire(x *exchange) {
	u, c := s.controlledConsent(x)
	if c == nil || u == nil {
		return
	}
	c.Expiry, c.Updated = x.now, x.now
	s.emit(x.now, "consent", "expired", u.ID, "/users/"+u.ID+"/consents/"+c.ID, nil)
	x.json(http.StatusOK, x.consentView(c))
}

// connectorStatuses are the statuses Basiq's connectors take.
var connectorStatuses = []string{"operational", "degraded-performance", "partial-outage", "major-outage", "under-maintenance"}

// simConnectorStatus sets an institution's status (body {"status": …}) for
// every method; jobs then meet the outage as they would at Basiq.
func (s *Simulator) simConnectorStatus(x *exchange) {
	in := findInstitution(x.r.PathValue("id"))
	if in == nil {
		x.notFound("Requested connector does not exist.")
		return
	}
	var b struct {
		Status string `json:"status"`
	}
	if !x.decode(&b, false) {
		return
	}
	if !slices.Contains(connectorStatuses, b.Status) {
		x.badParam("status", "status must be one of "+strings.Join(connectorStatuses, ", "))
		return
	}
	s.connectorStatus[in.ID] = b.Status
	x.json(http.StatusOK, x.connectorView(in, in.Methods[0]))
}

// statusOf is an institution's status on this simulator.
// ConnectorStatus is an institution's status now ("" for one the
// simulator does not know), for tests to check against.
func (s *Simulator) ConnectorStatus(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if in := findInstitution(id); in != nil {
		return s.statusOf(in)
	}
	return ""
}

func (s *Simulator) statusOf(in *institution) string {
	if st, ok := s.connectorStatus[in.ID]; ok {
		return st
	}
	return in.Status
}
