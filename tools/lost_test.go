package tools_test

import (
	"strings"
	"testing"

	"github.com/basiq-mcp/basiq-mcp/basiq/basiqtest"
	"github.com/basiq-mcp/basiq-mcp/basiq/views"
	"github.com/basiq-mcp/basiq-mcp/tools"
	"github.com/stretchr/testify/assert"
)

// TestLostAnswerToACreate: Basiq creates the user but the answer is lost
// (a 502 after the send). The tool says the outcome is unknown, the audit
// holds the attempt and the unknown outcome, and a retry with the same key
// creates nothing: it finds the user the first attempt made.
func TestLostAnswerToACreate(t *testing.T) {
	h := newHarness(t, tools.Options{})
	h.sim.InjectFault(basiqtest.Fault{Kind: basiqtest.FaultLoseAnswer, Method: "POST", Path: "/users", Times: 1})
	args := obj{"email": "lost@example.com", "first_name": "Lost", "idempotency_key": "lost-answer-0001"}
	msg := h.fail(t, "create_user", args)
	assert.Contains(t, msg, "answer was lost")
	assert.Equal(t, 1, h.sim.Calls("POST /users"))
	assert.Contains(t, h.audit.String(), `"decision":"attempt"`)
	assert.Contains(t, h.audit.String(), `"decision":"unknown"`)

	var user views.User
	h.okValid(t, "create_user", args, &user)
	assert.Equal(t, 1, h.sim.Calls("POST /users"), "the retry sent nothing")
	assert.Equal(t, "lost@example.com", user.Email, "it found the user the first attempt made")

	before := h.sim.Calls("POST /users")
	msg = h.fail(t, "create_user", obj{"email": "other@example.com", "idempotency_key": "lost-answer-0001"})
	assert.Contains(t, msg, "different arguments")
	assert.Equal(t, before, h.sim.Calls("POST /users"))
}

// TestLostAnswerToADelete: the delete went through but its answer was
// lost. It is not sent again; the next look finds the user gone and says
// the delete was done, not "does not exist".
func TestLostAnswerToADelete(t *testing.T) {
	h := newHarness(t, tools.Options{AllowDestructive: true})
	user := h.sim.Connections()[3].UserID
	var preview struct {
		Token string `json:"confirmation_token"`
	}
	h.okValid(t, "delete_user", obj{"user_id": user}, &preview)
	h.sim.InjectFault(basiqtest.Fault{Kind: basiqtest.FaultLoseAnswer, Method: "DELETE", Path: "/users/", Times: 1})
	msg := h.fail(t, "delete_user", obj{"user_id": user, "confirmation_token": preview.Token})
	assert.Contains(t, msg, "may have been done")
	assert.Equal(t, 1, h.sim.Calls("DELETE /users/{userId}"), "a write is never repeated automatically")

	var again struct{ Status, Message string }
	h.okValid(t, "delete_user", obj{"user_id": user}, &again)
	assert.Equal(t, "done", again.Status)
	assert.Contains(t, again.Message, "already done")
	assert.Equal(t, 1, h.sim.Calls("DELETE /users/{userId}"))
	lines := strings.Count(h.audit.String(), `"decision":"unknown"`)
	assert.Equal(t, 1, lines, "the lost answer is audited as unknown, not as failed")
}
