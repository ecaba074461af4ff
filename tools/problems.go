package tools

import (
	"slices"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/tools/guard"
)

// The reasons a customer is in the support queue, most urgent first: a
// code expires within minutes, a broken connection stops the data today,
// an expiry is a date ahead, and a bank's outage is for waiting out.
const (
	reasonWaiting         = "waiting-for-code"
	reasonInvalid         = "connection-invalid"
	reasonRevoked         = "consent-revoked"
	reasonExpired         = "consent-expired"
	reasonFailed          = "refresh-failed"
	reasonConsentExpiring = "consent-expiring"
	reasonConnExpiring    = "connection-expiring"
	reasonOutage          = "bank-outage"
)

// reasonsByUrgency orders the queue.
var reasonsByUrgency = []string{reasonWaiting, reasonInvalid, reasonRevoked, reasonExpired, reasonFailed, reasonConsentExpiring, reasonConnExpiring, reasonOutage}

// problem is one reason one customer needs attention, with what it is
// about.
type problem struct {
	Reason      string
	Connection  string
	Consent     string
	Institution string
	Code        string    // a failed job's failure code
	Job         string    // the job waiting for the customer's code
	Since       time.Time // when it started, where Basiq says
	Expires     time.Time // for the expiring reasons
}

// triageOf is what a triage keeps of a customer's connections, jobs and
// consents: each connection with its newest job's outcome, each consent
// with its expiry.
func triageOf(conns []basiq.Connection, jobs []basiq.Job, consents []basiq.Consent) guard.Triage {
	t := guard.Triage{Version: guard.TriageVersion, Consents: consentStates(consents)}
	for _, c := range conns {
		t.Connections = append(t.Connections, guard.ConnectionState{ID: c.ID, Institution: c.Institution.ID, Status: c.Status, Method: c.Method,
			LastUsed: c.LastUsed.Time, Expires: c.ExpiryDate.Time})
	}
	withJobs(&t, jobs)
	return t
}

// withJobs sets each connection's newest job from jobs (a customer's
// jobs of the last week, as Basiq keeps them).
func withJobs(t *guard.Triage, jobs []basiq.Job) {
	newest := map[string]*basiq.Job{}
	for i := range jobs {
		j := &jobs[i]
		if id := j.ConnectionID(); id != "" && (newest[id] == nil || j.Created.After(newest[id].Created.Time)) {
			newest[id] = j
		}
	}
	for i := range t.Connections {
		s := &t.Connections[i]
		s.Job, s.JobState, s.JobAt, s.Code = "", "", time.Time{}, ""
		if j := newest[s.ID]; j != nil {
			s.Job, s.JobState, s.JobAt, s.Code = j.ID, basiq.JobState(j), j.Created.Time, failureCode(j)
		}
	}
}

// withConnections replaces the connections with those read, each keeping
// the newest job the triage knew for it.
func withConnections(t *guard.Triage, conns []basiq.Connection) {
	known := map[string]guard.ConnectionState{}
	for _, c := range t.Connections {
		known[c.ID] = c
	}
	fresh := triageOf(conns, nil, nil).Connections
	for i := range fresh {
		if old, ok := known[fresh[i].ID]; ok {
			fresh[i].Job, fresh[i].JobState, fresh[i].JobAt, fresh[i].Code = old.Job, old.JobState, old.JobAt, old.Code
		}
	}
	t.Connections = fresh
}

func consentStates(consents []basiq.Consent) []guard.ConsentState {
	var out []guard.ConsentState
	for _, k := range consents {
		changed := k.Updated.Time
		if !k.Revoked.IsZero() {
			changed = k.Revoked.Time
		}
		out = append(out, guard.ConsentState{ID: k.ID, Status: k.Status, Expires: k.ExpiryDate.Time, Changed: changed})
	}
	return out
}

// problemsOf are why a customer needs someone, from their triage: a
// refresh waiting for their code, a connection not active, a refresh that
// failed, a consent revoked or expired, a consent or connection expiring
// within window.
func problemsOf(t guard.Triage, now time.Time, window time.Duration) []problem {
	var out []problem
	for _, c := range t.Connections {
		p := problem{Connection: c.ID, Institution: c.Institution, Code: c.Code, Since: c.JobAt}
		switch {
		case c.JobState == basiq.JobWaitingForUser:
			p.Reason, p.Job, p.Code = reasonWaiting, c.Job, ""
		case c.Status != "active" && c.Status != "pending":
			p.Reason = reasonInvalid
			if c.JobState != basiq.JobFailed {
				p.Since, p.Code = c.LastUsed, ""
			}
		case c.JobState == basiq.JobFailed:
			p.Reason = reasonFailed
		case !c.Expires.IsZero() && c.Expires.Sub(now) < window:
			p = problem{Reason: reasonConnExpiring, Connection: c.ID, Institution: c.Institution, Expires: c.Expires}
		default:
			continue
		}
		out = append(out, p)
	}
	for _, k := range t.Consents {
		p := problem{Consent: k.ID, Since: k.Changed}
		switch {
		case k.Status == "revoked":
			p.Reason = reasonRevoked
		case k.Status == "expired":
			p.Reason, p.Since = reasonExpired, k.Expires
		case k.Status == "active" && !k.Expires.IsZero() && k.Expires.Sub(now) < window:
			p = problem{Reason: reasonConsentExpiring, Consent: k.ID, Expires: k.Expires}
		default:
			continue
		}
		out = append(out, p)
	}
	return out
}

// sentence says a problem in a few words, for a list_users row.
func (p problem) sentence() string {
	switch p.Reason {
	case reasonWaiting:
		return p.Connection + " refresh waiting for the customer's code: answer_mfa with job_id " + p.Job
	case reasonInvalid:
		return p.Connection + " invalid" + inParens(p.Code)
	case reasonFailed:
		return p.Connection + " last refresh failed" + inParens(p.Code)
	case reasonConnExpiring:
		return p.Connection + " connection expires " + p.Expires.Format(time.DateOnly)
	case reasonConsentExpiring:
		return "consent expires " + p.Expires.Format(time.DateOnly)
	}
	return "consent " + p.Reason[len("consent-"):] // revoked, expired
}

// problemBanks are the institutions of the connections with a problem.
func problemBanks(ps []problem) []string {
	var banks []string
	for _, p := range ps {
		if p.Institution != "" && !slices.Contains(banks, p.Institution) {
			banks = append(banks, p.Institution)
		}
	}
	return banks
}

// failureCode names a failed job's code, "" when it did not fail.
func failureCode(j *basiq.Job) string {
	if step := j.FailedStep(); step != nil && step.Result != nil {
		return step.Result.Code
	}
	return ""
}

func inParens(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}
