package basiq_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/basiq/specfake"
	"github.com/stretchr/testify/require"
)

// clientCase is one client method and the operation it calls.
type clientCase struct {
	op   string
	call func(ctx context.Context, c *basiq.Client) (any, error)
}

var clientCases = []clientCase{
	{"POST /users", func(ctx context.Context, c *basiq.Client) (any, error) {
		return c.CreateUser(ctx, basiq.UserParams{Email: "gavin@hooli.com"})
	}},
	{"GET /users/{userId}", func(ctx context.Context, c *basiq.Client) (any, error) { return c.GetUser(ctx, "ea3a81") }},
	{"POST /users/{userId}", func(ctx context.Context, c *basiq.Client) (any, error) {
		return c.UpdateUser(ctx, "ea3a81", basiq.UserParams{LastName: "Belson"})
	}},
	{"DELETE /users/{userId}", func(ctx context.Context, c *basiq.Client) (any, error) { return nil, c.DeleteUser(ctx, "ea3a81") }},
	{"POST /users/{userId}/auth_link", func(ctx context.Context, c *basiq.Client) (any, error) { return c.CreateAuthLink(ctx, "ea3a81", "") }},
	{"GET /users/{userId}/auth_link", func(ctx context.Context, c *basiq.Client) (any, error) { return c.GetAuthLink(ctx, "ea3a81") }},
	{"DELETE /users/{userId}/auth_link", func(ctx context.Context, c *basiq.Client) (any, error) { return nil, c.DeleteAuthLink(ctx, "ea3a81") }},
	{"GET /users/{userId}/consents", func(ctx context.Context, c *basiq.Client) (any, error) { return c.ListConsents(ctx, "ea3a81") }},
	{"DELETE /users/{userId}/consents/{consentId}", func(ctx context.Context, c *basiq.Client) (any, error) {
		return nil, c.DeleteConsent(ctx, "ea3a81", "c1")
	}},
	{"GET /users/{userId}/jobs", func(ctx context.Context, c *basiq.Client) (any, error) { return c.ListUserJobs(ctx, "ea3a81", "") }},
	{"GET /jobs/{jobId}", func(ctx context.Context, c *basiq.Client) (any, error) { return c.GetJob(ctx, "e9132638") }},
	{"POST /jobs/{jobId}/mfa", func(ctx context.Context, c *basiq.Client) (any, error) {
		return c.AnswerMFA(ctx, "ea3a81", "e9132638", []string{"1234"})
	}},
	{"GET /users/{userId}/accounts", func(ctx context.Context, c *basiq.Client) (any, error) {
		return c.ListAccounts(ctx, "ea3a81", basiq.ListAccountsOptions{})
	}},
	{"GET /users/{userId}/accounts/{accountId}", func(ctx context.Context, c *basiq.Client) (any, error) { return c.GetAccount(ctx, "ea3a81", "a1") }},
	{"GET /users/{userId}/transactions", func(ctx context.Context, c *basiq.Client) (any, error) {
		return c.ListTransactions(ctx, "ea3a81", basiq.ListTransactionsOptions{From: time.Now().AddDate(0, -1, 0)})
	}},
	{"GET /users/{userId}/transactions/{transactionId}", func(ctx context.Context, c *basiq.Client) (any, error) {
		return c.GetTransaction(ctx, "ea3a81", "t1")
	}},
	{"GET /users/{userId}/connections", func(ctx context.Context, c *basiq.Client) (any, error) {
		return c.ListConnections(ctx, "ea3a81", basiq.ListConnectionsOptions{InstitutionID: "AU00000"})
	}},
	{"GET /users/{userId}/connections/{connectionId}", func(ctx context.Context, c *basiq.Client) (any, error) {
		return c.GetConnection(ctx, "ea3a81", "8fce3b")
	}},
	{"POST /users/{userId}/connections/{connectionId}/refresh", func(ctx context.Context, c *basiq.Client) (any, error) {
		j, _, err := c.RefreshConnection(ctx, "ea3a81", "8fce3b")
		return j, err
	}},
	{"DELETE /users/{userId}/connections/{connectionId}", func(ctx context.Context, c *basiq.Client) (any, error) {
		return nil, c.DeleteConnection(ctx, "ea3a81", "8fce3b")
	}},
	{"POST /users/{userId}/connections/{connectionId}/purge", func(ctx context.Context, c *basiq.Client) (any, error) {
		return nil, c.PurgeConnection(ctx, "ea3a81", "8fce3b")
	}},
	{"GET /connectors", func(ctx context.Context, c *basiq.Client) (any, error) {
		return c.ListConnectors(ctx, basiq.ListConnectorsOptions{Method: "web"})
	}},
	{"GET /connectors/{connectorId}/{method}", func(ctx context.Context, c *basiq.Client) (any, error) {
		return c.GetConnector(ctx, "AU00000", "web")
	}},
	{"GET /reports/types", func(ctx context.Context, c *basiq.Client) (any, error) { return c.ListReportTypes(ctx) }},
	{"GET /reports/types/{reportTypeId}", func(ctx context.Context, c *basiq.Client) (any, error) { return c.GetReportType(ctx, "CON_AFFOR_01") }},
	{"POST /reports", func(ctx context.Context, c *basiq.Client) (any, error) {
		return c.CreateReport(ctx, basiq.CreateReportParams{ReportType: "CON_AFFOR_01", Title: "t", Filters: []basiq.ReportFilter{{Name: "users", Value: []string{"ea3a81"}}}})
	}},
	{"GET /reports", func(ctx context.Context, c *basiq.Client) (any, error) {
		return c.ListReports(ctx, basiq.PageOptions{})
	}},
	{"GET /reports/{id}", func(ctx context.Context, c *basiq.Client) (any, error) { return c.GetReport(ctx, "r1") }},
	{"DELETE /reports/{id}", func(ctx context.Context, c *basiq.Client) (any, error) { return nil, c.DeleteReport(ctx, "r1") }},
	{"GET /events", func(ctx context.Context, c *basiq.Client) (any, error) {
		return c.ListEvents(ctx, basiq.ListEventsOptions{UserID: "ea3a81"}, basiq.PageOptions{})
	}},
	{"GET /events/types", func(ctx context.Context, c *basiq.Client) (any, error) { return c.ListEventTypes(ctx) }},
}

// TestClientReadsEveryPublishedResponse serves every response example of
// Basiq's OpenAPI files, and responses generated from each schema, to the
// client method that calls the operation: each must decode, and no list
// record may be skipped.
func TestClientReadsEveryPublishedResponse(t *testing.T) {
	spec := specfake.Require(t)
	srv := specfake.NewServer(spec)
	defer srv.Close()
	ctx := context.Background()
	variants := 0
	for _, cc := range clientCases {
		method, path, _ := cut(cc.op)
		op := spec.Find(method, path)
		require.NotNil(t, op, "%s is not in Basiq's OpenAPI files", cc.op)
		for i, v := range op.Variants {
			srv.Reset()
			srv.Pin(op, i)
			c, err := basiq.NewClient("spec-key", basiq.WithBaseURL(srv.URL), basiq.WithRetryPolicy(basiq.RetryPolicy{MaxAttempts: 1}))
			require.NoError(t, err)
			got, err := cc.call(ctx, c)
			require.NoError(t, err, "%s answered with %s", cc.op, v.Name)
			require.Zero(t, skipped(got), "%s answered with %s: records skipped", cc.op, v.Name)
			variants++
		}
	}
	t.Logf("%d operations, %d published or generated responses, all read", len(clientCases), variants)
}

func cut(op string) (method, path string, ok bool) {
	for i := range op {
		if op[i] == ' ' {
			return op[:i], op[i+1:], true
		}
	}
	return "", "", false
}

// skipped counts the records a list page could not read.
func skipped(v any) int {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() || rv.Kind() != reflect.Pointer || rv.IsNil() {
		return 0
	}
	f := rv.Elem().FieldByName("Skipped")
	if !f.IsValid() {
		return 0
	}
	return f.Len()
}
