package tools

import (
	"context"
	"strings"

	"github.com/basiq-mcp/basiq-mcp/basiq"
)

// JobView is a job step by step, with a diagnosis when it needs attention.
type JobView struct {
	ID           string     `json:"id"`
	Type         string     `json:"type" jsonschema:"enum=connection,enum=report"`
	Status       string     `json:"status" jsonschema:"enum=running,enum=waiting-for-user,enum=succeeded,enum=failed"`
	ConnectionID string     `json:"connection_id,omitempty"`
	ReportID     string     `json:"report_id,omitempty"`
	Created      string     `json:"created,omitempty"`
	Updated      string     `json:"updated,omitempty"`
	Steps        []StepView `json:"steps"`
	Diagnosis    *Diagnosis `json:"diagnosis,omitempty"`
}

// StepView is one job step.
type StepView struct {
	Name   string `json:"name"`
	Status string `json:"status" jsonschema:"enum=pending,enum=in-progress,enum=success,enum=failed"`
	Code   string `json:"error_code,omitempty"`
	Error  string `json:"error,omitempty"`
}

// Diagnosis says in plain words what a failure means and what to do.
type Diagnosis struct {
	Code       string `json:"code"`
	Meaning    string `json:"meaning"`
	NextAction string `json:"next_action"`
	Retry      string `json:"retry" jsonschema:"enum=no,enum=later,enum=after-user-action"`
}

// diagnoses covers the failure codes Basiq documents for job steps.
var diagnoses = map[string]Diagnosis{
	"invalid-credentials": {Meaning: "The bank rejected the login (wrong or changed password, locked account, or MFA the bank does not support).",
		NextAction: "Do not refresh again. Ask the customer to re-consent: create_auth_link and send them the link.", Retry: "after-user-action"},
	"account-not-accessible-requires-user-action": {Meaning: "The bank needs the customer to act in their online banking (accept terms, confirm details).",
		NextAction: "Ask the customer to log in to their online banking, complete what the bank asks, then re-consent with a new create_auth_link.", Retry: "after-user-action"},
	"user-action-required": {Meaning: "The customer must act before data can be retrieved, for instance after revoking consent.",
		NextAction: "Ask the customer to consent again: create_auth_link and send them the link.", Retry: "after-user-action"},
	"authorization-failed": {Meaning: "The Open Banking authorisation was refused or expired.",
		NextAction: "Ask the customer to re-authorise through a new consent link (create_auth_link).", Retry: "after-user-action"},
	"service-unavailable": {Meaning: "The bank's systems were unavailable.",
		NextAction: "Check check_connector_status: during a major outage wait 1 to 3 hours; otherwise retry once after about 10 minutes and, if it fails again, report the connection id to Basiq support.", Retry: "later"},
	"system-unavailable": {Meaning: "The bank or Basiq was unavailable.", NextAction: "Retry once later (about 10 minutes); report to Basiq support with the job id if it persists.", Retry: "later"},
	"maintenance":        {Meaning: "The bank is in maintenance.", NextAction: "Retry in a few hours; check check_connector_status first.", Retry: "later"},
	"maintenance-error":  {Meaning: "The bank is in maintenance.", NextAction: "Retry in a few hours; check check_connector_status first.", Retry: "later"},
	"connector-error":    {Meaning: "Basiq's connector to this bank failed.", NextAction: "Retry once later; if it fails again, report the job id to Basiq support.", Retry: "later"},
	"unknown-error":      {Meaning: "An unexpected error at the bank or Basiq.", NextAction: "Retry once later; if it fails again, report the job id to Basiq support.", Retry: "later"},
	"job-timed-out": {Meaning: "The job took too long, usually because an MFA code was not entered in time.",
		NextAction: "Start again only when the customer is ready to answer the bank's challenge.", Retry: "after-user-action"},
	"institution-not-available": {Meaning: "The bank is not available through Basiq right now.", NextAction: "Check check_connector_status and try again later.", Retry: "later"},
	"institution-disabled":      {Meaning: "Basiq has disabled this bank.", NextAction: "Tell the customer the bank cannot be connected at the moment; do not retry.", Retry: "no"},
	"institution-not-found":     {Meaning: "Basiq does not know this bank.", NextAction: "Check the institution id with list_connectors.", Retry: "no"},
	"invalid-connection":        {Meaning: "The connection is no longer valid.", NextAction: "Ask the customer to re-consent with a new create_auth_link.", Retry: "after-user-action"},
}

var mfaDiagnosis = Diagnosis{Code: "mfa-required", Meaning: "The bank asked the customer for a one-time code or security answer.",
	NextAction: "Only the customer can answer, in the bank's or Basiq's screen; tell them to do so now. The job fails if the challenge expires.", Retry: "after-user-action"}

func jobView(j *basiq.Job) JobView {
	v := JobView{ID: j.ID, Type: "connection", Status: "running", ConnectionID: j.ConnectionID(), Created: stamp(j.Created), Updated: stamp(j.Updated), Steps: []StepView{}}
	if j.JobType == "report" {
		v.Type, v.ConnectionID = "report", ""
	}
	for _, s := range j.Steps {
		sv := StepView{Name: s.Title, Status: s.Status}
		if s.Status == basiq.StepFailed && s.Result != nil {
			sv.Code, sv.Error = s.Result.Code, cleanText(s.Result.Message(), 200)
		}
		if s.Status == basiq.StepSuccess && s.Result != nil && strings.HasPrefix(s.Result.URL, "/reports/") {
			v.ReportID = strings.TrimPrefix(s.Result.URL, "/reports/")
		}
		v.Steps = append(v.Steps, sv)
	}
	switch {
	case j.FailedStep() != nil || j.Status == basiq.StepFailed:
		v.Status = "failed"
		v.Diagnosis = diagnose(j.FailedStep())
	case j.MFAChallenge() != nil:
		v.Status = "waiting-for-user"
		d := mfaDiagnosis
		v.Diagnosis = &d
	case j.Succeeded():
		v.Status = "succeeded"
	}
	return v
}

func diagnose(step *basiq.JobStep) *Diagnosis {
	code := "unknown-error"
	if step != nil && step.Result != nil && step.Result.Code != "" {
		code = step.Result.Code
	}
	d, ok := diagnoses[code]
	if !ok {
		d = diagnoses["unknown-error"]
	}
	d.Code = code
	return &d
}

type listUserJobsParams struct {
	userIDParam
	ConnectionID string `json:"connection_id,omitempty" jsonschema:"pattern=^[\\w.-]+$" jsonschema_description:"Only the jobs of this connection."`
}

type listUserJobsResult struct {
	Jobs []JobView `json:"jobs" jsonschema_description:"jobs of the last 7 days, newest first"`
}

func listUserJobs(ctx context.Context, d *Deps, p listUserJobsParams) (listUserJobsResult, error) {
	l, err := d.Client.ListUserJobs(ctx, p.UserID, p.ConnectionID)
	if err != nil {
		return listUserJobsResult{}, err
	}
	res := listUserJobsResult{Jobs: []JobView{}}
	for i := range l.Data {
		res.Jobs = append(res.Jobs, jobView(&l.Data[i]))
	}
	return res, nil
}
