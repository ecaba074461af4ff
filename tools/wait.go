package tools

import (
	"context"
	"fmt"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

type waitParams struct {
	jobParams
	TimeoutSeconds int `json:"timeout_seconds,omitempty" jsonschema:"minimum=1,maximum=300" jsonschema_description:"How long to wait, 1 to 300 seconds (default 60). A refresh usually takes 10 to 30 seconds."`
}

type waitResult struct {
	Job      JobView `json:"job"`
	TimedOut bool    `json:"timed_out" jsonschema_description:"true when the job was still running at the timeout; call wait_for_job again"`
	Waited   int     `json:"waited_seconds"`
}

type progressKey struct{}

// withProgress keeps the request's progress token, if the client sent one.
func withProgress(ctx context.Context, req mcp.CallToolRequest) context.Context {
	if req.Params.Meta != nil && req.Params.Meta.ProgressToken != nil {
		return context.WithValue(ctx, progressKey{}, req.Params.Meta.ProgressToken)
	}
	return ctx
}

// notifyProgress sends notifications/progress when the client asked for it.
func notifyProgress(ctx context.Context, progress, total int, message string) {
	token := ctx.Value(progressKey{})
	srv := server.ServerFromContext(ctx)
	if token == nil || srv == nil {
		return
	}
	_ = srv.SendNotificationToClient(ctx, "notifications/progress", map[string]any{
		"progressToken": token, "progress": progress, "total": total, "message": message})
}

// waitForJob polls the job until it finishes, needs the customer, or the
// timeout passes; it reports each finished step as progress and stops at
// once when the call is cancelled.
func waitForJob(ctx context.Context, d *Deps, p waitParams) (waitResult, error) {
	timeout := time.Duration(p.TimeoutSeconds) * time.Second
	if timeout == 0 {
		timeout = time.Minute
	}
	interval := d.PollInterval
	if interval <= 0 {
		interval = time.Second
	}
	began := time.Now()
	deadline := began.Add(timeout)
	reported := -1
	for {
		j, err := d.Client.GetJob(ctx, p.JobID)
		if err != nil {
			return waitResult{}, err
		}
		v := jobView(j)
		if done := finishedSteps(v); done != reported {
			reported = done
			notifyProgress(ctx, done, len(v.Steps), progressMessage(v))
		}
		waited := int(time.Since(began).Seconds())
		if v.Status != "running" {
			return waitResult{Job: v, Waited: waited}, nil
		}
		if time.Now().Add(interval).After(deadline) {
			return waitResult{Job: v, TimedOut: true, Waited: waited}, nil
		}
		select {
		case <-ctx.Done():
			return waitResult{}, ctx.Err()
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
