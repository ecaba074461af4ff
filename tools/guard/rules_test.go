package guard

import (
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/stretchr/testify/assert"
)

func job(id string, created, updated time.Time, status string) basiq.Job {
	return basiq.Job{ID: id, Created: basiq.Time{Time: created}, Updated: basiq.Time{Time: updated},
		Steps: []basiq.JobStep{{Title: "verify-credentials", Status: status}}}
}

// TestJobBasiqKeepsRetryingDoesNotBlockForAWeek: Basiq retries a
// service-unavailable job every 2 hours for up to 7 days; only a job updated
// within one retry interval counts as running.
func TestJobBasiqKeepsRetryingDoesNotBlockForAWeek(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	stalled := job("old", now.Add(-3*24*time.Hour), now.Add(-3*time.Hour), basiq.StepInProgress)
	ev := readJobs([]basiq.Job{stalled}, now)
	assert.Nil(t, ev.running, "a job Basiq left 3 hours ago does not block")
	assert.Equal(t, "old", ev.newest.ID)

	fresh := job("new", now.Add(-10*time.Minute), now.Add(-time.Minute), basiq.StepInProgress)
	ev = readJobs([]basiq.Job{stalled, fresh}, now)
	if assert.NotNil(t, ev.running) {
		assert.Equal(t, "new", ev.running.ID)
	}
}

// TestFailedJobCountsAsActivity: a refresh that failed (at MFA, say) leaves
// Basiq's lastUsed where it was; the job itself still counts for the cooldown.
func TestFailedJobCountsAsActivity(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	conn := &basiq.Connection{Status: "active", LastUsed: basiq.Time{Time: now.Add(-5 * 24 * time.Hour)}}
	failed := job("f", now.Add(-10*time.Minute), now.Add(-9*time.Minute), basiq.StepFailed)
	assert.Equal(t, now.Add(-10*time.Minute), lastActivity(conn, readJobs([]basiq.Job{failed}, now)))
}
