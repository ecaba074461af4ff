package tools

import (
	"context"
	"fmt"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/basiq/views"
	"github.com/basiq-mcp/basiq-mcp/tools/guard"
)

type diagnoseParams struct {
	userIDParam
	ConnectionID string `json:"connection_id,omitempty" jsonschema:"pattern=id" jsonschema_description:"One connection; all of the user's when left out."`
}

// connectionHealth is one connection, looked at from every side.
type connectionHealth struct {
	views.Connection
	// ConsentExpiry is when the customer's active consent ends (the
	// earliest, if several): the date data sharing stops.
	ConsentExpiry     string     `json:"consent_expiry,omitempty" jsonschema_description:"when the customer's active consent expires"`
	InstitutionStatus string     `json:"institution_status"`
	LastJob           *JobView   `json:"last_job,omitempty"`
	Refresh           string     `json:"refresh" jsonschema_description:"what a refresh_connection now would do, and why"`
	Verdict           string     `json:"verdict" jsonschema:"enum=ok,enum=customer-must-act,enum=bank-problem,enum=wait,enum=refresh-now,enum=unknown"`
	NextStep          string     `json:"next_step"`
	Diagnosis         *Diagnosis `json:"-"`
	decision          guard.Decision
}

type diagnoseResult struct {
	Verdict     string             `json:"verdict"`
	NextStep    string             `json:"next_step"`
	Connections []connectionHealth `json:"connections"`
	// Unread names what could not be read, so the verdict is known to be
	// made without it.
	Unread []string `json:"unread,omitempty"`
}

// diagnoseConnectionTool is the diagnose_connection tool.
var diagnoseConnectionTool = spec[diagnoseParams, diagnoseResult]{name: "diagnose_connection", title: "Why is data not updating?", toolset: SetConnections, hints: readHints, run: diagnoseConnection,
	description: "Why is a customer's bank not updating? One verdict and next step from status, last job, bank status, consent expiry and refresh rules. Sends nothing."}

func diagnoseConnection(ctx context.Context, d *call, p diagnoseParams) (diagnoseResult, error) {
	read := time.Now().UTC()
	conns, err := d.Client.ListConnections(ctx, p.UserID, basiq.ListConnectionsOptions{})
	if err != nil {
		return diagnoseResult{}, err
	}
	jobs, err := d.Client.ListUserJobs(ctx, p.UserID, "")
	if err != nil {
		return diagnoseResult{}, err
	}
	res := diagnoseResult{Connections: []connectionHealth{}}
	consentExpiry, consents, err := d.activeConsentExpiry(ctx, p.UserID)
	if err != nil {
		res.Unread = append(res.Unread, "consents: "+explain(err)+"; the consent's expiry is not taken into account")
	} else {
		d.keepRead(ctx, p.UserID, read, triageOf(conns.Data, jobs.Data, consents))
	}
	for _, c := range conns.Data {
		if p.ConnectionID != "" && guard.Key(c.ID) != guard.Key(p.ConnectionID) {
			continue
		}
		h, err := d.health(ctx, p.UserID, c, jobs.Data)
		if err != nil {
			return res, err
		}
		h.ConsentExpiry = consentExpiry
		h.Verdict, h.NextStep = verdict(h, h.decision)
		res.Connections = append(res.Connections, h)
	}
	if len(res.Connections) == 0 {
		if p.ConnectionID != "" {
			return res, badArg("user %s has no connection %q; list_connections shows theirs", p.UserID, p.ConnectionID)
		}
		res.Verdict, res.NextStep = "customer-must-act", "The customer has no bank connected: create_auth_link and send them the link."
		return res, nil
	}
	res.Verdict, res.NextStep = worstVerdict(res.Connections)
	return res, nil
}

// health looks at one connection: its newest job, its bank, its consent and
// what the refresh rules would say now (a dry run: nothing is sent).
func (d *call) health(ctx context.Context, userID string, c basiq.Connection, jobs []basiq.Job) (connectionHealth, error) {
	h := connectionHealth{Connection: views.FromConnection(c)}
	var newest *basiq.Job
	for i := range jobs {
		j := &jobs[i]
		if j.ConnectionID() == c.ID && (newest == nil || j.Created.After(newest.Created.Time)) {
			newest = j
		}
	}
	if newest != nil {
		v := jobView(newest)
		v.Steps = nil // the diagnosis says what matters; get_job has the steps
		h.LastJob, h.Diagnosis = &v, v.Diagnosis
	}
	status, err := d.institutionStatus(ctx, c.Institution.ID)
	if err != nil {
		return h, err
	}
	h.InstitutionStatus = status
	dec, err := d.Governor.Refresh(ctx, "diagnose_connection", userID, c.ID, true)
	if err != nil {
		return h, err
	}
	h.Refresh, h.decision = dec.Outcome, dec
	if dec.Reason != "" {
		h.Refresh += ": " + dec.Reason
	}
	return h, nil
}

// activeConsentExpiry is the expiry of the customer's active consent (the
// earliest, if several), "" when none is active.
func (d *call) activeConsentExpiry(ctx context.Context, userID string) (string, []basiq.Consent, error) {
	l, err := d.Client.ListConsents(ctx, userID)
	if err != nil {
		return "", nil, err
	}
	var earliest basiq.Time
	for _, c := range l.Data {
		if c.Status == "active" && !c.ExpiryDate.IsZero() && (earliest.IsZero() || c.ExpiryDate.Before(earliest.Time)) {
			earliest = c.ExpiryDate
		}
	}
	return views.Stamp(earliest), l.Data, nil
}

func (d *call) institutionStatus(ctx context.Context, id string) (string, error) {
	l, err := d.Client.ListConnectors(ctx, basiq.ListConnectorsOptions{ID: id})
	if err != nil {
		return "", err
	}
	worst := basiq.ConnectorOperational
	for _, c := range l.Data {
		worst = basiq.WorseStatus(worst, c.Status)
	}
	return worst, nil
}

// consentSoon is how close a consent's expiry must be to call for action.
const consentSoon = 14 * 24 * time.Hour

// verdict folds what one connection shows into one word and one step.
func verdict(h connectionHealth, dec guard.Decision) (string, string) {
	switch {
	case h.LastJob != nil && h.LastJob.Status == basiq.JobWaitingForUser:
		return "customer-must-act", h.Diagnosis.NextAction
	case h.Diagnosis != nil && h.Diagnosis.Retry == retryAfterUser:
		return "customer-must-act", h.Diagnosis.NextAction
	case h.InstitutionStatus == basiq.ConnectorMajorOutage || h.InstitutionStatus == basiq.ConnectorPartialOutage:
		return "bank-problem", fmt.Sprintf("The bank has a %s; nothing to do but wait (1 to 3 hours). Tell the customer it is the bank, not them.", h.InstitutionStatus)
	case h.LastJob != nil && h.LastJob.Status == basiq.JobRunning:
		return "wait", "A job is running: follow it with get_job and wait_seconds."
	case h.Diagnosis != nil && h.Diagnosis.Retry == retryNo:
		return "unknown", h.Diagnosis.NextAction
	case expiresWithin(h.ConsentExpiry, consentSoon):
		return "customer-must-act", "The customer's consent expires on " + h.ConsentExpiry[:10] + ": send a new consent link (create_auth_link) so data keeps flowing."
	case expiresWithin(h.ConnectionExpiry, consentSoon):
		return "customer-must-act", "The connection expires on " + h.ConnectionExpiry[:10] + ": send a new consent link (create_auth_link) so data keeps flowing."
	case h.LastJob != nil && h.LastJob.Status == basiq.JobUnknown:
		return "unknown", h.LastJob.Note
	case dec.Outcome == guard.WouldRefresh && !stale(h.LastRefreshed):
		return "ok", "The data was fetched " + fetchedAgo(h.LastRefreshed) + ", within the day Basiq's own daily refresh keeps: read it (list_accounts, list_transactions) instead of refreshing."
	case dec.Outcome == guard.WouldRefresh:
		return "refresh-now", "The data is stale (fetched " + fetchedAgo(h.LastRefreshed) + ") and every rule allows a refresh: refresh_connection once, then get_job with wait_seconds."
	case h.Status == "active":
		return "ok", "The connection is healthy; the data was fetched " + fetchedAgo(h.LastRefreshed) + ". " + dec.Reason
	}
	return "wait", dec.Reason
}

// staleAfter is when a connection's data is stale: Basiq refreshes every
// connection itself once a day, so data fetched within a day is what a
// scheduled refresh gives, and a manual one would only add a bank login
// (the guide's rule: read lastUsed, refresh only when the data is older than
// the task allows).
const staleAfter = 24 * time.Hour

// stale reports whether data last fetched at stamp (RFC 3339; "" for
// never) is older than staleAfter.
func stale(stamp string) bool {
	t, err := time.Parse(time.RFC3339, stamp)
	return err != nil || time.Since(t) > staleAfter
}

// fetchedAgo says when data was last fetched, for a next step.
func fetchedAgo(stamp string) string {
	t, err := time.Parse(time.RFC3339, stamp)
	if err != nil {
		return "never, as far as Basiq shows"
	}
	return time.Since(t).Round(time.Minute).String() + " ago (" + stamp + ")"
}

func expiresWithin(stamp string, d time.Duration) bool {
	t, err := time.Parse(time.RFC3339, stamp)
	return err == nil && time.Until(t) < d
}

// rank orders verdicts by how much they need someone.
var rank = map[string]int{"ok": 0, "wait": 1, "refresh-now": 2, "bank-problem": 3, "unknown": 4, "customer-must-act": 5}

// worstVerdict is the verdict of the connection that needs most.
func worstVerdict(hs []connectionHealth) (string, string) {
	best := hs[0]
	for _, h := range hs[1:] {
		if rank[h.Verdict] > rank[best.Verdict] {
			best = h
		}
	}
	if len(hs) == 1 {
		return best.Verdict, best.NextStep
	}
	return best.Verdict, fmt.Sprintf("Connection %s needs it most: %s", best.ID, best.NextStep)
}
