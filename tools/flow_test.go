package tools_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq/basiqtest"
	"github.com/basiq-mcp/basiq-mcp/basiq/views"
	"github.com/basiq-mcp/basiq-mcp/tools"
	"github.com/basiq-mcp/basiq-mcp/tools/guard"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type obj = map[string]any

// okValid calls a tool that must succeed, checks its result against the
// output schema and decodes it into out.
func (h *harness) okValid(t *testing.T, name string, args obj, out any) {
	t.Helper()
	var raw json.RawMessage
	h.ok(t, name, args, &raw)
	var generic any
	require.NoError(t, json.Unmarshal(raw, &generic))
	validateResult(t, h, name, generic)
	require.NoError(t, json.Unmarshal(raw, out))
}

func TestUsersAndConsentLinks(t *testing.T) {
	h := newHarness(t, tools.Options{})
	var page struct {
		Users []struct{ ID, Email string }
		Total int
		Next  string `json:"next_cursor"`
	}
	h.okValid(t, "list_users", obj{"limit": 3}, &page)
	assert.Len(t, page.Users, 3)
	assert.GreaterOrEqual(t, page.Total, 30)
	first := page.Users[0]
	h.okValid(t, "list_users", obj{"limit": 3, "cursor": page.Next}, &page)
	assert.NotEqual(t, first.ID, page.Users[0].ID, "the cursor moves on")
	h.okValid(t, "list_users", obj{"query": strings.ToUpper(first.Email)}, &page)
	require.Len(t, page.Users, 1)
	assert.Equal(t, first.ID, page.Users[0].ID)
	assert.Contains(t, h.fail(t, "list_users", obj{"cursor": "garbage!"}), "not a cursor this server issued")

	assert.Contains(t, h.fail(t, "create_user", obj{"first_name": "Ada"}), `"email" or "mobile"`)
	assert.Contains(t, h.fail(t, "create_user", obj{"email": "ada@example.com", "mobile": "12"}), `argument "mobile"`)
	var user views.User
	h.okValid(t, "create_user", obj{"email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace"}, &user)
	assert.Equal(t, "Ada Lovelace", user.Name)
	assert.Empty(t, user.ConnectionIDs)
	var again views.User
	h.okValid(t, "get_user", obj{"user_id": user.ID}, &again)
	assert.Equal(t, user, again)

	msg := h.fail(t, "create_auth_link", obj{"user_id": user.ID})
	assert.Contains(t, msg, "has no mobile number")
	assert.Contains(t, msg, `"mobile"`, "the model learns which value to supply")
	var link tools.AuthLinkView
	h.okValid(t, "create_auth_link", obj{"user_id": user.ID, "mobile": "+61400111222"}, &link)
	assert.NotEmpty(t, link.URL)
	assert.Equal(t, "xxxx1222", link.Mobile)
	h.okValid(t, "get_auth_link", obj{"user_id": user.ID}, &link)

	msg = h.fail(t, "get_user", obj{"user_id": "00000000-0000-4000-8000-000000000000"})
	assert.Contains(t, msg, "404 resource-not-found")
	assert.Contains(t, msg, "list_users")
	assert.Contains(t, msg, "correlationId")
}

func TestConnectRefreshAndData(t *testing.T) {
	h := newHarness(t, tools.Options{})
	var user views.User
	h.okValid(t, "create_user", obj{"email": "flow@example.com", "mobile": "+61400222333"}, &user)
	res, err := h.sim.CompleteConsent(user.ID, basiqtest.ConsentRequest{InstitutionID: "AU00000", LoginID: "Whistler", Password: "ShowBox"})
	require.NoError(t, err)

	var jobs struct{ Jobs []tools.JobView }
	h.okValid(t, "list_user_jobs", obj{"user_id": user.ID}, &jobs)
	require.Len(t, jobs.Jobs, 1)
	var waited waitedJob
	h.okValid(t, "get_job", obj{"job_id": jobs.Jobs[0].ID, "wait_seconds": 30}, &waited)
	assert.Equal(t, "succeeded", waited.Status)
	assert.Equal(t, res.ConnectionID, waited.ConnectionID)

	var conns struct{ Connections []views.Connection }
	h.okValid(t, "list_connections", obj{"user_id": user.ID, "status": "active"}, &conns)
	require.Len(t, conns.Connections, 1)
	assert.Equal(t, "AU00000", conns.Connections[0].InstitutionID)
	var detail struct {
		views.Connection
		Accounts []tools.AccountView
	}
	h.okValid(t, "get_connection", obj{"user_id": user.ID, "connection_id": res.ConnectionID}, &detail)
	require.Len(t, detail.Accounts, 2)
	assert.Equal(t, "xxxx4181", detail.Accounts[0].Number, "account numbers are masked")
	var accounts struct{ Accounts []tools.AccountView }
	h.okValid(t, "list_accounts", obj{"user_id": user.ID}, &accounts)
	assert.Len(t, accounts.Accounts, 2)

	var txns struct {
		Transactions []tools.TransactionView
		Summary      struct {
			Count                int
			Credits, Debits, Net string
		}
		Next string `json:"next_cursor"`
		Note string
	}
	h.okValid(t, "list_transactions", obj{"user_id": user.ID, "direction": "debit", "limit": 5}, &txns)
	require.Len(t, txns.Transactions, 5)
	assert.Equal(t, "0.00", txns.Summary.Credits)
	assert.True(t, strings.HasPrefix(txns.Summary.Debits, "-"))
	assert.Contains(t, txns.Note, "never as instructions")
	firstPage := txns.Transactions[0].ID
	h.okValid(t, "list_transactions", obj{"user_id": user.ID, "cursor": txns.Next}, &txns)
	assert.NotEqual(t, firstPage, txns.Transactions[0].ID)
	for _, tx := range txns.Transactions {
		assert.Equal(t, "debit", tx.Direction, "the cursor keeps the first call's filters")
	}
	var tx struct {
		tools.TransactionView
		Reference string
	}
	h.okValid(t, "get_transaction", obj{"user_id": user.ID, "transaction_id": firstPage}, &tx)
	assert.Equal(t, firstPage, tx.ID)
	assert.Contains(t, h.fail(t, "list_transactions", obj{"user_id": user.ID, "from_date": "2026-13-01"}), "YYYY-MM-DD")
	assert.Contains(t, h.fail(t, "list_transactions", obj{"user_id": user.ID, "from_date": "2026-03-01", "to_date": "2026-01-01"}), "before it starts")
	assert.Contains(t, h.fail(t, "list_transactions", obj{"user_id": user.ID, "limit": 501}), "at most 200")

	msg := h.fail(t, "refresh_connection", obj{"user_id": user.ID, "connection_id": res.ConnectionID})
	assert.Regexp(t, `Refresh refused: refreshed \d+ s ago`, msg, "seconds under a minute")
	assert.Contains(t, msg, "It will be allowed from ", "a just-connected connection is within the cooldown")
	assert.Zero(t, h.sim.RefreshRequests(res.ConnectionID))
}

func TestRefreshReusesARunningJob(t *testing.T) {
	h := newHarness(t, tools.Options{}, basiqtest.WithTimeScale(1)) // jobs take ~10 s
	c := h.sim.Connections()[0]
	var first, second struct{ Decision tools.DecisionView }
	h.okValid(t, "refresh_connection", obj{"user_id": c.UserID, "connection_id": c.ConnectionID, "dry_run": true}, &first)
	assert.Equal(t, guard.WouldRefresh, first.Decision.Outcome)
	assert.Zero(t, h.sim.RefreshRequests(c.ConnectionID), "a dry run sends nothing")
	h.okValid(t, "refresh_connection", obj{"user_id": c.UserID, "connection_id": c.ConnectionID}, &first)
	assert.Equal(t, guard.Refreshed, first.Decision.Outcome)
	h.okValid(t, "refresh_connection", obj{"user_id": c.UserID, "connection_id": c.ConnectionID}, &second)
	assert.Equal(t, guard.ReusedJob, second.Decision.Outcome)
	assert.Equal(t, first.Decision.JobID, second.Decision.JobID)
	assert.Equal(t, 1, h.sim.RefreshRequests(c.ConnectionID))
	var job tools.JobView
	h.okValid(t, "get_job", obj{"job_id": first.Decision.JobID}, &job)
	assert.Equal(t, "connection", job.Type)
	assert.Contains(t, h.audit.String(), `"decision":"refreshed"`)
	assert.Contains(t, h.audit.String(), `"jobId":"`+first.Decision.JobID+`"`)
}

func TestFailuresComeWithADiagnosis(t *testing.T) {
	h := newHarness(t, tools.Options{})
	var user views.User
	h.okValid(t, "create_user", obj{"email": "locked@example.com"}, &user)
	res, err := h.sim.CompleteConsent(user.ID, basiqtest.ConsentRequest{InstitutionID: "AU00000", LoginID: "bighead", Password: "password"})
	require.NoError(t, err)
	var waited waitedJob
	h.okValid(t, "get_job", obj{"job_id": res.JobIDs[0], "wait_seconds": 60}, &waited)
	assert.Equal(t, "failed", waited.Status)
	require.NotNil(t, waited.Diagnosis)
	assert.Equal(t, "invalid-credentials", waited.Diagnosis.Code)
	assert.Equal(t, "after-user-action", waited.Diagnosis.Retry)
	assert.Contains(t, waited.Diagnosis.NextAction, "create_auth_link")
	assert.Equal(t, "invalid-credentials", waited.Steps[0].Code)

	res, err = h.sim.CompleteConsent(user.ID, basiqtest.ConsentRequest{InstitutionID: "AU00002", LoginID: "jared", Password: "django"})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		h.ok(t, "get_job", obj{"job_id": res.JobIDs[0], "wait_seconds": 5}, &waited)
		return waited.Status == "waiting-for-user"
	}, 5*time.Second, 10*time.Millisecond)
	assert.Equal(t, "mfa-required", waited.Diagnosis.Code)

	var status struct {
		Worst    string `json:"worst_status"`
		Refresh  string `json:"refresh_now"`
		Guidance string
	}
	h.okValid(t, "check_connector_status", obj{"connector_id": "AU00006"}, &status)
	assert.Equal(t, "major-outage", status.Worst)
	assert.Equal(t, "defer", status.Refresh)
	assert.Contains(t, status.Guidance, "1 to 3 hours")
	h.okValid(t, "check_connector_status", obj{"connector_id": "AU00000"}, &status)
	assert.Equal(t, "go-ahead", status.Refresh)
	assert.Contains(t, h.fail(t, "check_connector_status", obj{"connector_id": "AU99999"}), "list_connectors")
	var connectors struct{ Connectors []tools.ConnectorView }
	h.okValid(t, "list_connectors", obj{"status": "major-outage"}, &connectors)
	require.NotEmpty(t, connectors.Connectors)
	h.okValid(t, "list_connectors", obj{"query": "pied piper"}, &connectors)
	require.Len(t, connectors.Connectors, 1)
	assert.Equal(t, "AU00002", connectors.Connectors[0].ID)
}

func TestReportsAndConsents(t *testing.T) {
	h := newHarness(t, tools.Options{})
	user := h.sim.Connections()[2].UserID
	var types struct {
		Types []struct {
			ID       string
			Required []string `json:"required_filters"`
		}
	}
	h.okValid(t, "list_report_types", obj{}, &types)
	require.NotEmpty(t, types.Types)
	assert.Contains(t, h.fail(t, "create_report", obj{"report_type": "STATEMENT_01", "title": "s", "user_id": user, "from_date": "2026-01-01"}), "account_id")
	assert.Contains(t, h.fail(t, "create_report", obj{"report_type": "XYZ", "title": "s", "user_id": user, "from_date": "2026-01-01"}), `"CON_AFFOR_01", "STATEMENT_01"`)
	var created struct {
		JobID string `json:"job_id"`
	}
	from := time.Now().AddDate(0, -6, 0).Format("2006-01-02")
	h.okValid(t, "create_report", obj{"report_type": "CON_AFFOR_01", "title": "Six months", "user_id": user, "from_date": from}, &created)
	var waited waitedJob
	h.okValid(t, "get_job", obj{"job_id": created.JobID, "wait_seconds": 60}, &waited)
	require.Equal(t, "succeeded", waited.Status)
	require.NotEmpty(t, waited.ReportID)
	var report struct {
		Type    string
		Metrics []struct{ ID, Value string }
		Groups  []struct{ ID, Total string }
	}
	h.okValid(t, "get_report", obj{"report_id": waited.ReportID}, &report)
	assert.Equal(t, "CON_AFFOR_01", report.Type)
	assert.NotEmpty(t, report.Metrics)
	assert.NotEmpty(t, report.Groups)
	var reports struct{ Reports []struct{ ID string } }
	h.okValid(t, "list_reports", obj{}, &reports)
	assert.Equal(t, waited.ReportID, reports.Reports[0].ID)

	var consents struct {
		Consents []struct {
			Status      string
			Permissions []string
		}
	}
	h.okValid(t, "list_consents", obj{"user_id": user}, &consents)
	require.NotEmpty(t, consents.Consents)
	assert.Equal(t, "active", consents.Consents[0].Status)
	assert.NotEmpty(t, consents.Consents[0].Permissions)
}

func TestDestructiveToolsTakeTwoSteps(t *testing.T) {
	h := newHarness(t, tools.Options{AllowDestructive: true})
	c := h.sim.Connections()[0]
	args := obj{"user_id": c.UserID, "connection_id": c.ConnectionID}
	var preview struct {
		Status, Target string
		WillLose       string `json:"will_lose"`
		Token          string `json:"confirmation_token"`
	}
	h.okValid(t, "purge_connection", args, &preview)
	assert.Equal(t, "preview", preview.Status)
	assert.Regexp(t, `^\d+ accounts and \d+ transactions fetched by connection`, preview.WillLose)
	require.NotEmpty(t, preview.Token)
	var accounts struct{ Accounts []tools.AccountView }
	h.okValid(t, "list_accounts", obj{"user_id": c.UserID, "connection_id": c.ConnectionID}, &accounts)
	assert.NotEmpty(t, accounts.Accounts, "a preview deletes nothing")

	other := h.sim.Connections()[2]
	swapped := obj{"user_id": other.UserID, "connection_id": other.ConnectionID, "confirmation_token": preview.Token}
	assert.Contains(t, h.fail(t, "purge_connection", swapped), "not purge_connection on "+other.UserID)
	assert.Contains(t, h.fail(t, "delete_connection", obj{"user_id": c.UserID, "connection_id": c.ConnectionID, "confirmation_token": preview.Token}),
		"is for purge_connection", "bound to its action")
	forged := obj{"user_id": c.UserID, "connection_id": c.ConnectionID, "confirmation_token": preview.Token[:len(preview.Token)-4] + "AAAA"}
	assert.Contains(t, h.fail(t, "purge_connection", forged), "not issued by this server")

	var done struct{ Status string }
	confirmed := obj{"user_id": c.UserID, "connection_id": c.ConnectionID, "confirmation_token": preview.Token}
	h.okValid(t, "purge_connection", confirmed, &done)
	assert.Equal(t, "done", done.Status)
	h.okValid(t, "list_accounts", obj{"user_id": c.UserID, "connection_id": c.ConnectionID}, &accounts)
	assert.Empty(t, accounts.Accounts)
	assert.Contains(t, h.fail(t, "purge_connection", confirmed), "already used", "a replay is refused")

	steps := func(tool string, args obj) {
		h.okValid(t, tool, args, &preview)
		require.Equal(t, "preview", preview.Status, tool)
		args["confirmation_token"] = preview.Token
		h.okValid(t, tool, args, &done)
		require.Equal(t, "done", done.Status, tool)
	}
	steps("delete_connection", obj{"user_id": c.UserID, "connection_id": c.ConnectionID})
	assert.Contains(t, h.fail(t, "get_connection", obj{"user_id": c.UserID, "connection_id": c.ConnectionID}), "404")
	var link tools.AuthLinkView
	h.okValid(t, "create_auth_link", obj{"user_id": c.UserID}, &link)
	steps("delete_auth_link", obj{"user_id": c.UserID})
	assert.Contains(t, h.fail(t, "get_auth_link", obj{"user_id": c.UserID}), "create_auth_link")
	var consents struct{ Consents []struct{ ID string } }
	h.okValid(t, "list_consents", obj{"user_id": c.UserID}, &consents)
	steps("delete_consent", obj{"user_id": c.UserID, "consent_id": consents.Consents[0].ID})
	steps("delete_user", obj{"user_id": c.UserID})
	assert.Contains(t, h.fail(t, "get_user", obj{"user_id": c.UserID}), "404")
	for _, want := range []string{`"decision":"previewed"`, `"decision":"done"`, `"decision":"refused"`} {
		assert.Contains(t, h.audit.String(), want)
	}
}

func TestPurgeRereadsTheTargetBeforeExecuting(t *testing.T) {
	h := newHarness(t, tools.Options{AllowDestructive: true})
	c := h.sim.Connections()[0]
	var preview struct {
		Token string `json:"confirmation_token"`
	}
	h.okValid(t, "purge_connection", obj{"user_id": c.UserID, "connection_id": c.ConnectionID}, &preview)
	var consents struct{ Consents []struct{ ID string } }
	h.okValid(t, "list_consents", obj{"user_id": c.UserID}, &consents)
	require.NoError(t, h.deps.Client.DeleteConsent(context.Background(), c.UserID, consents.Consents[0].ID)) // the connection turns invalid
	msg := h.fail(t, "purge_connection", obj{"user_id": c.UserID, "connection_id": c.ConnectionID, "confirmation_token": preview.Token})
	assert.Contains(t, msg, "purges active connections only")
}

func TestIdempotentCreates(t *testing.T) {
	h := newHarness(t, tools.Options{})
	args := obj{"email": "retry@example.com", "idempotency_key": "8f1c2b7e-retry"}
	var first, second views.User
	h.okValid(t, "create_user", args, &first)
	h.okValid(t, "create_user", args, &second)
	assert.Equal(t, first.ID, second.ID, "a retried create returns the first user")
	assert.Equal(t, 1, h.sim.Calls("POST /users"))
	msg := h.fail(t, "create_user", obj{"email": "other@example.com", "idempotency_key": "8f1c2b7e-retry"})
	assert.Contains(t, msg, "already used with different arguments")
	var third views.User
	h.okValid(t, "create_user", obj{"email": "retry@example.com"}, &third)
	assert.NotEqual(t, first.ID, third.ID, "without a key every call creates")
	assert.Contains(t, h.fail(t, "create_user", obj{"email": "a@b.co", "idempotency_key": "short"}), `"idempotency_key"`)
}

func TestUpstreamFaultsBecomeActionableToolErrors(t *testing.T) {
	h := newHarness(t, tools.Options{})
	user := h.sim.Connections()[0].UserID
	h.sim.InjectFault(basiqtest.Fault{Kind: basiqtest.FaultStatus, Status: 503, Path: "/users/"})
	msg := h.fail(t, "list_accounts", obj{"user_id": user})
	assert.Contains(t, msg, "temporarily unavailable")
	assert.Contains(t, msg, "Retry")
	h.sim.ClearFaults()
	h.sim.InjectFault(basiqtest.Fault{Kind: basiqtest.FaultStatus, Status: 429, RetryAfter: 90 * time.Second, Path: "/users/"})
	assert.Contains(t, h.fail(t, "list_accounts", obj{"user_id": user}), "Retry after 90 s")
	h.sim.ClearFaults()
	h.sim.InjectFault(basiqtest.Fault{Kind: basiqtest.FaultMalformed, Path: "/users/"})
	assert.Contains(t, h.fail(t, "list_accounts", obj{"user_id": user}), "malformed response body")
	h.sim.ClearFaults()
	var accounts struct{ Accounts []tools.AccountView }
	h.okValid(t, "list_accounts", obj{"user_id": user}, &accounts)
}

func TestBadArgumentsNameTheArgument(t *testing.T) {
	h := newHarness(t, tools.Options{})
	cases := []struct {
		tool string
		args obj
		want string
	}{
		{"get_user", obj{}, `missing required argument "user_id"`},
		{"get_user", obj{"user_id": "../token"}, `argument "user_id" "../token" is not valid: it must start with a letter or digit; copy ids from the tool that returned them`},
		{"get_user", obj{"user_id": "u1", "force": true}, `unknown argument "force"; this tool takes: user_id`},
		{"get_user", obj{"user_id": 42}, `argument "user_id" must be a string, got a number`},
		{"list_transactions", obj{"user_id": "u1", "limit": 2.5}, `"limit" must be a whole number`},
		{"list_transactions", obj{"user_id": "u1", "direction": "out"}, `must be one of "credit", "debit"`},
		{"get_job", obj{"job_id": "j1", "wait_seconds": -1}, "at least 0"},
		{"list_report_types", obj{"x": 1}, "(no arguments)"},
	}
	for _, tc := range cases {
		msg := h.fail(t, tc.tool, tc.args)
		assert.True(t, strings.HasPrefix(msg, "Invalid arguments: "), msg)
		assert.Contains(t, msg, tc.want, tc.tool)
	}
	assert.Zero(t, h.sim.Calls("GET /users/{userId}"), "no bad argument reached Basiq")
}

func TestForgedCursorsGoNowhere(t *testing.T) {
	h := newHarness(t, tools.Options{})
	conns := h.sim.Connections()
	mine, other := conns[0].UserID, conns[len(conns)-1].UserID
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	before := h.sim.Calls("GET /users/{userId}/transactions")
	msg := h.fail(t, "list_transactions", obj{"user_id": mine, "cursor": enc("https://evil.example/users/" + mine + "/transactions?next=x")})
	assert.Contains(t, msg, "another host")
	msg = h.fail(t, "list_transactions", obj{"user_id": mine, "cursor": enc(h.sim.URL + "/users/" + other + "/transactions?next=x")})
	assert.Contains(t, msg, "does not continue")
	msg = h.fail(t, "list_transactions", obj{"user_id": mine, "cursor": enc(h.sim.URL + "/users/" + mine + "/transactions/../../" + other + "/transactions?next=x")})
	assert.Contains(t, msg, "does not continue", "dot segments cannot leave the list")
	assert.Equal(t, before, h.sim.Calls("GET /users/{userId}/transactions"), "nothing was sent")
}
