package tools

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/basiq/text"
	"github.com/basiq-mcp/basiq-mcp/tools/guard"
)

// refusalError is a refresh the governor would not send.
type refusalError struct{ d guard.Decision }

func (e *refusalError) Error() string {
	msg := fmt.Sprintf("Refresh %s: %s.", e.d.Outcome, e.d.Reason)
	if e.d.RetryAt != "" {
		msg += " It will be allowed from " + e.d.RetryAt + "; do not retry before then."
	}
	return msg
}

// explain turns any failure into a tool error the model can act on: what
// went wrong, and what to do next. It never repeats credentials: basiq
// errors are already scrubbed of the API key and tokens.
func explain(err error) string {
	var ae *argError
	var ne net.Error
	var re *refusalError
	var ce *guard.ConfirmError
	var ie *guard.IdempotencyError
	var ue *guard.UnknownOutcomeError
	switch {
	case errors.As(err, &ue):
		return "Outcome unknown: " + ue.Error() + "."
	case errors.As(err, &ae):
		return "Invalid arguments: " + ae.msg
	case errors.As(err, &re):
		return re.Error()
	case errors.As(err, &ce):
		return "Not done: " + ce.Msg + "."
	case errors.As(err, &ie):
		return "Not done: " + ie.Msg + "."
	case basiq.IsInputError(err):
		return "Invalid arguments: " + strings.TrimPrefix(err.Error(), "basiq: ") + "."
	case errors.Is(err, context.DeadlineExceeded):
		return "The request to Basiq timed out. Retry once; if it times out again, Basiq may be degraded."
	case errors.Is(err, context.Canceled):
		return "The request was cancelled before Basiq answered."
	}
	if wait, ok := basiq.IsUnavailable(err); ok {
		return "Basiq is not answering (several calls in a row failed), so this call was not sent. " + retryText(wait) +
			" Do not retry sooner; if it lasts, Basiq or the network is down."
	}
	if e, ok := basiq.AsError(err); ok {
		return explainAPI(e)
	}
	if errors.As(err, &ne) || errors.Is(err, syscall.ECONNREFUSED) {
		return "Basiq could not be reached (" + err.Error() + "). Retry in a minute; if it persists, the service or the network is down."
	}
	return err.Error()
}

func explainAPI(e *basiq.Error) string {
	msg := text.Clean(e.Detail, 300)
	if msg == "" {
		msg = text.Clean(e.Title, 300)
	}
	out := fmt.Sprintf("Basiq answered %d", e.StatusCode)
	if e.Code != "" {
		out += " " + e.Code
	}
	if msg != "" {
		out += ": " + strings.TrimSuffix(msg, ".") + "."
	}
	if next := nextStep(e); next != "" {
		out += " " + next
	}
	if e.CorrelationID != "" {
		out += " (correlationId " + e.CorrelationID + ")"
	}
	return out
}

// nextStep says what to do about a Basiq error, using the client's own
// predicates so that the two never classify an error differently.
func nextStep(e *basiq.Error) string {
	if kind, wait, limited := basiq.IsLimited(e); limited {
		switch kind {
		case basiq.LimitTokenFlood:
			return "Basiq is limiting how many access tokens this server may request (too many within 5 minutes); the API key is fine. " + retryText(max(wait, 5*time.Minute)) + " Do not call in a loop."
		case basiq.LimitSandboxConnect:
			return "The account's sandbox connection limit (500) is reached; delete unused connections or ask Basiq support to raise it."
		}
		return "Basiq's rate limit was reached. " + retryText(wait) + " Do not call it in a loop."
	}
	switch {
	case basiq.IsAuthFailure(e):
		return "Basiq refused this server's credentials or permissions. This needs the operator (check BASIQ_API_KEY and the Basiq account's products); retrying will not help."
	case basiq.IsFilterRefused(e):
		return "Basiq refused a filter this server built, not your values: its filter support differs from what this server expected. Call again without the narrowing arguments (dates, status, class…) and narrow the results yourself, and tell the operator."
	case basiq.IsNotFound(e):
		return notFoundStep(e.Path)
	case basiq.IsGone(e):
		return "It has expired or was deleted; for a consent link, create a new one with create_auth_link."
	case e.Temporary() || e.StatusCode >= 500 || e.StatusCode == 0:
		return "Basiq is temporarily unavailable. " + retryText(e.RetryAfter) + " If it persists, report the correlation id to Basiq support."
	case e.StatusCode == http.StatusBadRequest && e.Source != nil && e.Source.Parameter != "":
		return fmt.Sprintf("Basiq objected to %q; fix that value and call again.", e.Source.Parameter)
	case e.StatusCode == http.StatusBadRequest:
		return "Fix the request and call again."
	}
	return ""
}

func retryText(d time.Duration) string {
	if d <= 0 {
		return "Retry in about a minute."
	}
	return fmt.Sprintf("Retry after %d s.", int(d.Round(time.Second).Seconds()))
}

// notFoundStep says where a valid id of the kind the path names comes from.
func notFoundStep(path string) string {
	switch {
	case strings.HasPrefix(path, "/jobs/"):
		return "No such job: list_user_jobs shows a user's jobs of the last 7 days."
	case strings.HasPrefix(path, "/reports/"):
		return "No such report (or it expired): list_reports shows them. A create_report job id is not a report id: get_job gives the job's report_id."
	case strings.Contains(path, "/connections/"):
		return "No such connection for this user: list_connections shows theirs."
	case strings.Contains(path, "/transactions/"):
		return "No such transaction: list_transactions shows them (pending ids change on each refresh)."
	case strings.Contains(path, "/accounts/"):
		return "No such account: list_accounts shows them."
	case strings.Contains(path, "/consents/"):
		return "No such consent: list_consents shows them."
	case strings.HasPrefix(path, "/connectors/"):
		return "No such institution: list_connectors shows them."
	case strings.HasPrefix(path, "/users/"):
		return "No such user: find them with list_users."
	}
	return "Check the id: copy it from the tool that returned it."
}
