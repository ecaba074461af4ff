package tools

import (
	"context"
	"fmt"
	"time"

	"github.com/mark3labs/mcp-go/server"
)

// jobParams name a job and how long to wait for it: one tool both reads a
// job and follows it, so a model never has to choose between two.
type jobParams struct {
	JobID       string `json:"job_id" jsonschema:"required,pattern=id"`
	WaitSeconds int    `json:"wait_seconds,omitempty" jsonschema:"minimum=0,maximum=300" jsonschema_description:"Wait for it to finish or need the customer (a refresh takes 10-30 s)."`
}

// jobResult is the job, and how the wait for it ended.
type jobResult struct {
	JobView
	TimedOut bool `json:"timed_out,omitempty"`
	Waited   int  `json:"waited_seconds,omitempty"`
}

// progress sends notifications/progress when the client asked for it (its
// request carried a progress token).
func (d *call) progress(ctx context.Context, progress, total int, message string) {
	srv := server.ServerFromContext(ctx)
	if d.req == nil || d.req.Params.Meta == nil || d.req.Params.Meta.ProgressToken == nil || srv == nil {
		return
	}
	token := d.req.Params.Meta.ProgressToken
	_ = srv.SendNotificationToClient(ctx, "notifications/progress", map[string]any{
		"progressToken": token, "progress": progress, "total": total, "message": message})
}

// getJobTool is the get_job tool.
var getJobTool = spec[jobParams, jobResult]{name: "get_job", title: "Get job", toolset: SetJobs, hints: readHints, run: getJob,
	description: "A connect, refresh or report job step by step; wait_seconds waits for it. A failed or waiting job carries a diagnosis and next action."}

// getJob reads a job; with wait_seconds it polls until the job finishes,
// needs the customer, or the wait ends, reporting each finished step as
// progress and stopping at once when the call is cancelled.
func getJob(ctx context.Context, d *call, p jobParams) (jobResult, error) {
	interval := d.PollInterval
	if interval <= 0 {
		interval = time.Second
	}
	began := time.Now()
	deadline := began.Add(time.Duration(p.WaitSeconds) * time.Second)
	reported := -1
	for {
		j, err := d.Client.GetJob(ctx, p.JobID)
		if err != nil {
			return jobResult{}, err
		}
		v := jobView(j)
		if p.WaitSeconds == 0 {
			return jobResult{JobView: v}, nil
		}
		if done := finishedSteps(v); done != reported {
			reported = done
			d.progress(ctx, done, len(v.Steps), progressMessage(v))
		}
		waited := int(time.Since(began).Seconds())
		if v.Status != "running" {
			return jobResult{JobView: v, Waited: waited}, nil
		}
		if time.Now().Add(interval).After(deadline) {
			return jobResult{JobView: v, TimedOut: true, Waited: waited}, nil
		}
		select {
		case <-ctx.Done():
			return jobResult{}, ctx.Err()
		case <-time.After(interval):
		}
	}
}

func finishedSteps(v JobView) int {
	n := 0
	for _, s := range v.Steps {
		if s.Status == "success" || s.Status == "failed" {
			n++
		}
	}
	return n
}

func progressMessage(v JobView) string {
	for _, s := range v.Steps {
		if s.Status == "in-progress" {
			return fmt.Sprintf("job %s: %s in progress", v.ID, s.Name)
		}
	}
	return fmt.Sprintf("job %s: %s", v.ID, v.Status)
}
