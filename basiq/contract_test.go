package basiq_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/basiq/basiqtest"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/stretchr/testify/require"
)

// exchange is one recorded request and its response.
type exchange struct {
	req               *http.Request
	reqBody, respBody []byte
	status            int
	respHeader        http.Header
	method, path      string
}

// recorder is a RoundTripper that keeps a copy of every exchange.
type recorder struct {
	mu        sync.Mutex
	exchanges []exchange
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	rb, _ := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(rb))
	r.mu.Lock()
	r.exchanges = append(r.exchanges, exchange{req: req.Clone(context.Background()), reqBody: body, respBody: rb,
		status: resp.StatusCode, respHeader: resp.Header.Clone(), method: req.Method, path: req.URL.Path})
	r.mu.Unlock()
	return resp, nil
}

// specDir finds ../shared/basiq/openapi beside the repository.
func specDir(t *testing.T) string {
	dir, _ := os.Getwd()
	for ; dir != "/"; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
	}
	spec := filepath.Join(filepath.Dir(dir), "shared", "basiq", "openapi")
	if _, err := os.Stat(filepath.Join(spec, "core.yml")); err != nil {
		t.Skipf("contract test skipped: Basiq's OpenAPI files are not at %s (they live in ../shared beside the repository)", spec)
	}
	return spec
}

func loadRouters(t *testing.T, dir string) []routers.Router {
	var out []routers.Router
	for _, name := range []string{"core.yml", "data.yml", "reports.yml"} {
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromFile(filepath.Join(dir, name))
		require.NoError(t, err, name)
		doc.Servers = openapi3.Servers{{URL: "https://au-api.basiq.io"}}
		repairSpec(doc)
		router, err := legacy.NewRouter(doc, openapi3.DisableExamplesValidation())
		require.NoError(t, err, name)
		out = append(out, router)
	}
	return out
}

// repairSpec mends what makes Basiq's published files invalid OpenAPI, so
// that a router can be built: reports.yml declares arrays without items,
// which are read here as arrays of anything. Nothing is loosened beyond that.
func repairSpec(doc *openapi3.T) {
	seen := map[*openapi3.Schema]bool{}
	var walk func(ref *openapi3.SchemaRef)
	walk = func(ref *openapi3.SchemaRef) {
		if ref == nil || ref.Value == nil || seen[ref.Value] {
			return
		}
		s := ref.Value
		seen[s] = true
		if s.Type.Is("array") && s.Items == nil {
			s.Items = openapi3.NewSchemaRef("", openapi3.NewSchema())
		}
		walk(s.Items)
		walk(s.Not)
		for _, p := range s.Properties {
			walk(p)
		}
		for _, group := range [][]*openapi3.SchemaRef{s.OneOf, s.AnyOf, s.AllOf} {
			for _, r := range group {
				walk(r)
			}
		}
		if s.AdditionalProperties.Schema != nil {
			walk(s.AdditionalProperties.Schema)
		}
	}
	for _, ref := range doc.Components.Schemas {
		walk(ref)
	}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				for _, mt := range op.RequestBody.Value.Content {
					walk(mt.Schema)
				}
			}
			for _, resp := range op.Responses.Map() {
				if resp.Value != nil {
					for _, mt := range resp.Value.Content {
						walk(mt.Schema)
					}
				}
			}
		}
	}
}

// specGap is a place where Basiq's published files contradict Basiq's own
// documented behaviour (API.md, with its sources), or where kin-openapi cannot
// read a schema. The simulator follows the documented behaviour; only an
// error line containing Text on a route starting with Route is tolerated.
type specGap struct{ Route, Text, Why string }

var specGaps = []specGap{
	{"POST /token", "unsupported schema of request body", "the form schema has properties but no type: object, which kin-openapi cannot decode"},
	{"GET /jobs/{jobId}", "result\": Value is not nullable", "API.md 9.1 [H]: a step not yet done has result null (the docs' own examples)"},
	{"GET /users/{userId}/jobs", "result\": Value is not nullable", "as above, for the user's job list"},
	{"GET /jobs/{jobId}", "more than one oneOf schemas", "the job schema is a oneOf of overlapping job shapes with no discriminator"},
	{"GET /jobs/{jobId}", "result\": value must be an object", "Basiq's v3 migration guide shows a step's link result as a one-element array; the files, as an object"},
	{"GET /users/{userId}/jobs", "result\": value must be an object", "as above, for the user's job list"},
	{"POST /users/{userId}/connections/{connectionId}/refresh 200", "status is not supported",
		"API.md 7.2 [H]: a refresh while a job runs answers 200 with that job; the file lists 202 only"},
	{"POST /reports", "more than one oneOf schemas", "a filter value is a oneOf of overlapping string schemas"},
	{"GET /events", "value is not one of the allowed values [\"consent\",\"connection\"]",
		"API.md 14.1: user, account and transactions events occur too; the file's own examples use account and transaction"},
	{"GET /events", "data\": value must be a string", "EventsData types data as a string, yet the file's own GET /events/{id} example (and API.md 14.1) carry an object snapshot"},
}

func tolerated(route, line string) bool {
	for _, g := range specGaps {
		if strings.HasPrefix(route, g.Route) && strings.Contains(line, g.Text) {
			return true
		}
	}
	return false
}

func TestContractAgainstOpenAPI(t *testing.T) {
	dir := specDir(t)
	rts := loadRouters(t, dir)
	rec := &recorder{}
	srv, _, clock := simClient(t)
	c, err := basiq.NewClient("contract-key", basiq.WithBaseURL(srv.URL), basiq.WithHTTPClient(&http.Client{Transport: rec}),
		basiq.WithClock(clock.Now), basiq.WithRetryPolicy(basiq.RetryPolicy{MaxAttempts: 1}))
	require.NoError(t, err)
	runContractScenario(t, c, srv, clock)

	checked, skipped := 0, 0
	var failures []string
	for _, ex := range rec.exchanges {
		// GET /users is on a legacy docs page only (API.md 5.5) and /sandbox/ is
		// ours. (kin-openapi's router would match GET /users to /users/{userId}.)
		if ex.path == "/users" && ex.method == "GET" || strings.HasPrefix(ex.path, "/sandbox/") {
			skipped++
			continue
		}
		route, params, ok := findRoute(rts, ex)
		if !ok {
			failures = append(failures, fmt.Sprintf("%s %s: no such route in the OpenAPI files", ex.method, ex.path))
			continue
		}
		checked++
		key := fmt.Sprintf("%s %s %d", ex.method, route.Path, ex.status)
		for _, line := range validateExchange(ex, route, params) {
			if !tolerated(key, line) {
				failures = append(failures, key+": "+line)
			}
		}
	}
	t.Logf("checked %d exchanges against the OpenAPI files, %d on routes the files lack", checked, skipped)
	require.Greater(t, checked, 30)
	require.Empty(t, failures, "\n"+strings.Join(failures, "\n"))
}

func findRoute(rts []routers.Router, ex exchange) (*routers.Route, map[string]string, bool) {
	probe := ex.req.Clone(context.Background())
	probe.URL = &url.URL{Scheme: "https", Host: "au-api.basiq.io", Path: ex.req.URL.Path, RawQuery: ex.req.URL.RawQuery}
	probe.Host = "au-api.basiq.io"
	for _, r := range rts {
		if route, params, err := r.FindRoute(probe); err == nil {
			return route, params, true
		}
	}
	return nil, nil, false
}

// validateExchange returns one line per schema error of the exchange.
func validateExchange(ex exchange, route *routers.Route, params map[string]string) []string {
	ctx := context.Background()
	probe := ex.req.Clone(ctx)
	probe.Body = io.NopCloser(bytes.NewReader(ex.reqBody))
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true, IncludeResponseStatus: true}
	in := &openapi3filter.RequestValidationInput{Request: probe, PathParams: params, Route: route, Options: opts}
	var problems []string
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
		problems = append(problems, errorLines("request", err)...)
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: ex.status, Header: ex.respHeader,
		Body: io.NopCloser(bytes.NewReader(ex.respBody)), Options: opts}
	if ex.status != http.StatusNoContent {
		if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
			problems = append(problems, errorLines("response", err)...)
		}
	}
	return problems
}

// errorLines keeps the first line of each kin-openapi error, without the
// schema dumps that follow it.
func errorLines(side string, err error) []string {
	var out []string
	for _, line := range strings.Split(err.Error(), "\n") {
		line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "|"))
		line = strings.TrimSpace(strings.TrimPrefix(line, "Or "))
		if strings.Contains(line, "Error at") || strings.Contains(line, "doesn't match") || strings.Contains(line, "request body") ||
			strings.Contains(line, "status is not") || strings.Contains(line, "parameter") || strings.Contains(line, "oneOf") {
			out = append(out, side+": "+line)
		}
	}
	if len(out) == 0 {
		out = append(out, side+": "+err.Error())
	}
	return out
}

// runContractScenario drives every client method, including error paths.
func runContractScenario(t *testing.T, c *basiq.Client, srv *basiqtest.Server, clock *manualClock) {
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		require.NoError(t, err)
	}
	u, err := c.CreateUser(ctx, basiq.UserParams{Email: "contract@example.com", Mobile: "+61400100200", FirstName: "Con", LastName: "Tract"})
	must(err)
	_, err = c.GetUser(ctx, u.ID)
	must(err)
	_, err = c.UpdateUser(ctx, u.ID, basiq.UserParams{LastName: "Tracted"})
	must(err)
	_, err = c.CreateAuthLink(ctx, u.ID, "")
	must(err)
	_, err = c.GetAuthLink(ctx, u.ID)
	must(err)
	must(c.DeleteAuthLink(ctx, u.ID))
	_, err = c.GetAuthLink(ctx, u.ID) // 410
	require.Error(t, err)

	res, err := srv.CompleteConsent(u.ID, basiqtest.ConsentRequest{InstitutionID: "AU00000", LoginID: "Whistler", Password: "ShowBox"})
	must(err)
	_, err = c.GetJob(ctx, res.JobIDs[0]) // running
	must(err)
	clock.Advance(15 * time.Second)
	_, err = c.GetJob(ctx, res.JobIDs[0]) // done
	must(err)
	_, err = c.ListConnections(ctx, u.ID, basiq.ListConnectionsOptions{Status: "active"})
	must(err)
	_, err = c.GetConnection(ctx, u.ID, res.ConnectionID)
	must(err)
	job, _, err := c.RefreshConnection(ctx, u.ID, res.ConnectionID)
	must(err)
	_, _, err = c.RefreshConnection(ctx, u.ID, res.ConnectionID) // 200, existing
	must(err)
	_, err = c.ListUserJobs(ctx, u.ID, res.ConnectionID)
	must(err)
	clock.Advance(15 * time.Second)
	_, err = c.GetJob(ctx, job.ID)
	must(err)
	clock.Advance(15 * time.Second)

	accts, err := c.ListAccounts(ctx, u.ID, basiq.ListAccountsOptions{ConnectionID: res.ConnectionID})
	must(err)
	_, err = c.GetAccount(ctx, u.ID, accts.Data[0].ID)
	must(err)
	page, err := c.ListTransactions(ctx, u.ID, basiq.ListTransactionsOptions{AccountID: accts.Data[0].ID,
		From: clock.Now().AddDate(0, -3, 0), To: clock.Now(), PageOptions: basiq.PageOptions{Limit: 20}})
	must(err)
	_, err = c.ListTransactions(ctx, u.ID, basiq.ListTransactionsOptions{PageOptions: basiq.PageOptions{Next: page.Next()}})
	must(err)
	_, err = c.GetTransaction(ctx, u.ID, page.Data[0].ID)
	must(err)

	_, err = c.ListConnectors(ctx, basiq.ListConnectorsOptions{Statuses: []string{"major-outage"}})
	must(err)
	_, err = c.GetConnector(ctx, "AU00000", "web")
	must(err)

	types, err := c.ListReportTypes(ctx)
	must(err)
	_, err = c.GetReportType(ctx, types.Data[0].ID)
	must(err)
	rj, err := c.CreateReport(ctx, basiq.CreateReportParams{ReportType: basiq.ReportConsumerAffordability, Title: "contract",
		Filters: []basiq.ReportFilter{{Name: "fromDate", Value: basiq.Date(clock.Now().AddDate(0, -6, 0))}, {Name: "toDate", Value: basiq.Date(clock.Now())},
			{Name: "users", Value: []string{u.ID}}, {Name: "accounts", Value: []string{accts.Data[0].ID}}}})
	must(err)
	clock.Advance(5 * time.Second)
	rjob, err := c.GetJob(ctx, rj.ID)
	must(err)
	reportID := strings.TrimPrefix(rjob.Steps[0].Result.URL, "/reports/")
	_, err = c.GetReport(ctx, reportID)
	must(err)
	_, err = c.ListReports(ctx, basiq.PageOptions{})
	must(err)
	must(c.DeleteReport(ctx, reportID))

	consents, err := c.ListConsents(ctx, u.ID)
	must(err)
	_, err = c.ListEvents(ctx, basiq.ListEventsOptions{UserID: u.ID}, basiq.PageOptions{})
	must(err)
	_, err = c.ListEventTypes(ctx)
	must(err)
	_, err = c.ListUsers(ctx, basiq.PageOptions{Limit: 5})
	must(err)

	// Error paths: each must answer in the documented envelope.
	_, err = c.GetUser(ctx, "00000000-0000-4000-8000-000000000000")
	require.Error(t, err)
	_, err = c.CreateUser(ctx, basiq.UserParams{Email: "bad"})
	require.Error(t, err)
	_, err = c.GetJob(ctx, "no-such-job")
	require.Error(t, err)

	must(c.PurgeConnection(ctx, u.ID, res.ConnectionID))
	must(c.DeleteConnection(ctx, u.ID, res.ConnectionID))
	must(c.DeleteConsent(ctx, u.ID, consents.Data[0].ID))
	must(c.DeleteUser(ctx, u.ID))
}
