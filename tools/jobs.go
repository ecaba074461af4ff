package tools

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/basiq/text"
	"github.com/basiq-mcp/basiq-mcp/basiq/views"
	"github.com/basiq-mcp/basiq-mcp/tools/guard"
)

// JobView is a job step by step, with a diagnosis when it needs attention.
type JobView struct {
	ID           string     `json:"id"`
	Type         string     `json:"type" jsonschema:"enum=connection,enum=report"`
	Status       string     `json:"status" jsonschema:"enum=running,enum=waiting-for-user,enum=succeeded,enum=failed,enum=unknown"`
	ConnectionID string     `json:"connection_id,omitempty"`
	ReportID     string     `json:"report_id,omitempty"`
	Created      string     `json:"created,omitempty"`
	Updated      string     `json:"updated,omitempty"`
	Steps        []StepView `json:"steps"`
	Diagnosis    *Diagnosis `json:"diagnosis,omitempty"`
	Note         string     `json:"note,omitempty" jsonschema_description:"why the status is unknown"`
}

// StepView is one job step.
type StepView struct {
	Name   string `json:"name"`
	Status string `json:"status" jsonschema:"enum=pending,enum=in-progress,enum=success,enum=failed,enum=unknown"`
	// BasiqStatus is the status Basiq sent when it is none it documents.
	BasiqStatus string `json:"basiq_status,omitempty"`
	Code        string `json:"error_code,omitempty"`
	Error       string `json:"error,omitempty"`
}

func jobView(j *basiq.Job) JobView {
	v := JobView{ID: j.ID, Type: "connection", Status: basiq.JobState(j), ConnectionID: j.ConnectionID(), ReportID: j.ReportID(),
		Created: views.Stamp(j.Created), Updated: views.Stamp(j.Updated), Steps: []StepView{}}
	if j.JobType == "report" || v.ReportID != "" {
		v.Type, v.ConnectionID = "report", ""
	}
	for _, s := range j.Steps {
		sv := StepView{Name: s.Title, Status: s.Status}
		if !basiq.KnownStepStatus(s.Status) {
			sv.Status, sv.BasiqStatus = basiq.JobUnknown, text.Clean(s.Status, 40)
		}
		if s.Status == basiq.StepFailed && s.Result != nil {
			sv.Code, sv.Error = s.Result.Code, text.Clean(s.Result.Message(), 200)
		}
		v.Steps = append(v.Steps, sv)
	}
	switch v.Status {
	case basiq.JobUnknown:
		v.Note = unknownJobNote(j)
	case basiq.JobFailed:
		v.Diagnosis = diagnose(j.FailedStep())
	case basiq.JobWaitingForUser:
		d := mfaDiagnosis
		v.Diagnosis = &d
	}
	return v
}

type listUserJobsParams struct {
	userIDParam
	ConnectionID string `json:"connection_id,omitempty" jsonschema:"pattern=id" jsonschema_description:"Only the jobs of this connection."`
}

type listUserJobsResult struct {
	Jobs []JobView `json:"jobs" jsonschema_description:"jobs of the last 7 days, newest first"`
}

// listUserJobsTool is the list_user_jobs tool.
var listUserJobsTool = spec[listUserJobsParams, listUserJobsResult]{name: "list_user_jobs", title: "List user jobs", toolset: SetJobs, hints: readHints, run: listUserJobs,
	description: "A user's jobs of the last 7 days, newest first, optionally for one connection."}

func listUserJobs(ctx context.Context, d *call, p listUserJobsParams) (listUserJobsResult, error) {
	read := time.Now()
	l, err := d.Client.ListUserJobs(ctx, p.UserID, p.ConnectionID)
	if err != nil {
		return listUserJobsResult{}, err
	}
	if p.ConnectionID == "" { // every connection's jobs
		d.updateIndex(ctx, p.UserID, read, func(t *guard.Triage) { withJobs(t, l.Data) })
	}
	noteSkipped(d, "job", l)
	res := listUserJobsResult{Jobs: []JobView{}}
	for i := range l.Data {
		res.Jobs = append(res.Jobs, jobView(&l.Data[i]))
	}
	return res, nil
}

// unknownJobNote says why a job's status is unknown, naming what Basiq sent.
func unknownJobNote(j *basiq.Job) string {
	if len(j.Steps) == 0 {
		return "Basiq sent this job with no steps, so where it stands cannot be told; read it again in a few seconds, and do not start another job for the connection meanwhile."
	}
	var names []string
	for _, s := range j.UnknownStepStatuses() {
		names = append(names, strconv.Quote(text.Clean(s, 40)))
	}
	return "Basiq reported a step status this server does not know (" + strings.Join(names, ", ") + "), so it is not taken for running or finished; read the job again in a few seconds, and do not start another job for the connection meanwhile."
}
