package tools_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq/basiqtest"
	"github.com/basiq-mcp/basiq-mcp/tools"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWaitForJobReportsProgressPerStep(t *testing.T) {
	h := newHarness(t, tools.Options{}, basiqtest.WithTimeScale(0.02)) // ~200 ms per refresh
	var mu sync.Mutex
	var progress []float64
	h.client.OnNotification(func(n mcp.JSONRPCNotification) {
		if n.Method != "notifications/progress" {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		assert.Equal(t, "tok-7", n.Params.AdditionalFields["progressToken"])
		progress = append(progress, number(n.Params.AdditionalFields["progress"]))
	})
	c := h.sim.Connections()[0]
	var refresh struct {
		Decision struct {
			JobID string `json:"job_id"`
		}
	}
	h.ok(t, "refresh_connection", obj{"user_id": c.UserID, "connection_id": c.ConnectionID}, &refresh)

	req := mcp.CallToolRequest{}
	req.Params.Name = "get_job"
	req.Params.Arguments = obj{"job_id": refresh.Decision.JobID, "wait_seconds": 60}
	req.Params.Meta = &mcp.Meta{ProgressToken: "tok-7"}
	res, err := h.client.CallTool(context.Background(), req)
	require.NoError(t, err)
	require.False(t, res.IsError, text(res))
	// Notifications travel apart from the result, so the last may land after it.
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(progress) > 0 && progress[len(progress)-1] == 3
	}, 2*time.Second, 5*time.Millisecond, "the last notification says all three steps are done")
	mu.Lock()
	defer mu.Unlock()
	for i := 1; i < len(progress); i++ {
		assert.Greater(t, progress[i], progress[i-1], "one notification per finished step, increasing")
	}
}

func TestWaitForJobWithoutProgressTokenSendsNone(t *testing.T) {
	h := newHarness(t, tools.Options{})
	var count int
	var mu sync.Mutex
	h.client.OnNotification(func(n mcp.JSONRPCNotification) {
		mu.Lock()
		defer mu.Unlock()
		if n.Method == "notifications/progress" {
			count++
		}
	})
	c := h.sim.Connections()[0]
	var refresh struct {
		Decision struct {
			JobID string `json:"job_id"`
		}
	}
	h.ok(t, "refresh_connection", obj{"user_id": c.UserID, "connection_id": c.ConnectionID}, &refresh)
	var waited waitedJob
	h.ok(t, "get_job", obj{"job_id": refresh.Decision.JobID, "wait_seconds": 60}, &waited)
	assert.Equal(t, "succeeded", waited.Status)
	mu.Lock()
	defer mu.Unlock()
	assert.Zero(t, count)
}

func TestWaitForJobHonoursCancellationAndTimeout(t *testing.T) {
	h := newHarness(t, tools.Options{}, basiqtest.WithTimeScale(1)) // a real refresh: ~10 s
	c := h.sim.Connections()[0]
	var refresh struct {
		Decision struct {
			JobID string `json:"job_id"`
		}
	}
	h.ok(t, "refresh_connection", obj{"user_id": c.UserID, "connection_id": c.ConnectionID}, &refresh)

	var waited waitedJob
	began := time.Now()
	h.ok(t, "get_job", obj{"job_id": refresh.Decision.JobID, "wait_seconds": 1}, &waited)
	assert.True(t, waited.TimedOut)
	assert.Equal(t, "running", waited.Status)
	assert.Less(t, time.Since(began), 3*time.Second)

	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	req := mcp.CallToolRequest{}
	req.Params.Name = "get_job"
	req.Params.Arguments = obj{"job_id": refresh.Decision.JobID, "wait_seconds": 60}
	began = time.Now()
	_, _ = h.client.CallTool(ctx, req)
	assert.Less(t, time.Since(began), 2*time.Second, "a cancelled call stops waiting at once")
}

// number reads a JSON number whether it crossed a wire (float64) or not (int).
func number(v any) float64 {
	switch n := v.(type) {
	case int:
		return float64(n)
	case float64:
		return n
	}
	return -1
}

// waitedJob is what get_job returns: the job, and how a wait for it ended.
type waitedJob struct {
	tools.JobView
	TimedOut bool `json:"timed_out"`
	Waited   int  `json:"waited_seconds"`
}
