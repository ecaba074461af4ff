package basiqtest

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestControlsChangeStateAndRecordEvents: each test control changes its
// object as Basiq's life would, records the event Basiq would, refuses bad
// input clearly, and needs a server token.
func TestControlsChangeStateAndRecordEvents(t *testing.T) {
	srv := NewServer()
	defer srv.Close()
	auth := token(t, srv, url.Values{"scope": {"SERVER_ACCESS"}})
	post := func(path, body string) (int, map[string]any) {
		status, out, _ := raw(t, srv, "POST", path, auth, strings.NewReader(body), "Content-Type", "application/json")
		return status, out
	}
	var c SeededConnection
	for _, sc := range srv.Connections() {
		if sc.Status == "active" {
			c = sc
			break
		}
	}
	require.NotEmpty(t, c.ConnectionID)
	events := func(entity, typ string) int {
		out := mustGet(t, srv, "/events?filter="+url.QueryEscape("user.id.eq('"+c.UserID+"'),event.entity.eq('"+entity+"'),event.type.eq('"+typ+"')"), auth)
		data, _ := out["data"].([]any)
		return len(data)
	}

	updated := events("connection", "updated")
	status, out := post("/_sim/connections/"+c.ConnectionID+"/invalidate", `{"code":"account-not-accessible-requires-user-action"}`)
	require.Equal(t, 200, status, out)
	assert.Equal(t, "invalid", out["status"])
	assert.Equal(t, updated+1, events("connection", "updated"), "the events API records the change")
	status, out = post("/_sim/connections/"+c.ConnectionID+"/activate", ``)
	require.Equal(t, 200, status, out)
	assert.Equal(t, "active", out["status"])
	status, out = post("/_sim/connections/"+c.ConnectionID+"/invalidate", `{"code":"no-such-code"}`)
	assert.Equal(t, 400, status)
	assert.Contains(t, firstError(t, out)["detail"], "code must be one of")

	consents := mustGet(t, srv, "/users/"+c.UserID+"/consents", auth)["data"].([]any)
	require.NotEmpty(t, consents)
	consentID := consents[0].(map[string]any)["id"].(string)
	status, out = post("/_sim/consents/"+consentID+"/expire", ``)
	require.Equal(t, 200, status, out)
	assert.Equal(t, "expired", out["status"])
	assert.Equal(t, 1, events("consent", "expired"))
	status, out = post("/_sim/consents/"+consentID+"/revoke", ``)
	require.Equal(t, 200, status, out)
	assert.Equal(t, "revoked", out["status"])
	assert.Equal(t, 1, events("consent", "revoked"))
	conn := mustGet(t, srv, "/users/"+c.UserID+"/connections/"+c.ConnectionID, auth)
	assert.Equal(t, "invalid", conn["status"], "a revoked consent invalidates the connections it covered")

	status, out = post("/_sim/connectors/"+c.InstitutionID+"/status", `{"status":"major-outage"}`)
	require.Equal(t, 200, status, out)
	listed := mustGet(t, srv, "/connectors?filter="+url.QueryEscape("connector.id.eq('"+c.InstitutionID+"')"), auth)["data"].([]any)
	for _, l := range listed {
		assert.Equal(t, "major-outage", l.(map[string]any)["status"])
	}
	assert.NotEqual(t, "major-outage", findInstitution(c.InstitutionID).Status, "another simulator's catalogue is untouched")
	status, _ = post("/_sim/connectors/"+c.InstitutionID+"/status", `{"status":"on-fire"}`)
	assert.Equal(t, 400, status)
	status, _ = post("/_sim/connections/nope/activate", ``)
	assert.Equal(t, 404, status)
	status, _, _ = raw(t, srv, "POST", "/_sim/connections/"+c.ConnectionID+"/activate", "", nil)
	assert.Equal(t, 401, status, "a control needs a server token")
}

// TestWaitForCodeControl: after the control, the connection's next refresh
// job waits for the customer's code (an open MFA challenge).
func TestWaitForCodeControl(t *testing.T) {
	srv := NewServer(WithTimeScale(0.01))
	defer srv.Close()
	auth := token(t, srv, url.Values{"scope": {"SERVER_ACCESS"}})
	var c SeededConnection
	for _, sc := range srv.Connections() {
		if sc.Status == "active" && sc.FailCode == "" && sc.InstitutionID == "AU00000" {
			c = sc
			break
		}
	}
	require.NotEmpty(t, c.ConnectionID)
	jobs := mustGet(t, srv, "/users/"+c.UserID+"/jobs", auth)["data"].([]any)
	require.NotEmpty(t, jobs)
	jobID := jobs[0].(map[string]any)["id"].(string)
	status, out, _ := raw(t, srv, "POST", "/_sim/jobs/"+jobID+"/wait-for-code", auth, nil)
	require.Equal(t, 200, status, out)
	status, job, _ := raw(t, srv, "POST", "/users/"+c.UserID+"/connections/"+c.ConnectionID+"/refresh", auth, nil)
	require.Equal(t, 202, status, job)
	require.Eventually(t, func() bool {
		j := mustGet(t, srv, "/jobs/"+job["id"].(string), auth)
		for _, st := range j["steps"].([]any) {
			step := st.(map[string]any)
			if r, ok := step["result"].(map[string]any); ok && step["status"] == "in-progress" && r["type"] == "mfa" {
				return true
			}
		}
		return false
	}, 5*time.Second, 10*time.Millisecond, "the refresh waits for the customer's code")
	status, _, _ = raw(t, srv, "POST", "/_sim/jobs/nope/wait-for-code", auth, nil)
	assert.Equal(t, 404, status)
}
