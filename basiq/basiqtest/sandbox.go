package basiqtest

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// maxSandboxConnections is Basiq's cap on sandbox connections per partner.
const maxSandboxConnections = 500

// ConsentRequest is what a user enters in Basiq's hosted consent UI: the
// institution, the access method and a sandbox persona's credentials.
type ConsentRequest struct {
	InstitutionID string `json:"institutionId"`
	Method        string `json:"method,omitempty"` // web (default) or open-banking
	LoginID       string `json:"loginId"`
	Password      string `json:"password"`
	State         string `json:"state,omitempty"` // echoed in the redirect, like Basiq's
}

// ConsentResult is what Basiq's redirect hands back after a consent.
type ConsentResult struct {
	UserID       string   `json:"userId"`
	ConnectionID string   `json:"connectionId"`
	JobIDs       []string `json:"jobIds"`
	// Redirect is the query Basiq appends to the partner's redirect URL.
	Redirect string `json:"redirect"`
}

// apiError is a failure to be answered in Basiq's envelope.
type apiError struct {
	status              int
	code, title, detail string
	param               string
}

// Error formats the failure as "status code: detail".
func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.status, e.code, e.detail) }

// CompleteConsent does what a user finishing the consent UI does: it creates
// (or reuses) the connection and starts its job. Wrong credentials give a job
// that fails at verify-credentials, as Basiq's would.
func (s *Simulator) CompleteConsent(userID string, req ConsentRequest) (ConsentResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.advanceAll(now)
	res, err := s.completeConsent(now, userID, req)
	if err != nil {
		return ConsentResult{}, err
	}
	return res, nil
}

func (s *Simulator) completeConsent(now time.Time, userID string, req ConsentRequest) (ConsentResult, *apiError) {
	u := s.users[userID]
	if u == nil {
		return ConsentResult{}, &apiError{status: 404, code: "resource-not-found", title: "Requested resource is not found", detail: "Requested user does not exist."}
	}
	if req.Method == "" {
		req.Method = "web"
	}
	in := findInstitution(req.InstitutionID)
	if in == nil || !in.hasMethod(req.Method) || req.Method == "pdf" || req.Method == "csv" {
		return ConsentResult{}, &apiError{status: 400, code: "institution-not-supported", title: "Institution not supported",
			detail: fmt.Sprintf("Institution %s is not supported with method %s.", req.InstitutionID, req.Method), param: "institutionId"}
	}
	p, fail := resolveLogin(req)
	c := s.connFor(u, in.ID, req.Method)
	if c == nil {
		if s.countConns() >= maxSandboxConnections {
			return ConsentResult{}, &apiError{status: 403, code: "too-many-sandbox-connections", title: "Limit reached", detail: "Limit reached for sandbox connections."}
		}
		// A new web connection is pending; an Open Banking one that has just
		// passed authorisation is init (API.md 7.1, from Basiq's docs).
		status := "pending"
		if req.Method == "open-banking" {
			status = "init"
		}
		c = &simConn{ID: s.nextID("connection"), UserID: u.ID, InstitutionID: in.ID, Method: req.Method, Status: status,
			Created: now, Expiry: now.AddDate(1, 0, 0), scale: 1, generated: true}
		c.seed = mix(s.cfg.seed, uint64(len(s.conns)), 99)
		s.conns[c.ID] = c
		u.conns = append(u.conns, c.ID)
		s.emit(now, "connection", "created", u.ID, "/users/"+u.ID+"/connections/"+c.ID, s.connEventData(c))
	}
	if j := s.runningJob(c.ID); j != nil {
		return s.consentResult(c, j, req), nil
	}
	if p != nil && c.Persona != p { // another persona's data replaces what was there
		c.Persona, c.accounts, c.txns, c.dataUntil = p, nil, nil, time.Time{}
	}
	c.LoginID, c.Fail = req.LoginID, fail
	s.ensureConsent(u, now)
	j := s.planConnJob(c, "connect", now)
	if s.credentialsBusy(c, req.LoginID) {
		j.startAt = now.Add(s.scaled(duplicatePause))
	}
	s.startJob(j)
	return s.consentResult(c, j, req), nil
}

// resolveLogin maps credentials to the persona whose data the connection
// will hold, or to the failure Basiq would report.
func resolveLogin(req ConsentRequest) (*persona, *failure) {
	if req.Method == "open-banking" {
		if req.LoginID == openBankingLogin.Member && req.Password == openBankingLogin.OTP {
			return findPersona(openBankingLogin.DataPersona), nil
		}
		return nil, &failure{"authorization-failed", "Authorisation failed.", "access_denied"}
	}
	p := findPersona(req.LoginID)
	switch {
	case p == nil || p.Password != req.Password:
		return nil, &failBadCredentials
	case p.Fail != nil:
		return nil, p.Fail
	}
	return p, nil
}

func (s *Simulator) connFor(u *simUser, instID, method string) *simConn {
	for _, c := range s.activeConns(u) {
		if c.InstitutionID == instID && c.Method == method {
			return c
		}
	}
	return nil
}

func (s *Simulator) countConns() int {
	n := 0
	for _, c := range s.conns {
		if !c.deleted {
			n++
		}
	}
	return n
}

// credentialsBusy reports another connection's running job with the same
// login: Basiq pauses the new job for six minutes.
func (s *Simulator) credentialsBusy(c *simConn, loginID string) bool {
	for _, j := range s.running {
		if other := s.conns[j.ConnID]; other != nil && other.ID != c.ID && other.LoginID == loginID && !j.done &&
			other.InstitutionID == c.InstitutionID {
			return true
		}
	}
	return false
}

// ensureConsent records the customer's consent as the consent screens do:
// a new one when none is active, else the active one updated (Basiq's
// consent.updated), which is the trace a re-consent leaves.
func (s *Simulator) ensureConsent(u *simUser, now time.Time) {
	if s.hasActiveConsent(u.ID, now) {
		for _, c := range s.consents[u.ID] {
			if c.Status == "active" && now.Before(c.Expiry) {
				c.Updated = now
				s.emit(now, "consent", "updated", u.ID, "/users/"+u.ID+"/consents/"+c.ID, nil)
			}
		}
		return
	}
	c := &simConsent{ID: s.nextID("consent"), UserID: u.ID, Status: "active", Created: now, Updated: now, Expiry: now.AddDate(1, 0, 0)}
	s.consents[u.ID] = append(s.consents[u.ID], c)
	s.emit(now, "consent", "created", u.ID, "/users/"+u.ID+"/consents/"+c.ID, nil)
	for _, conn := range s.activeConns(u) {
		if conn.Fail == &failConsentRevoked {
			conn.Fail = nil
		}
	}
}

func (s *Simulator) consentResult(c *simConn, j *simJob, req ConsentRequest) ConsentResult {
	q := url.Values{"jobIds": {j.ID}}
	if req.State != "" {
		q.Set("state", req.State)
	}
	return ConsentResult{UserID: c.UserID, ConnectionID: c.ID, JobIDs: []string{j.ID}, Redirect: "?" + q.Encode()}
}

func (s *Simulator) sandboxConsent(x *exchange) {
	u := x.pathUser()
	var req ConsentRequest
	if u == nil || !x.boundTo(u.ID) || !x.decode(&req, false) {
		return
	}
	if req.InstitutionID == "" || req.LoginID == "" {
		x.missingParam("institutionId", "institutionId, loginId and password are required.")
		return
	}
	res, err := s.completeConsent(x.now, u.ID, req)
	if err != nil {
		var src *errSource
		if err.param != "" {
			src = &errSource{Parameter: err.param}
		}
		x.fail(err.status, err.code, err.title, err.detail, src)
		return
	}
	x.json(http.StatusCreated, res)
}

// SeededConnection describes one connection, for tests to pick from.
type SeededConnection struct {
	UserID, ConnectionID, InstitutionID, Method, Status, LoginID string
	LastUsed, Expiry                                             time.Time
	// FailCode is the failure every job of the connection meets, if any.
	FailCode string
	// LastJob is the connection's newest job, and LastJobState what it is
	// doing now: running, waiting-for-code, succeeded or failed (with
	// LastJobCode): the ground truth a support queue is checked against.
	LastJob, LastJobState, LastJobCode string
}

// SeededConsent describes one consent, for tests to check against.
type SeededConsent struct {
	UserID, ConsentID, Status string
	Expiry                    time.Time
}

// UsersWithEmail lists the ids of the users with email (any case), for a
// test to count what creates made.
func (s *Simulator) UsersWithEmail(email string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for _, uid := range s.userOrder {
		if u := s.users[uid]; u != nil && strings.EqualFold(u.Email, email) {
			ids = append(ids, uid)
		}
	}
	return ids
}

// Consents lists every user's consents, users in seed order.
func (s *Simulator) Consents() []SeededConsent {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []SeededConsent
	for _, uid := range s.userOrder {
		for _, c := range s.consents[uid] {
			status := c.Status
			if status == "active" && !c.Expiry.After(s.now()) {
				status = "expired"
			}
			out = append(out, SeededConsent{uid, c.ID, status, c.Expiry})
		}
	}
	return out
}

// Connections lists every connection that was not deleted, users in seed
// order.
func (s *Simulator) Connections() []SeededConnection {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceAll(s.now())
	newest := map[string]*simJob{}
	for _, j := range s.jobs {
		if n := newest[j.ConnID]; j.ConnID != "" && (n == nil || j.Created.After(n.Created)) {
			newest[j.ConnID] = j
		}
	}
	var out []SeededConnection
	for _, uid := range s.userOrder {
		for _, c := range s.activeConns(s.users[uid]) {
			sc := SeededConnection{UserID: c.UserID, ConnectionID: c.ID, InstitutionID: c.InstitutionID, Method: c.Method, Status: c.Status, LoginID: c.LoginID, LastUsed: c.LastUsed, Expiry: c.Expiry}
			if c.Fail != nil {
				sc.FailCode = c.Fail.Code
			}
			if j := newest[c.ID]; j != nil {
				sc.LastJob, sc.LastJobState, sc.LastJobCode = j.ID, "running", ""
				for _, st := range j.Steps {
					switch {
					case st.Status == "failed":
						sc.LastJobState, sc.LastJobCode = "failed", st.Fail.Code
					case st.MFA && st.Status == "in-progress":
						sc.LastJobState = "waiting-for-code"
					}
				}
				if j.done && sc.LastJobState == "running" {
					sc.LastJobState = "succeeded"
				}
			}
			out = append(out, sc)
		}
	}
	return out
}

// ResolveAtBank plays the customer doing at their bank what a
// user-action-required failure asked for (accepting terms, say). Basiq's
// docs say the next successful refresh then restores the invalid connection
// to active; failures only re-consent can cure are left alone. It reports
// whether there was such a cause to clear.
func (s *Simulator) ResolveAtBank(connectionID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.conns[connectionID]
	if c == nil || c.Fail == nil {
		return false
	}
	switch c.Fail.Code {
	case "account-not-accessible-requires-user-action", "user-action-required":
		c.Fail = nil
		return true
	}
	return false
}
