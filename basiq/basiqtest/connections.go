package basiqtest

import (
	"net/http"
	"net/url"
	"strings"
	"time"
)

// openBankingDailyRefreshes is Basiq's cap for Open Banking connections.
const openBankingDailyRefreshes = 20

// connectionFilters are those data.yml names for GET connections by example
// (institution.id) and by entity (connection.id). A status filter has no
// documented spelling, and since 2023 Basiq answers an unsupported filter
// with 400 (API.md 1.4), so the simulator refuses one too.
var connectionFilters = filterRules{"connection.id": ops("eq"), "institution.id": ops("eq")}

// pathConn finds {userId}/{connectionId}, answering 400 or 404 if it cannot.
func (x *exchange) pathConn() (*simUser, *simConn) {
	u := x.pathUser()
	if u == nil {
		return nil, nil
	}
	id := x.r.PathValue("connectionId")
	if !validID(id) {
		x.badParam("connectionId", "Connection ID value is not valid")
		return nil, nil
	}
	c := x.s.conns[id]
	if c == nil || c.deleted || c.UserID != u.ID {
		x.notFound("Requested connection does not exist.")
		return nil, nil
	}
	return u, c
}

func (x *exchange) connView(c *simConn, full bool) obj {
	self := "/users/" + c.UserID + "/connections/" + c.ID
	instFilter := "?filter=" + url.QueryEscape("institution.id.eq('"+c.InstitutionID+"')")
	v := obj{"type": "connection", "id": c.ID, "status": c.Status, "method": publishedMethod(c.Method), "createdDate": ts(c.Created),
		"expiryDate": ts(c.Expiry), "lastUsed": ts(c.LastUsed), "mfaEnabled": findInstitution(c.InstitutionID).MFA != mfaNever,
		"institution": obj{"type": "institution", "id": c.InstitutionID, "links": obj{"self": x.link("/connectors/" + c.InstitutionID)}},
		"links": obj{"self": x.link(self), "accounts": x.link("/users/" + c.UserID + "/accounts" + instFilter),
			"transactions": x.link("/users/" + c.UserID + "/transactions" + instFilter),
			"institution":  x.link("/connectors/" + c.InstitutionID), "user": x.link("/users/" + c.UserID)}}
	if full {
		x.s.ensureData(c)
		accts := []any{}
		for _, a := range c.accounts {
			accts = append(accts, x.accountView(a, c))
		}
		v["accounts"] = obj{"type": "list", "data": accts}
		if u := x.s.users[c.UserID]; u != nil {
			v["profile"] = obj{"fullName": u.name(), "firstName": u.First, "middleName": u.Middle, "lastName": u.Last,
				"phoneNumbers": []string{u.Mobile}, "emailAddresses": []string{u.Email}, "physicalAddresses": []any{}}
		}
	}
	return v
}

func (s *Simulator) listConnections(x *exchange) {
	u := x.pathUser()
	if u == nil {
		return
	}
	conds, ok := x.parseFilter(x.r.URL.Query().Get("filter"), connectionFilters)
	if !ok {
		return
	}
	items := []any{}
	for _, c := range s.activeConns(u) {
		if matchAll(conds, func(f string) string {
			switch f {
			case "connection.id":
				return c.ID
			}
			return c.InstitutionID
		}) {
			items = append(items, x.connView(c, false))
		}
	}
	x.json(http.StatusOK, obj{"type": "list", "count": len(items), "data": items, "links": obj{"self": x.link("/users/" + u.ID + "/connections")}})
}

func (s *Simulator) getConnection(x *exchange) {
	if _, c := x.pathConn(); c != nil {
		x.json(http.StatusOK, x.connView(c, true))
	}
}

func (s *Simulator) deleteConnection(x *exchange) {
	if _, c := x.pathConn(); c != nil {
		s.ensureData(c) // the data stays after the delete, so make it real first
		c.deleted, c.Status = true, "deleted"
		s.emit(x.now, "connection", "deleted", c.UserID, "/users/"+c.UserID+"/connections/"+c.ID, s.connEventData(c))
		x.w.WriteHeader(http.StatusNoContent)
	}
}

func jobRef(x *exchange, j *simJob) obj {
	return obj{"type": "job", "id": j.ID, "links": obj{"self": x.link("/jobs/" + j.ID)}}
}

// refresh starts a refresh job for c, or returns the one already running
// (existing=true). A nil job means the answer was already written (429).
func (s *Simulator) refresh(x *exchange, c *simConn) (j *simJob, existing bool) {
	s.refreshes[c.ID]++
	if j := s.runningJob(c.ID); j != nil {
		return j, true
	}
	if c.Method == "open-banking" {
		if ok, retry := admit(&c.refreshTimes, x.now, 24*time.Hour, openBankingDailyRefreshes); !ok {
			x.tooMany("Open Banking connections are limited to 20 refreshes per day.", retry)
			return nil, false
		}
	}
	j = s.planConnJob(c, "refresh", x.now)
	s.startJob(j)
	return j, false
}

func (s *Simulator) refreshConnection(x *exchange) {
	_, c := x.pathConn()
	if c == nil {
		return
	}
	j, existing := s.refresh(x, c)
	switch {
	case j == nil:
	case existing:
		x.json(http.StatusOK, jobRef(x, j))
	default:
		x.json(http.StatusAccepted, jobRef(x, j))
	}
}

func (s *Simulator) refreshAll(x *exchange) {
	u := x.pathUser()
	if u == nil {
		return
	}
	items := []any{}
	for _, c := range s.activeConns(u) {
		j, _ := s.refresh(x, c)
		if j == nil {
			return
		}
		items = append(items, jobRef(x, j))
	}
	x.json(http.StatusAccepted, obj{"type": "list", "data": items})
}

func (s *Simulator) purgeConnection(x *exchange) {
	_, c := x.pathConn()
	if c == nil {
		return
	}
	if c.Status != "active" {
		x.badParam("connectionId", "Only active connections can be purged; this one is "+c.Status+".")
		return
	}
	c.accounts, c.txns, c.generated, c.dataUntil = nil, nil, true, time.Time{}
	s.emit(x.now, "account", "updated", c.UserID, "/users/"+c.UserID+"/accounts", nil)
	x.w.WriteHeader(http.StatusNoContent)
}

// pathJob finds {jobId}, answering 404 and checking a CLIENT token's user.
func (x *exchange) pathJob() *simJob {
	j := x.s.jobs[x.r.PathValue("jobId")]
	if j == nil {
		x.notFound("Requested job does not exist.")
		return nil
	}
	if !x.boundTo(j.UserID) {
		return nil
	}
	return j
}

func (s *Simulator) getJob(x *exchange) {
	if j := x.pathJob(); j != nil {
		x.json(http.StatusOK, x.jobView(j, false))
	}
}

func (s *Simulator) answerMFA(x *exchange) {
	j := x.pathJob()
	var b struct {
		Response []string `json:"mfa-response"`
	}
	if j == nil || !x.decode(&b, false) {
		return
	}
	if len(b.Response) == 0 {
		x.fail(http.StatusBadRequest, "parameter-not-supplied", "Required parameter not supplied", "mfa-response is required.", &errSource{Pointer: "mfa-response"})
		return
	}
	if j.mfa == nil || j.done || !j.mfaAnswered.IsZero() || !waitingForMFA(j) {
		x.badParam("jobId", "The job is not waiting for an MFA response.")
		return
	}
	ok := len(b.Response) == len(j.mfa.Answers)
	for i := 0; ok && i < len(b.Response); i++ {
		ok = strings.EqualFold(strings.TrimSpace(b.Response[i]), j.mfa.Answers[i])
	}
	j.mfaAnswered, j.mfaOK = x.now, ok
	s.advance(j, x.now)
	x.json(http.StatusAccepted, jobRef(x, j))
}

func waitingForMFA(j *simJob) bool {
	for _, st := range j.Steps {
		if st.MFA && st.Status == "in-progress" {
			return true
		}
	}
	return false
}

func (s *Simulator) listUserJobs(x *exchange) {
	u := x.pathUser()
	if u == nil {
		return
	}
	conds, ok := x.parseFilter(x.r.URL.Query().Get("filter"), filterRules{"connection.id": ops("eq")})
	if !ok {
		return
	}
	connID := ""
	if len(conds) > 0 {
		connID = conds[0].Values[0]
	}
	items := []any{}
	for _, j := range s.userJobs(u.ID, connID, x.now) {
		items = append(items, x.jobView(j, true))
	}
	x.json(http.StatusOK, obj{"type": "list", "size": len(items), "data": items, "links": obj{"self": x.link("/users/" + u.ID + "/jobs")}})
}
