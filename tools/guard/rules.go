package guard

import (
	"fmt"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
)

// stallAfter is how long an unfinished job counts as running. Basiq retries
// a job that met service-unavailable every 2 hours for up to 7 days (API.md
// 9.5, from Basiq's connection docs); treating such a job as running would
// block the connection for a week, so one not updated for longer than one
// retry interval no longer stops a refresh.
const stallAfter = 2 * time.Hour

// invalidRetryWindow is how often an invalid connection may be refreshed:
// Basiq's docs say a successful refresh restores an invalid connection once
// the customer has cleared the cause at their bank, so one try a day is
// allowed; more would only ask the bank again for nothing.
const invalidRetryWindow = 24 * time.Hour

// reconsentCodes are failures a refresh cannot cure: the customer must give
// new credentials or a new authorisation through the consent screens.
var reconsentCodes = map[string]bool{"invalid-credentials": true, "authorization-failed": true, "invalid-connection": true}

// userActionCodes are failures that wait on the customer (at their bank, or
// consenting again). Basiq's docs say a refresh restores the connection once
// the customer has acted; before that it is a futile bank login that fails
// again, so one is allowed only on evidence that they did (customerActed).
var userActionCodes = map[string]bool{"account-not-accessible-requires-user-action": true, "user-action-required": true}

// jobEvidence is what Basiq's own job history says about one connection, so
// that a fresh state directory cannot lead to repeated refreshes.
type jobEvidence struct {
	running  *basiq.Job // unfinished and updated within stallAfter
	newest   *basiq.Job // the most recently started job
	inWindow int        // jobs started within the cap's window
}

func jobTime(j *basiq.Job) time.Time {
	if !j.Created.IsZero() {
		return j.Created.Time
	}
	return j.Updated.Time
}

func readJobs(jobs []basiq.Job, now time.Time) jobEvidence {
	var ev jobEvidence
	for i := range jobs {
		j := &jobs[i]
		if t := jobTime(j); !t.IsZero() && now.Sub(t) < ledgerWindow {
			ev.inWindow++
		}
		if ev.newest == nil || jobTime(j).After(jobTime(ev.newest)) {
			ev.newest = j
		}
		last := j.Updated.Time
		if last.IsZero() {
			last = jobTime(j)
		}
		if !j.Finished() && (last.IsZero() || now.Sub(last) < stallAfter) && ev.running == nil {
			ev.running = j
		}
	}
	return ev
}

// lastActivity is the latest of Basiq's lastUsed, our own ledger and the
// newest job Basiq started for the connection (a failed refresh leaves
// lastUsed where it was, yet it asked the bank, and maybe the customer).
func lastActivity(conn *basiq.Connection, ev jobEvidence) time.Time {
	last := conn.LastUsed.Time
	if ev.newest != nil && jobTime(ev.newest).After(last) {
		last = jobTime(ev.newest)
	}
	return last
}

// recent counts the jobs Basiq started for the connection within window:
// refreshes a fresh state directory would not know about still count
// toward the daily cap.
func (ev jobEvidence) recent(now time.Time, window time.Duration) int {
	return ev.inWindow
}

// statusRule returns the refusal the connection's status calls for, or nil.
// An empty status (Basiq's files do not require one) is left to Basiq; an
// invalid connection is left to the ledger (one refresh a day), unless its
// newest job failed in a way only re-consent can fix.
func statusRule(conn *basiq.Connection, ev jobEvidence) *Decision {
	switch conn.Status {
	case "active", "":
		return nil
	case "invalid":
		if code := ev.failure(); reconsentCodes[code] {
			return &Decision{Rule: RuleStatus, Outcome: Refused, Reason: fmt.Sprintf("the connection is invalid and its last job failed with %s: a refresh cannot fix that; the customer must re-consent (create_auth_link)", code)}
		}
		return nil
	case "pending", "pre-init", "init":
		return &Decision{Rule: RuleStatus, Outcome: Refused, Reason: fmt.Sprintf("the connection is still being set up (status %s); follow its connect job with list_user_jobs", conn.Status)}
	}
	return &Decision{Rule: RuleStatus, Outcome: Refused, Reason: fmt.Sprintf("Basiq reports the connection as %q, which cannot be refreshed; check it with get_connection and list_user_jobs", conn.Status)}
}

// failure is the failure code of the newest job, "" when it did not fail.
func (ev jobEvidence) failure() string {
	if ev.newest == nil {
		return ""
	}
	if step := ev.newest.FailedStep(); step != nil && step.Result != nil {
		return step.Result.Code
	}
	return ""
}

// waitingOnCustomer is the refusal for an invalid connection whose last
// failure waits on the customer, when nothing shows they have acted.
func waitingOnCustomer(code string, failed time.Time) *Decision {
	return &Decision{Rule: RuleStatus, Outcome: Refused, Reason: fmt.Sprintf("the connection is invalid: its last job failed with %s (at %s), which waits on the customer, and nothing shows they have acted since (no newer consent or connection update); a refresh now would be a bank login that fails again. Send the customer a consent link with create_auth_link: completing it reconnects the bank",
		code, failed.UTC().Format(time.RFC3339))}
}

// ago says how long ago t was, in seconds under a minute.
func ago(now, t time.Time) string {
	d := now.Sub(t)
	if d < time.Minute {
		return fmt.Sprintf("%d s ago", int(d.Seconds()))
	}
	return fmt.Sprintf("%s ago", d.Round(time.Minute))
}
