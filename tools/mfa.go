package tools

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/tools/guard"
)

// answerMFAParams carry the customer's answer to a bank's challenge during a
// refresh. Basiq's Consent UI handles MFA on a first connection only; for a
// refresh the partner must post the answer (POST /jobs/{id}/mfa).
type answerMFAParams struct {
	userIDParam
	JobID   string   `json:"job_id" jsonschema:"required,pattern=id"`
	Code    string   `json:"code,omitempty" jsonschema:"maxLength=64" jsonschema_description:"The customer's one-time code."`
	Answers []string `json:"answers,omitempty" jsonschema:"maxItems=5" jsonschema_description:"Security questions: one answer each."`
}

type answerMFAResult struct {
	Status   string `json:"status" jsonschema:"enum=sent,enum=not-sent"`
	Message  string `json:"message"`
	NextStep string `json:"next_step,omitempty"`
}

// answerMfaTool is the answer_mfa tool.
var answerMfaTool = spec[answerMFAParams, answerMFAResult]{name: "answer_mfa", title: "Answer bank's MFA challenge", toolset: SetJobs, hints: writeHints, run: answerMFA,
	description: "Send the customer's one-time code to a job waiting for it (mfa-required); never stored or logged. A wrong code fails the job: send it once, exactly as read out."}

// answerMFA sends the answer only to a job that is asking for one, and never
// lets the code reach a log line, the audit, an error or the result.
func answerMFA(ctx context.Context, d *call, p answerMFAParams) (answerMFAResult, error) {
	answers := p.Answers
	if p.Code != "" {
		answers = append([]string{p.Code}, answers...)
	}
	if len(answers) == 0 || p.Code != "" && len(p.Answers) > 0 {
		return answerMFAResult{}, badArg("give \"code\" (a one-time code) or \"answers\" (security questions), not both")
	}
	res := answerMFAResult{Status: "not-sent"}
	if err := d.Idem.Ready(); err != nil {
		return res, err
	}
	job, err := d.Client.GetJob(ctx, p.JobID)
	if err != nil {
		return res, err
	}
	if owner := job.UserID(); owner != "" && !strings.EqualFold(owner, p.UserID) {
		return res, badArg("job %s belongs to another customer, not user %s; nothing was sent. Give the user_id of the customer whose connection the job works on", p.JobID, p.UserID)
	}
	ch := job.MFAChallenge()
	if ch == nil {
		res.Message = fmt.Sprintf("Job %s is not waiting for a code (it is %s), so nothing was sent.", p.JobID, basiq.JobState(job))
		res.NextStep = "Read the job with get_job; ask the customer for a code only when its diagnosis is mfa-required."
		return res, nil
	}
	if want := len(ch.Input); ch.Method == "security-questions" && want > 0 && len(answers) != want {
		return res, badArg("the bank asked %d question(s); give one answer each in \"answers\"", want)
	}
	_, err = d.Client.AnswerMFA(ctx, p.UserID, p.JobID, answers)
	if err != nil {
		d.audit(guard.Entry{Tool: "answer_mfa", UserID: p.UserID, JobID: p.JobID, Decision: "failed", Reason: errorCode(err)})
		return res, errors.New(redact(explain(err), answers))
	}
	d.audit(guard.Entry{Tool: "answer_mfa", UserID: p.UserID, JobID: p.JobID, Decision: "sent"})
	res.Status, res.Message = "sent", "The answer was sent to the bank."
	res.NextStep = "Follow the job with get_job and wait_seconds: a wrong or late answer fails it with invalid-credentials or job-timed-out."
	return res, nil
}

// redact removes the customer's answers from text that may quote them back.
func redact(s string, secrets []string) string {
	for _, v := range secrets {
		if v = strings.TrimSpace(v); v != "" {
			s = strings.ReplaceAll(s, v, "[REDACTED]")
		}
	}
	return s
}

// errorCode is the short code of a failure, for the audit: never its text,
// which may quote what was sent.
func errorCode(err error) string {
	if e, ok := basiq.AsError(err); ok {
		return fmt.Sprintf("%d %s", e.StatusCode, e.Code)
	}
	return "not answered"
}
