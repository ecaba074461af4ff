package basiq_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// methodCase is one client method: how it is called, what must go on the
// wire, what comes back and what the caller must see.
type methodCase struct {
	name                 string
	call                 func(ctx context.Context, c *basiq.Client) (any, error)
	method, path, filter string
	query                string // exact raw query when set
	body                 string // JSON the request must carry ("" for none)
	status               int
	response             string
	check                func(t *testing.T, got any)
}

var userJSON = `{"type":"user","id":"u1","email":"ada@example.com","mobile":"+61400111222","firstName":"Ada","lastName":"Lovelace","links":{"self":"x"}}`

var jobJSON = `{"type":"job","id":"j1","created":"2026-03-02T22:10:00Z","updated":"2026-03-02T22:10:04.000Z","jobType":"connection",
 "steps":[{"title":"verify-credentials","status":"success","result":{"type":"link","url":"/users/u1/connections/c1"}},
 {"title":"retrieve-accounts","status":"failed","result":{"code":"invalid-credentials","title":"t","detail":"d"}},
 {"title":"retrieve-transactions","status":"pending","result":null}],
 "links":{"self":"https://x/jobs/j1","source":"https://x/users/u1/connections/c1"}}`

func methodCases() []methodCase {
	return []methodCase{
		{name: "CreateUser", call: func(ctx context.Context, c *basiq.Client) (any, error) {
			return c.CreateUser(ctx, basiq.UserParams{Email: "ada@example.com", FirstName: "Ada"})
		}, method: "POST", path: "/users", body: `{"email":"ada@example.com","firstName":"Ada"}`, status: 201, response: userJSON,
			check: func(t *testing.T, got any) { assert.Equal(t, "Lovelace", got.(*basiq.User).LastName) }},
		{name: "GetUser", call: func(ctx context.Context, c *basiq.Client) (any, error) { return c.GetUser(ctx, "u1") },
			method: "GET", path: "/users/u1", status: 200, response: userJSON,
			check: func(t *testing.T, got any) { assert.Equal(t, "+61400111222", got.(*basiq.User).Mobile) }},
		{name: "UpdateUser", call: func(ctx context.Context, c *basiq.Client) (any, error) {
			return c.UpdateUser(ctx, "u1", basiq.UserParams{Mobile: "+61400999888"})
		}, method: "POST", path: "/users/u1", body: `{"mobile":"+61400999888"}`, status: 200, response: userJSON},
		{name: "DeleteUser", call: func(ctx context.Context, c *basiq.Client) (any, error) { return nil, c.DeleteUser(ctx, "u1") },
			method: "DELETE", path: "/users/u1", status: 204},
		{name: "ListUsers", call: func(ctx context.Context, c *basiq.Client) (any, error) {
			return c.ListUsers(ctx, basiq.PageOptions{Limit: 2})
		}, method: "GET", path: "/users", query: "limit=2", status: 200,
			response: `{"type":"list","size":3,"data":[` + userJSON + `],"links":{"self":"x","next":"NEXT"}}`,
			check: func(t *testing.T, got any) {
				l := got.(*basiq.List[basiq.User])
				assert.Equal(t, 3, l.Size)
				assert.Len(t, l.Data, 1)
			}},
		{name: "CreateAuthLink", call: func(ctx context.Context, c *basiq.Client) (any, error) {
			return c.CreateAuthLink(ctx, "u1", "+61400111333")
		}, method: "POST", path: "/users/u1/auth_link", body: `{"mobile":"+61400111333"}`, status: 201,
			response: `{"type":"auth_link","userId":"u1","mobile":"+61400111333","expiresAt":"2026-04-30T02:00:00Z","links":{"public":"https://connect.basiq.io/7d3e9a10"}}`,
			check: func(t *testing.T, got any) {
				a := got.(*basiq.AuthLink)
				assert.Equal(t, "https://connect.basiq.io/7d3e9a10", a.PublicURL())
				assert.Equal(t, time.Date(2026, 4, 30, 2, 0, 0, 0, time.UTC), a.ExpiresAt.Time)
			}},
		{name: "CreateAuthLinkNoMobile", call: func(ctx context.Context, c *basiq.Client) (any, error) { return c.CreateAuthLink(ctx, "u1", "") },
			method: "POST", path: "/users/u1/auth_link", body: `{}`, status: 201, response: `{"type":"auth_link"}`},
		{name: "GetAuthLink", call: func(ctx context.Context, c *basiq.Client) (any, error) { return c.GetAuthLink(ctx, "u1") },
			method: "GET", path: "/users/u1/auth_link", status: 200, response: `{"type":"auth_link","id":"7d3e9a10"}`,
			check: func(t *testing.T, got any) { assert.Equal(t, "7d3e9a10", got.(*basiq.AuthLink).ID) }},
		{name: "DeleteAuthLink", call: func(ctx context.Context, c *basiq.Client) (any, error) { return nil, c.DeleteAuthLink(ctx, "u1") },
			method: "DELETE", path: "/users/u1/auth_link", status: 204},
		{name: "ListConnections", call: func(ctx context.Context, c *basiq.Client) (any, error) {
			return c.ListConnections(ctx, "u1", basiq.ListConnectionsOptions{Status: "active", InstitutionID: "AU00000"})
		}, method: "GET", path: "/users/u1/connections", filter: "institution.id.eq('AU00000')", status: 200,
			response: `{"type":"list","data":[{"type":"connection","id":"c1","status":"active","lastUsed":"2026-03-02T22:10:00Z","institution":{"id":"AU00000"}},{"type":"connection","id":"c2","status":"invalid"}]}`,
			check: func(t *testing.T, got any) {
				l := got.(*basiq.List[basiq.Connection])
				require.Len(t, l.Data, 1, "the status is matched here, not by an undocumented filter")
				assert.Equal(t, "AU00000", l.Data[0].Institution.ID)
				assert.Equal(t, 22, l.Data[0].LastUsed.Hour())
			}},
		{name: "GetConnection", call: func(ctx context.Context, c *basiq.Client) (any, error) { return c.GetConnection(ctx, "u1", "c1") },
			method: "GET", path: "/users/u1/connections/c1", status: 200,
			response: `{"type":"connection","id":"c1","accounts":{"type":"list","data":[{"type":"account","id":"a1","balance":"1.50"}]}}`,
			check:    func(t *testing.T, got any) { assert.Equal(t, "1.50", got.(*basiq.Connection).Accounts.Data[0].Balance) }},
		{name: "RefreshConnectionNew", call: func(ctx context.Context, c *basiq.Client) (any, error) {
			j, existing, err := c.RefreshConnection(ctx, "u1", "c1")
			return []any{j, existing}, err
		}, method: "POST", path: "/users/u1/connections/c1/refresh", status: 202, response: `{"type":"job","id":"j1"}`,
			check: func(t *testing.T, got any) { assert.Equal(t, false, got.([]any)[1]) }},
		{name: "RefreshConnectionExisting", call: func(ctx context.Context, c *basiq.Client) (any, error) {
			j, existing, err := c.RefreshConnection(ctx, "u1", "c1")
			return []any{j, existing}, err
		}, method: "POST", path: "/users/u1/connections/c1/refresh", status: 200, response: `{"type":"job","id":"j1"}`,
			check: func(t *testing.T, got any) {
				assert.Equal(t, true, got.([]any)[1])
				assert.Equal(t, "j1", got.([]any)[0].(*basiq.Job).ID)
			}},
		{name: "DeleteConnection", call: func(ctx context.Context, c *basiq.Client) (any, error) {
			return nil, c.DeleteConnection(ctx, "u1", "c1")
		},
			method: "DELETE", path: "/users/u1/connections/c1", status: 204},
		{name: "PurgeConnection", call: func(ctx context.Context, c *basiq.Client) (any, error) {
			return nil, c.PurgeConnection(ctx, "u1", "c1")
		},
			method: "POST", path: "/users/u1/connections/c1/purge", status: 204},
		{name: "GetJob", call: func(ctx context.Context, c *basiq.Client) (any, error) { return c.GetJob(ctx, "j1") },
			method: "GET", path: "/jobs/j1", status: 200, response: jobJSON,
			check: func(t *testing.T, got any) {
				j := got.(*basiq.Job)
				assert.True(t, j.Finished())
				assert.False(t, j.Succeeded())
				assert.Equal(t, "invalid-credentials", j.FailedStep().Result.Code)
				assert.Equal(t, "c1", j.ConnectionID())
				assert.Equal(t, 4, j.Updated.Second())
			}},
		{name: "ListUserJobs", call: func(ctx context.Context, c *basiq.Client) (any, error) { return c.ListUserJobs(ctx, "u1", "c1") },
			method: "GET", path: "/users/u1/jobs", filter: "connection.id.eq('c1')", status: 200, response: `{"type":"list","size":1,"data":[` + jobJSON + `]}`,
			check: func(t *testing.T, got any) { assert.Equal(t, 1, got.(*basiq.List[basiq.Job]).Size) }},
		{name: "ListConnectors", call: func(ctx context.Context, c *basiq.Client) (any, error) {
			return c.ListConnectors(ctx, basiq.ListConnectorsOptions{Method: "open-banking", Statuses: []string{"operational", "degraded-performance"}})
		}, method: "GET", path: "/connectors", filter: "connector.method.eq('open-banking'),connector.status.in('operational','degraded-performance')",
			status: 200, response: `{"type":"list","totalCount":1,"data":[{"type":"connector","id":"AU00000","status":"operational","institution":{"name":"Hooli Bank"},"stats":{"averageDurationMs":{"total":11600}}}]}`,
			check: func(t *testing.T, got any) {
				l := got.(*basiq.List[basiq.Connector])
				assert.Equal(t, 1, l.TotalCount)
				assert.Equal(t, int64(11600), l.Data[0].Stats.AverageDurationMs["total"])
			}},
		{name: "GetConnector", call: func(ctx context.Context, c *basiq.Client) (any, error) { return c.GetConnector(ctx, "AU00000", "web") },
			method: "GET", path: "/connectors/AU00000/web", status: 200, response: `{"type":"connector","id":"AU00000"}`},
		{name: "ListAccounts", call: func(ctx context.Context, c *basiq.Client) (any, error) {
			return c.ListAccounts(ctx, "u1", basiq.ListAccountsOptions{ConnectionID: "c1"})
		}, method: "GET", path: "/users/u1/accounts", filter: "connection.id.eq('c1')", status: 200,
			response: `{"type":"list","data":[{"type":"account","id":"a1","balance":"-12.95","creditLimit":null,"class":{"type":"credit-card"}}]}`,
			check: func(t *testing.T, got any) {
				a := got.(*basiq.List[basiq.Account]).Data[0]
				assert.Equal(t, "-12.95", a.Balance)
				assert.Equal(t, "credit-card", a.Class.Type)
			}},
		{name: "GetAccount", call: func(ctx context.Context, c *basiq.Client) (any, error) { return c.GetAccount(ctx, "u1", "a1") },
			method: "GET", path: "/users/u1/accounts/a1", status: 200, response: `{"type":"account","id":"a1"}`},
		{name: "ListTransactions", call: func(ctx context.Context, c *basiq.Client) (any, error) {
			return c.ListTransactions(ctx, "u1", basiq.ListTransactionsOptions{AccountID: "a1", Direction: "debit",
				From: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC), PageOptions: basiq.PageOptions{Limit: 100}})
		}, method: "GET", path: "/users/u1/transactions",
			filter: "account.id.eq('a1'),transaction.direction.eq('debit'),transaction.postDate.bt('2026-01-01','2026-03-31')", status: 200,
			response: `{"type":"list","count":1,"size":1,"data":[{"type":"transaction","id":"t1","amount":"-12.50","postDate":"2026-03-01T00:00:00Z","transactionDate":"","enrich":{"tags":["income:salary"]}}]}`,
			check: func(t *testing.T, got any) {
				tx := got.(*basiq.List[basiq.Transaction]).Data[0]
				assert.Equal(t, "-12.50", tx.Amount)
				assert.True(t, tx.TransactionDate.IsZero())
				assert.Equal(t, []string{"income:salary"}, tx.Enrich.Tags)
			}},
		{name: "GetTransaction", call: func(ctx context.Context, c *basiq.Client) (any, error) { return c.GetTransaction(ctx, "u1", "t1") },
			method: "GET", path: "/users/u1/transactions/t1", status: 200, response: `{"type":"transaction","id":"t1"}`},
		{name: "ListReportTypes", call: func(ctx context.Context, c *basiq.Client) (any, error) { return c.ListReportTypes(ctx) },
			method: "GET", path: "/reports/types", status: 200, response: `{"type":"list","data":[{"type":"report","id":"CON_AFFOR_01","filters":[{"name":"users","type":"array","required":true}]}]}`,
			check: func(t *testing.T, got any) {
				assert.True(t, got.(*basiq.List[basiq.ReportType]).Data[0].Filters[0].Required)
			}},
		{name: "GetReportType", call: func(ctx context.Context, c *basiq.Client) (any, error) { return c.GetReportType(ctx, "CON_AFFOR_01") },
			method: "GET", path: "/reports/types/CON_AFFOR_01", status: 200, response: `{"type":"report","id":"CON_AFFOR_01"}`},
		{name: "CreateReport", call: func(ctx context.Context, c *basiq.Client) (any, error) {
			return c.CreateReport(ctx, basiq.CreateReportParams{ReportType: "CON_AFFOR_01", Title: "Ada 2026",
				Filters: []basiq.ReportFilter{{Name: "fromDate", Value: "2025-03-01"}, {Name: "users", Value: []string{"u1"}}}})
		}, method: "POST", path: "/reports", status: 202, response: `{"type":"job","id":"rj1"}`,
			body: `{"reportType":"CON_AFFOR_01","title":"Ada 2026","filters":[{"name":"fromDate","value":"2025-03-01"},{"name":"users","value":["u1"]}]}`},
		{name: "ListReports", call: func(ctx context.Context, c *basiq.Client) (any, error) {
			return c.ListReports(ctx, basiq.PageOptions{})
		},
			method: "GET", path: "/reports", status: 200, response: `{"type":"list","data":[{"type":"report","id":"r1","reportType":"CON_AFFOR_01"}]}`},
		{name: "GetReport", call: func(ctx context.Context, c *basiq.Client) (any, error) { return c.GetReport(ctx, "r1") },
			method: "GET", path: "/reports/r1", status: 200, response: `{"type":"report","id":"r1","createdDate":"2022-03-26T06:56:44","data":{"metrics":[]}}`,
			check: func(t *testing.T, got any) { assert.Equal(t, 2022, got.(*basiq.Report).CreatedDate.Year()) }},
		{name: "DeleteReport", call: func(ctx context.Context, c *basiq.Client) (any, error) { return nil, c.DeleteReport(ctx, "r1") },
			method: "DELETE", path: "/reports/r1", status: 204},
		{name: "ListConsents", call: func(ctx context.Context, c *basiq.Client) (any, error) { return c.ListConsents(ctx, "u1") },
			method: "GET", path: "/users/u1/consents", status: 200, response: `{"type":"list","size":1,"data":[{"type":"consent","id":"k1","status":"active"}]}`},
		{name: "DeleteConsent", call: func(ctx context.Context, c *basiq.Client) (any, error) { return nil, c.DeleteConsent(ctx, "u1", "k1") },
			method: "DELETE", path: "/users/u1/consents/k1", status: 204},
		{name: "ListEvents", call: func(ctx context.Context, c *basiq.Client) (any, error) {
			return c.ListEvents(ctx, basiq.ListEventsOptions{UserID: "u1", Entity: "connection"}, basiq.PageOptions{})
		}, method: "GET", path: "/events", filter: "user.id.eq('u1'),event.entity.eq('connection')", status: 200, response: `{"type":"list","data":[]}`},
		{name: "ListEventTypes", call: func(ctx context.Context, c *basiq.Client) (any, error) { return c.ListEventTypes(ctx) },
			method: "GET", path: "/events/types", status: 200, response: `{"type":"list","data":[{"type":"eventType","id":"user.created"}]}`},
	}
}

func TestMethodsSendAndDecode(t *testing.T) {
	for _, tc := range methodCases() {
		t.Run(tc.name, func(t *testing.T) {
			api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) { reply(w, tc.status, tc.response) })
			got, err := tc.call(context.Background(), api.client(t))
			require.NoError(t, err)
			reqs := api.requests()
			require.Len(t, reqs, 1, "exactly one request")
			req := reqs[0]
			assert.Equal(t, tc.method, req.Method)
			assert.Equal(t, tc.path, req.Path)
			assert.Equal(t, tc.filter, req.Filter)
			if tc.query != "" {
				assert.Equal(t, tc.query, req.RawQuery)
			}
			if tc.body != "" {
				assert.JSONEq(t, tc.body, req.Body)
				assert.Equal(t, "application/json", req.ContentType)
			} else {
				assert.Empty(t, req.Body)
			}
			assert.Equal(t, "Bearer tok-1", req.Auth)
			if tc.check != nil {
				tc.check(t, got)
			}
		})
	}
}
