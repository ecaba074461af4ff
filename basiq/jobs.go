package basiq

import (
	"context"
	"net/http"
	"slices"
	"strings"
)

// GetJob fetches a job with its steps.
func (c *Client) GetJob(ctx context.Context, jobID string) (*Job, error) {
	path, err := idPath("jobs", ":job id", jobID)
	if err != nil {
		return nil, err
	}
	var j Job
	if err := c.getJSON(ctx, path, nil, &j); err != nil {
		return nil, err
	}
	return &j, nil
}

// ListUserJobs lists a user's jobs of the last 7 days, optionally only those
// of one connection.
func (c *Client) ListUserJobs(ctx context.Context, userID, connectionID string) (*List[Job], error) {
	path, err := idPath("users", ":user id", userID, "jobs")
	if err != nil {
		return nil, err
	}
	var f Filter
	if connectionID != "" {
		if err := ValidateID("connection id", connectionID); err != nil {
			return nil, err
		}
		f = Filter{Eq("connection.id", connectionID)}
	}
	q, err := filterQuery(f)
	if err != nil {
		return nil, err
	}
	return listPage[Job](ctx, c, path, q, PageOptions{})
}

// AnswerMFA sends the user's answers to a job's MFA challenge: one code for
// a token challenge, one answer per question otherwise. Basiq wants a
// CLIENT_ACCESS token bound to the job's user, so one is minted for it.
func (c *Client) AnswerMFA(ctx context.Context, userID, jobID string, answers []string) (*Job, error) {
	path, err := idPath("jobs", ":job id", jobID, "mfa")
	if err != nil {
		return nil, err
	}
	if len(answers) == 0 {
		return nil, inputErrorf("at least one MFA answer is required")
	}
	tok, err := c.MintClientToken(ctx, userID)
	if err != nil {
		return nil, err
	}
	cl := &call{method: http.MethodPost, path: path, body: map[string][]string{"mfa-response": answers}, auth: authNone, bearer: tok.Value()}
	var j Job
	if _, err := c.send(ctx, cl, &j); err != nil {
		return nil, err
	}
	return &j, nil
}

// Job is Basiq's record of asynchronous work: a connect, a refresh, a
// statement upload or a report.
type Job struct {
	Type          string    `json:"type"`
	ID            string    `json:"id"`
	Created       Time      `json:"created"`
	Updated       Time      `json:"updated"`
	JobType       string    `json:"jobType"`
	Status        string    `json:"status"`
	PartnerID     string    `json:"partnerId"`
	ApplicationID string    `json:"applicationId"`
	Steps         []JobStep `json:"steps"`
	Institution   *Ref      `json:"institution"`
	Links         Links     `json:"links"`
}

// JobStep is one stage of a job, such as verify-credentials.
type JobStep struct {
	Title  string      `json:"title"`
	Status string      `json:"status"` // pending, in-progress, success, failed
	Result *StepResult `json:"result"`
}

// StepResult is a step's outcome: a link on success, an error on failure,
// or an MFA challenge while the institution waits for the user.
type StepResult struct {
	Type        string   `json:"type"` // link or mfa; empty for a failure
	URL         string   `json:"url"`
	Code        string   `json:"code"`
	Title       string   `json:"title"`
	Detail      string   `json:"detail"`
	Details     string   `json:"details"` // the spelling of Basiq's OpenAPI files
	Method      string   `json:"method"`
	Description string   `json:"description"`
	Input       []string `json:"input"`
	ExpiryMs    int64    `json:"expiryMs"`
	Links       Links    `json:"links"`
}

// Message is the failure text, under whichever name Basiq sent it.
func (r *StepResult) Message() string {
	if r.Detail != "" {
		return r.Detail
	}
	return r.Details
}

// Job step statuses.
const (
	StepPending    = "pending"
	StepInProgress = "in-progress"
	StepSuccess    = "success"
	StepFailed     = "failed"
)

// FailedStep returns the step that failed, or nil.
func (j *Job) FailedStep() *JobStep {
	for i := range j.Steps {
		if j.Steps[i].Status == StepFailed {
			return &j.Steps[i]
		}
	}
	return nil
}

// Finished reports whether the job can change no more: a step failed, or
// every step succeeded.
func (j *Job) Finished() bool {
	if j.FailedStep() != nil || j.Status == StepFailed {
		return true
	}
	for _, s := range j.Steps {
		if s.Status != StepSuccess {
			return false
		}
	}
	return len(j.Steps) > 0
}

// Succeeded reports whether every step succeeded.
func (j *Job) Succeeded() bool {
	return j.Finished() && j.FailedStep() == nil && j.Status != StepFailed
}

// MFAChallenge returns the pending MFA challenge, or nil.
func (j *Job) MFAChallenge() *StepResult {
	for _, s := range j.Steps {
		if s.Status == StepInProgress && s.Result != nil && s.Result.Type == "mfa" {
			return s.Result
		}
	}
	return nil
}

// Job states, as JobState derives them.
const (
	JobRunning        = "running"
	JobWaitingForUser = "waiting-for-user"
	JobSucceeded      = "succeeded"
	JobFailed         = "failed"
	// JobUnknown is a job this client cannot place: it has no steps, or a
	// step in a status Basiq does not document (UnknownStepStatuses).
	JobUnknown = "unknown"
)

// KnownStepStatus reports whether s is a step status Basiq documents:
// pending, in-progress, success or failed.
func KnownStepStatus(s string) bool {
	return s == StepPending || s == StepInProgress || s == StepSuccess || s == StepFailed
}

// UnknownStepStatuses returns the step statuses of j that Basiq does not
// document, by their own names, each once.
func (j *Job) UnknownStepStatuses() []string {
	var out []string
	for _, s := range j.Steps {
		if !KnownStepStatus(s.Status) && !slices.Contains(out, s.Status) {
			out = append(out, s.Status)
		}
	}
	return out
}

// JobState is the one word for where a job stands: failed, waiting-for-user
// (an MFA challenge is open), succeeded, running (every step pending or in
// progress), or unknown (no steps, or a step status Basiq does not
// document: never taken for running).
func JobState(j *Job) string {
	switch {
	case j.FailedStep() != nil || j.Status == StepFailed:
		return JobFailed
	case j.MFAChallenge() != nil:
		return JobWaitingForUser
	case j.Succeeded():
		return JobSucceeded
	case len(j.Steps) == 0 || len(j.UnknownStepStatuses()) > 0:
		return JobUnknown
	}
	return JobRunning
}

// ReportID returns the id of the report a finished report job made, taken
// from its step's result URL (absolute or relative), or "".
func (j *Job) ReportID() string {
	for _, s := range j.Steps {
		if s.Status != StepSuccess || s.Result == nil {
			continue
		}
		if i := strings.Index(s.Result.URL, "/reports/"); i >= 0 {
			id := s.Result.URL[i+len("/reports/"):]
			if k := strings.IndexAny(id, "/?"); k >= 0 {
				id = id[:k]
			}
			return id
		}
	}
	return ""
}

// ConnectionID returns the id of the connection the job works on, taken from
// its source link, or "" when the job is not about a connection (yet).
func (j *Job) ConnectionID() string { return segmentAfter(j.Links["source"], "/connections/") }

// UserID returns the id of the user whose connection the job works on,
// taken from its source link (…/users/{userId}/connections/…), or "" when
// the link names no user.
func (j *Job) UserID() string { return segmentAfter(j.Links["source"], "/users/") }

// segmentAfter is the path segment of link that follows marker, "" when
// the link has no such marker.
func segmentAfter(link, marker string) string {
	i := strings.Index(link, marker)
	if i < 0 {
		return ""
	}
	rest := link[i+len(marker):]
	if k := strings.IndexAny(rest, "/?"); k >= 0 {
		rest = rest[:k]
	}
	return rest
}
