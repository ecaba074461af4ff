package basiqtest

import (
	"net/url"
	"slices"
	"strings"
	"time"
)

const (
	jobRetention   = 7 * 24 * time.Hour // GET /users/{id}/jobs shows a week
	mfaExpiry      = 2 * time.Minute
	duplicatePause = 6 * time.Minute // a second job with credentials in use waits
)

type simJob struct {
	ID, UserID, ConnID, InstitutionID string
	Kind                              string // connect, refresh or report
	ReportID                          string
	Created, Updated, startAt         time.Time
	Steps                             []*simStep
	done                              bool
	quiet                             bool // seeded history: no side effects
	mfa                               *mfa
	mfaAnswered                       time.Time
	mfaOK                             bool
}

type simStep struct {
	Title, Status string
	Dur           time.Duration
	End           time.Time
	Fail          *failure
	MFA           bool
}

// planConnJob builds the steps of a connect or refresh job for c, starting
// at start, with the failure and MFA the persona and institution dictate.
func (s *Simulator) planConnJob(c *simConn, kind string, start time.Time) *simJob {
	inst := findInstitution(c.InstitutionID)
	slow := 1.0
	if inst.Status == "degraded-performance" {
		slow = 2
	}
	dur := func(ms int64) time.Duration { return s.scaled(time.Duration(float64(ms)*slow) * time.Millisecond) }
	j := &simJob{ID: s.nextID("job"), UserID: c.UserID, ConnID: c.ID, InstitutionID: c.InstitutionID, Kind: kind,
		Created: start, Updated: start, startAt: start}
	verify := &simStep{Title: "verify-credentials", Dur: dur(inst.VerifyMs)}
	j.Steps = []*simStep{verify}
	switch {
	case c.Fail != nil:
		verify.Fail = c.Fail
	case s.statusOf(inst) == "major-outage", s.statusOf(inst) == "partial-outage" && c.jobsRun%2 == 1:
		verify.Fail = &failUnavailable
	}
	if verify.Fail == nil && s.challenges(c, inst) {
		j.mfa = c.Persona.MFA
		if j.mfa == nil {
			j.mfa = mfaOTP
		}
		j.Steps = append(j.Steps, &simStep{Title: "mfa-challenge", Dur: s.scaled(mfaExpiry), MFA: true})
	}
	j.Steps = append(j.Steps,
		&simStep{Title: "retrieve-accounts", Dur: dur(inst.AccountsMs)},
		&simStep{Title: "retrieve-transactions", Dur: dur(inst.TransactionsMs)})
	for _, st := range j.Steps {
		st.Status = "pending"
	}
	c.jobsRun++
	return j
}

func (s *Simulator) challenges(c *simConn, inst *institution) bool {
	if c.askCode { // the wait-for-code control: this connection's next job asks once
		c.askCode = false
		return true
	}
	switch inst.MFA {
	case mfaAlways:
		return true
	case mfaHalf:
		return unitOf(c.seed, uint64(c.jobsRun), 77) < 0.5
	}
	return false
}

// startJob registers a job so that it advances with the clock.
func (s *Simulator) startJob(j *simJob) {
	s.jobs[j.ID] = j
	s.running = append(s.running, j)
	s.advance(j, s.now())
}

// runningJob returns the connection's queued or running job, if any.
func (s *Simulator) runningJob(connID string) *simJob {
	for _, j := range s.running {
		if j.ConnID == connID && !j.done {
			return j
		}
	}
	return nil
}

// advance moves a job forward to now, step by step, applying each step's
// effects at the time the step ended. Steps after a failure stay pending.
func (s *Simulator) advance(j *simJob, now time.Time) {
	cursor := j.startAt
	for _, st := range j.Steps {
		if st.Status == "success" {
			cursor = st.End
			continue
		}
		if now.Before(cursor) {
			return
		}
		if st.Status == "pending" {
			st.Status, j.Updated = "in-progress", cursor
		}
		end := cursor.Add(st.Dur)
		if st.MFA {
			switch {
			case !j.mfaAnswered.IsZero() && j.mfaAnswered.Before(end):
				end = j.mfaAnswered
				if !j.mfaOK {
					st.Fail = &failMFAWrong
				}
			case now.Before(end):
				return
			default:
				st.Fail = &failMFATimeout
			}
		} else if now.Before(end) {
			return
		}
		st.End, j.Updated = end, end
		if st.Fail != nil {
			st.Status, j.done = "failed", true
			s.jobFailed(j, st.Fail)
			return
		}
		st.Status = "success"
		s.stepSucceeded(j, st, end)
		cursor = end
	}
	j.done = true
}

func (s *Simulator) stepSucceeded(j *simJob, st *simStep, at time.Time) {
	if j.quiet {
		return
	}
	if j.Kind == "report" {
		s.finishReport(j, at)
		return
	}
	c := s.conns[j.ConnID]
	if c == nil || c.deleted {
		return
	}
	switch st.Title {
	case "verify-credentials":
		if c.Status != "active" {
			// The events API spells activation as an update; the snapshot says active.
			c.Status = "active"
			s.emit(at, "connection", "updated", c.UserID, "/users/"+c.UserID+"/connections/"+c.ID, s.connEventData(c))
		}
	case "retrieve-accounts":
		if c.accounts == nil {
			s.ensureData(c)
			if c.accounts == nil {
				s.makeAccounts(c, at)
			}
		}
		s.emit(at, "account", "updated", c.UserID, "/users/"+c.UserID+"/accounts", nil)
	case "retrieve-transactions":
		s.refreshData(c, at)
		c.LastUsed = at
		s.emit(at, "transactions", "updated", c.UserID, "/users/"+c.UserID+"/transactions", nil)
	}
}

func (s *Simulator) jobFailed(j *simJob, f *failure) {
	if j.quiet {
		return
	}
	if j.Kind == "report" {
		delete(s.reports, j.ReportID)
		return
	}
	c := s.conns[j.ConnID]
	if c == nil || c.deleted {
		return
	}
	switch f.Code {
	case "invalid-credentials", "account-not-accessible-requires-user-action", "user-action-required", "authorization-failed":
		if c.Status != "invalid" {
			c.Status = "invalid"
			s.emit(j.Updated, "connection", "updated", c.UserID, "/users/"+c.UserID+"/connections/"+c.ID, s.connEventData(c))
		}
	}
}

// jobView renders a job as GET /jobs/{id} does.
func (x *exchange) jobView(j *simJob, withInstitution bool) obj {
	steps := make([]obj, len(j.Steps))
	for i, st := range j.Steps {
		var result any = x.stepResult(j, st)
		if link, ok := result.(obj); ok && link["type"] == "link" && j.Kind != "report" && arrayResults(j) {
			// Basiq's v3 migration guide shows a step's link result as a
			// one-element array, its OpenAPI files as an object: half of the
			// connection jobs use each form, so clients meet both.
			result = []obj{link}
		}
		steps[i] = obj{"title": st.Title, "status": st.Status, "result": result}
	}
	links := obj{"self": x.link("/jobs/" + j.ID)}
	if src := x.jobSource(j); src != "" {
		links["source"] = src
	}
	v := obj{"type": "job", "id": j.ID, "created": ts(j.Created), "updated": ts(j.Updated), "steps": steps, "links": links}
	if j.Kind == "report" {
		v["jobType"], v["partnerId"], v["applicationId"] = "report", x.s.hashID("partner"), x.s.hashID("application")
		v["status"] = j.Steps[0].Status
		return v
	}
	v["jobType"] = "connection"
	if withInstitution {
		v["institution"] = obj{"type": "institution", "id": j.InstitutionID, "links": obj{"self": x.link("/institutions/" + j.InstitutionID)}}
	}
	return v
}

// jobSource is the resource the job works on; "" (left out, as Basiq does)
// while a new connection's credentials are not yet verified.
func (x *exchange) jobSource(j *simJob) string {
	if j.Kind == "report" {
		return x.link("/reports/" + j.ReportID)
	}
	if j.Kind == "connect" && j.Steps[0].Status != "success" {
		return ""
	}
	return x.link("/users/" + j.UserID + "/connections/" + j.ConnID)
}

func (x *exchange) stepResult(j *simJob, st *simStep) any {
	switch {
	case st.Status == "failed":
		return obj{"code": st.Fail.Code, "title": st.Fail.Title, "detail": st.Fail.Detail}
	case st.Status == "in-progress" && st.MFA:
		return obj{"type": "mfa", "method": j.mfa.Method, "description": "The institution asks for further verification.",
			"input": j.mfa.Prompts, "expiryMs": st.Dur.Milliseconds(), "links": obj{"response": x.link("/jobs/" + j.ID + "/mfa")}}
	case st.Status != "success":
		return nil
	}
	inst := url.QueryEscape("institution.id.eq('" + j.InstitutionID + "')")
	var u string
	switch st.Title {
	case "verify-credentials":
		u = "/users/" + j.UserID + "/connections/" + j.ConnID
	case "retrieve-accounts":
		u = "/users/" + j.UserID + "/accounts?filter=" + inst
	case "retrieve-transactions":
		u = "/users/" + j.UserID + "/transactions?filter=" + inst
	case "create-report":
		u = "/reports/" + j.ReportID
	default:
		return nil
	}
	return obj{"type": "link", "url": u}
}

// userJobs lists a user's jobs of the last week, newest first.
func (s *Simulator) userJobs(userID, connID string, now time.Time) []*simJob {
	var out []*simJob
	for _, j := range s.jobs {
		if j.UserID == userID && j.Kind != "report" && now.Sub(j.Created) <= jobRetention && (connID == "" || j.ConnID == connID) {
			out = append(out, j)
		}
	}
	slices.SortFunc(out, func(a, b *simJob) int {
		if c := b.Created.Compare(a.Created); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// arrayResults picks, by the job id, the jobs whose link results are sent
// in the migration guide's array form.
func arrayResults(j *simJob) bool {
	return len(j.ID) > 0 && j.ID[len(j.ID)-1]%2 == 0
}
