package tools_test

import (
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq/basiqtest"
	"github.com/basiq-mcp/basiq-mcp/basiq/views"
	"github.com/basiq-mcp/basiq-mcp/testdata/mcptest"
	"github.com/basiq-mcp/basiq-mcp/tools"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAnswerMFAThroughTheTool: the bank challenges during a job; the
// diagnosis names answer_mfa, the code goes to Basiq with a CLIENT token, the
// job finishes, and the code appears in no result, log line or audit record.
func TestAnswerMFAThroughTheTool(t *testing.T) {
	h := newHarness(t, tools.Options{})
	var logs mcptest.LockedBuffer
	h.deps.Log = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var user views.User
	h.okValid(t, "create_user", obj{"email": "otp@example.com"}, &user)
	res, err := h.sim.CompleteConsent(user.ID, basiqtest.ConsentRequest{InstitutionID: "AU00002", LoginID: "jared", Password: "django"})
	require.NoError(t, err)
	job := res.JobIDs[0]

	var waited waitedJob
	require.Eventually(t, func() bool {
		h.ok(t, "get_job", obj{"job_id": job, "wait_seconds": 5}, &waited)
		return waited.Status == "waiting-for-user"
	}, 5*time.Second, 10*time.Millisecond)
	assert.Contains(t, waited.Diagnosis.NextAction, "answer_mfa")

	const code = "1234"
	var answer struct{ Status, Message string }
	call := h.call(t, "answer_mfa", obj{"user_id": user.ID, "job_id": job, "code": code})
	require.False(t, call.IsError, text(call))
	require.NoError(t, json.Unmarshal([]byte(text(call)), &answer))
	assert.Equal(t, "sent", answer.Status)
	h.okValid(t, "get_job", obj{"job_id": job, "wait_seconds": 30}, &waited)
	assert.Equal(t, "succeeded", waited.Status)

	// The job no longer asks: nothing is sent, and the result says why.
	before := h.sim.Calls("POST /jobs/{jobId}/mfa")
	h.okValid(t, "answer_mfa", obj{"user_id": user.ID, "job_id": job, "code": code}, &answer)
	assert.Equal(t, "not-sent", answer.Status)
	assert.Equal(t, before, h.sim.Calls("POST /jobs/{jobId}/mfa"))

	assert.Contains(t, h.fail(t, "answer_mfa", obj{"user_id": user.ID, "job_id": job}), "\"code\"")
	for what, s := range map[string]string{"log": logs.String(), "audit": h.audit.String(), "result": text(call)} {
		assert.NotContains(t, s, code, "the one-time code reached the %s", what)
	}
	assert.Contains(t, h.audit.String(), `"tool":"answer_mfa"`)
}

// TestWrongMFACodeIsDiagnosedAsRefusedCode: the tool says beforehand what a
// wrong code does, and the job a wrong code failed is diagnosed as a code
// the bank did not accept, not as a password problem.
func TestWrongMFACodeIsDiagnosedAsRefusedCode(t *testing.T) {
	h := newHarness(t, tools.Options{})
	for _, tl := range h.listTools(t) {
		if tl.Name == "answer_mfa" {
			assert.Contains(t, tl.Description, "A wrong code fails the job", "said before the call")
		}
	}
	var user views.User
	h.okValid(t, "create_user", obj{"email": "wrong-otp@example.com"}, &user)
	res, err := h.sim.CompleteConsent(user.ID, basiqtest.ConsentRequest{InstitutionID: "AU00002", LoginID: "jared", Password: "django"})
	require.NoError(t, err)
	job := res.JobIDs[0]
	var waited waitedJob
	require.Eventually(t, func() bool {
		h.ok(t, "get_job", obj{"job_id": job, "wait_seconds": 5}, &waited)
		return waited.Status == "waiting-for-user"
	}, 5*time.Second, 10*time.Millisecond)
	assert.Contains(t, waited.Diagnosis.NextAction, "A wrong code fails the job")
	var answer struct{ Status string }
	h.okValid(t, "answer_mfa", obj{"user_id": user.ID, "job_id": job, "code": "000000-wrong"}, &answer)
	require.Equal(t, "sent", answer.Status)
	h.okValid(t, "get_job", obj{"job_id": job, "wait_seconds": 30}, &waited)
	require.Equal(t, "failed", waited.Status)
	assert.Contains(t, waited.Diagnosis.Meaning, "did not accept the one-time code")
	assert.NotContains(t, waited.Diagnosis.Meaning, "password")
	assert.Contains(t, waited.Diagnosis.NextAction, "Do not send the same code again")
}
