package basiq_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/basiq/basiqtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Users, consents, reports, scopes and limits, through the client against
// the simulator.

func TestUsersAuthLinksAndConsents(t *testing.T) {
	srv, c, clock := simClient(t)
	ctx := context.Background()
	_, err := c.CreateUser(ctx, basiq.UserParams{FirstName: "NoContact"})
	assert.ErrorContains(t, err, "one of email or mobile")
	raw, err := c.CreateUser(ctx, basiq.UserParams{Email: "not-an-email"})
	assert.Nil(t, raw)
	e, _ := basiq.AsError(err)
	require.NotNil(t, e)
	assert.Equal(t, "Provided email is in bad format.", e.Detail)
	assert.Equal(t, "email", e.Source.Parameter)

	u, err := c.CreateUser(ctx, basiq.UserParams{Email: "link@example.com"})
	require.NoError(t, err)
	_, err = c.CreateAuthLink(ctx, u.ID, "")
	e, _ = basiq.AsError(err)
	require.NotNil(t, e)
	assert.Equal(t, "parameter-not-supplied", e.Code, "no mobile anywhere")

	u, err = c.UpdateUser(ctx, u.ID, basiq.UserParams{Mobile: "+61400555111"})
	require.NoError(t, err)
	first, err := c.CreateAuthLink(ctx, u.ID, "")
	require.NoError(t, err)
	assert.Equal(t, "+61400555111", first.Mobile)
	second, err := c.CreateAuthLink(ctx, u.ID, "+61400555222")
	require.NoError(t, err)
	assert.NotEqual(t, first.PublicURL(), second.PublicURL(), "a new link replaces the old one")
	got, err := c.GetAuthLink(ctx, u.ID)
	require.NoError(t, err)
	assert.Equal(t, got.ID, second.PublicURL()[len(second.PublicURL())-len(got.ID):])
	require.NoError(t, c.DeleteAuthLink(ctx, u.ID))
	_, err = c.GetAuthLink(ctx, u.ID)
	assert.True(t, basiq.IsGone(err))
	_, err = c.CreateAuthLink(ctx, u.ID, "")
	require.NoError(t, err)
	clock.Advance(31 * 24 * time.Hour)
	_, err = c.GetAuthLink(ctx, u.ID)
	assert.True(t, basiq.IsGone(err), "links expire")

	res, err := srv.CompleteConsent(u.ID, basiqtest.ConsentRequest{InstitutionID: "AU00000", LoginID: "gavinBelson", Password: "hooli2016"})
	require.NoError(t, err)
	waitJob(t, c, clock, res.JobIDs[0])
	consents, err := c.ListConsents(ctx, u.ID)
	require.NoError(t, err)
	require.Len(t, consents.Data, 1)
	assert.Equal(t, "active", consents.Data[0].Status)
	require.NoError(t, c.DeleteConsent(ctx, u.ID, consents.Data[0].ID))
	consents, err = c.ListConsents(ctx, u.ID)
	require.NoError(t, err)
	assert.Equal(t, "revoked", consents.Data[0].Status)
	conn, err := c.GetConnection(ctx, u.ID, res.ConnectionID)
	require.NoError(t, err)
	assert.Equal(t, "invalid", conn.Status, "revoking consent invalidates connections")

	require.NoError(t, c.DeleteUser(ctx, u.ID))
	_, err = c.GetUser(ctx, u.ID)
	assert.True(t, basiq.IsNotFound(err))
}

func TestAffordabilityReportIsComputedFromTransactions(t *testing.T) {
	_, c, clock := simClient(t)
	ctx := context.Background()
	users, _, err := c.AllUsers(ctx, 0)
	require.NoError(t, err)
	gilfoyle := users[2]
	require.Equal(t, "Gilfoyle", gilfoyle.LastName)
	to := clock.Now().AddDate(0, 0, -3)
	from := to.AddDate(0, -6, 0)
	job, err := c.CreateReport(ctx, basiq.CreateReportParams{ReportType: basiq.ReportConsumerAffordability, Title: "Gilfoyle 6 months",
		Filters: []basiq.ReportFilter{{Name: "fromDate", Value: basiq.Date(from)}, {Name: "toDate", Value: basiq.Date(to)},
			{Name: "users", Value: []string{gilfoyle.ID}}, {Name: "accounts", Value: []string{}}}})
	require.NoError(t, err)
	job = waitJob(t, c, clock, job.ID)
	require.True(t, job.Succeeded())
	assert.Equal(t, "report", job.JobType)
	reportID := job.Steps[0].Result.URL[len("/reports/"):]
	report, err := c.GetReport(ctx, reportID)
	require.NoError(t, err)
	var data basiq.AffordabilityData
	require.NoError(t, json.Unmarshal(report.Data, &data))
	metrics := map[string]string{}
	for _, m := range data.Metrics {
		metrics[m.ID] = m.Result.Value.(string)
	}
	assert.Equal(t, "true", metrics["ME031"], "Gilfoyle receives JobSeeker")
	assert.Equal(t, "true", metrics["ME022"], "his salary stopped")
	assert.Equal(t, "true", metrics["ME027"], "BNPL is high-cost finance")

	// The salary group equals the salary transactions in the period.
	txns, _, err := c.AllTransactions(ctx, gilfoyle.ID, basiq.ListTransactionsOptions{From: from, To: to, Status: "posted"}, 0, 0)
	require.NoError(t, err)
	var want int64
	for _, tx := range txns {
		if tx.Description == "SALARY PIED PIPER INC" {
			cents, err := basiq.ParseAmount(tx.Amount)
			require.NoError(t, err)
			want += cents
		}
	}
	var group *basiq.ReportGroup
	for i := range data.Groups {
		if data.Groups[i].ID == "INC-009" {
			group = &data.Groups[i]
		}
	}
	require.NotNil(t, group)
	assert.Equal(t, basiq.FormatAmount(want), group.Analysis.Amount.Total)

	list, err := c.ListReports(ctx, basiq.PageOptions{})
	require.NoError(t, err)
	assert.Equal(t, reportID, list.Data[0].ID)
	require.NoError(t, c.DeleteReport(ctx, reportID))
	_, err = c.GetReport(ctx, reportID)
	assert.True(t, basiq.IsNotFound(err))

	_, err = c.CreateReport(ctx, basiq.CreateReportParams{ReportType: basiq.ReportConsumerAffordability, Title: "missing users",
		Filters: []basiq.ReportFilter{{Name: "fromDate", Value: "2026-01-01"}, {Name: "toDate", Value: "2026-02-01"}, {Name: "accounts", Value: []string{}}}})
	e, _ := basiq.AsError(err)
	require.NotNil(t, e)
	assert.Contains(t, e.Detail, `"users" is required`)
}

func TestScopesAndFaultsThroughTheClient(t *testing.T) {
	srv, c, _ := simClient(t)
	ctx := context.Background()
	users, _, err := c.AllUsers(ctx, 2)
	require.NoError(t, err)

	tok, err := c.MintClientToken(ctx, users[0].ID)
	require.NoError(t, err)
	assert.Equal(t, "[REDACTED]", tok.String())
	req, _ := http.NewRequest("GET", srv.URL+"/users/"+users[0].ID, nil)
	req.Header.Set("Authorization", "Bearer "+tok.Value())
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "a CLIENT token cannot use server endpoints")

	srv.InjectFault(basiqtest.Fault{Kind: basiqtest.FaultStatus, Status: 503, Path: "/users/", Times: 2})
	_, err = c.GetUser(ctx, users[0].ID)
	require.NoError(t, err, "two 503s are retried through")

	srv.InjectFault(basiqtest.Fault{Kind: basiqtest.FaultDrop, Method: "GET", Path: "/users/", Times: 1})
	_, err = c.GetUser(ctx, users[0].ID)
	require.NoError(t, err, "a dropped connection is retried for a read")

	srv.InjectFault(basiqtest.Fault{Kind: basiqtest.FaultExpireToken, Times: 1})
	_, err = c.GetUser(ctx, users[0].ID)
	require.NoError(t, err, "an expired token is renewed")
	assert.Equal(t, 3, srv.Calls("POST /token"), "server token, client token, renewal")

	srv.InjectFault(basiqtest.Fault{Kind: basiqtest.FaultStatus, Status: 429, RetryAfter: time.Minute, Method: "POST", Times: 1})
	_, _, err = c.RefreshConnection(ctx, users[0].ID, srv.Connections()[0].ConnectionID)
	wait, limited := basiq.IsRateLimited(err)
	assert.True(t, limited)
	assert.Equal(t, time.Minute, wait)
	assert.Equal(t, 1, srv.Calls("POST /users/{userId}/connections/{connectionId}/refresh"), "not retried")
}

func TestOpenBankingDailyRefreshCap(t *testing.T) {
	srv, c, clock := simClient(t)
	ctx := context.Background()
	u, err := c.CreateUser(ctx, basiq.UserParams{Email: "ob@example.com"})
	require.NoError(t, err)
	res, err := srv.CompleteConsent(u.ID, basiqtest.ConsentRequest{InstitutionID: "AU00000", Method: "open-banking", LoginID: "374829", Password: "227470"})
	require.NoError(t, err)
	waitJob(t, c, clock, res.JobIDs[0])
	for i := range 20 {
		job, existing, err := c.RefreshConnection(ctx, u.ID, res.ConnectionID)
		require.NoError(t, err, "refresh %d", i+1)
		require.False(t, existing)
		waitJob(t, c, clock, job.ID)
	}
	_, _, err = c.RefreshConnection(ctx, u.ID, res.ConnectionID)
	wait, limited := basiq.IsRateLimited(err)
	assert.True(t, limited, "the 21st refresh in a day is refused")
	assert.Positive(t, wait)
}
