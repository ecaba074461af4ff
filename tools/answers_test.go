package tools_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/tools"
	"github.com/basiq-mcp/basiq-mcp/tools/guard"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeBasiq answers each "METHOD /path" pattern (http.ServeMux syntax)
// with its status and JSON body; anything else is a 404.
type fakeRoute struct {
	status int
	body   string
}

func fakeBasiq(t *testing.T, routes map[string]fakeRoute) *harness {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, `{"access_token":"t","token_type":"Bearer","expires_in":3600}`)
	})
	for pattern, r := range routes {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(r.status)
			io.WriteString(w, r.body)
		})
	}
	api := httptest.NewServer(mux)
	t.Cleanup(api.Close)
	return harnessAt(t, api.URL, tools.Options{Toolsets: []string{"all"}}, guard.DefaultPolicy(), filepath.Join(t.TempDir(), "g.db"))
}

// TestJobStatesBasiqDoesNotDocument: a step status Basiq may add later
// ("running") and a job with no steps are reported as unknown, by the name
// Basiq sent, never as running; documented values map as before.
func TestJobStatesBasiqDoesNotDocument(t *testing.T) {
	h := fakeBasiq(t, map[string]fakeRoute{
		"GET /jobs/j-new":   {200, `{"type":"job","id":"j-new","steps":[{"title":"verify-credentials","status":"success"},{"title":"retrieve-accounts","status":"running"}]}`},
		"GET /jobs/j-empty": {200, `{"type":"job","id":"j-empty","steps":[]}`},
		"GET /jobs/j-known": {200, `{"type":"job","id":"j-known","steps":[{"title":"verify-credentials","status":"in-progress"},{"title":"retrieve-accounts","status":"pending"}]}`},
	})
	type jobOut struct {
		Status string
		Note   string
		Steps  []struct {
			Status      string
			BasiqStatus string `json:"basiq_status"`
		}
	}
	var job jobOut
	h.okValid(t, "get_job", obj{"job_id": "j-new"}, &job)
	assert.Equal(t, "unknown", job.Status)
	assert.Contains(t, job.Note, `"running"`)
	require.Len(t, job.Steps, 2)
	assert.Equal(t, "unknown", job.Steps[1].Status)
	assert.Equal(t, "running", job.Steps[1].BasiqStatus, "the step keeps the name Basiq gave it")

	job = jobOut{}
	h.okValid(t, "get_job", obj{"job_id": "j-empty", "wait_seconds": 5}, &job)
	assert.Equal(t, "unknown", job.Status, "a job with no steps is not running")
	assert.Contains(t, job.Note, "no steps")

	job = jobOut{}
	h.okValid(t, "get_job", obj{"job_id": "j-known"}, &job)
	assert.Equal(t, "running", job.Status)
	assert.Empty(t, job.Note)
}

// TestExpiriesSayWhoseTheyAre: a connection's own expiry and the
// customer's consent's expiry are two dates, named apart; the diagnosis
// reads the consent's from the consents, not from the connection.
func TestExpiriesSayWhoseTheyAre(t *testing.T) {
	h := newHarness(t, tools.Options{})
	checked := 0
	seen := map[string]bool{}
	for _, c := range h.sim.Connections() {
		if seen[c.UserID] {
			continue
		}
		seen[c.UserID] = true
		var consents struct {
			Consents []struct{ Status, Expires string }
		}
		h.okValid(t, "list_consents", obj{"user_id": c.UserID}, &consents)
		active := ""
		for _, k := range consents.Consents {
			if k.Status == "active" && (active == "" || k.Expires < active) {
				active = k.Expires
			}
		}
		var diag struct {
			Connections []map[string]any
		}
		h.okValid(t, "diagnose_connection", obj{"user_id": c.UserID}, &diag)
		var listed struct{ Connections []map[string]any }
		h.okValid(t, "list_connections", obj{"user_id": c.UserID}, &listed)
		for i, hc := range diag.Connections {
			assert.NotContains(t, listed.Connections[i], "consent_expiry", "a connection's date is not called the consent's")
			if active != "" {
				assert.Equal(t, active, hc["consent_expiry"], "the diagnosis shows the consent's expiry")
				checked++
			}
			assert.Equal(t, listed.Connections[i]["connection_expiry"], hc["connection_expiry"])
		}
	}
	assert.Positive(t, checked, "some customer has an active consent")
}

// TestReportRowsSayWhose: each list_reports row names the customers the
// report covers, from its user or users filter.
func TestReportRowsSayWhose(t *testing.T) {
	h := fakeBasiq(t, map[string]fakeRoute{
		"GET /reports": {200, `{"type":"list","data":[
			{"type":"report","id":"r1","title":"Review","reportType":"CON_AFFOR_01","filters":[{"name":"users","value":["u1","u2"]}]},
			{"type":"report","id":"r2","title":"Statement","reportType":"STATEMENT_01","filters":[{"name":"user","value":"u3"},{"name":"account","value":"a1"}]}]}`},
	})
	var out struct {
		Reports []struct {
			ID      string
			UserIDs []string `json:"user_ids"`
		}
	}
	h.okValid(t, "list_reports", obj{}, &out)
	require.Len(t, out.Reports, 2)
	assert.Equal(t, []string{"u1", "u2"}, out.Reports[0].UserIDs)
	assert.Equal(t, []string{"u3"}, out.Reports[1].UserIDs)
}

// TestConsentLinkNeedsAMobileSaidInToolWords: a user created with an
// email alone gets, from create_auth_link, an error that names the tool's
// own argument, and create_user says up front that a link needs a mobile.
func TestConsentLinkNeedsAMobileSaidInToolWords(t *testing.T) {
	h := newHarness(t, tools.Options{})
	for _, tl := range h.listTools(t) {
		if tl.Name == "create_user" {
			assert.Contains(t, tl.Description, "a consent link needs a mobile")
		}
	}
	var user struct{ ID string }
	h.okValid(t, "create_user", obj{"email": "no-mobile@example.com"}, &user)
	msg := h.fail(t, "create_auth_link", obj{"user_id": user.ID})
	assert.Contains(t, msg, `call create_auth_link again with "mobile"`)
	assert.NotContains(t, msg, "in the body", "no HTTP wording")
	assert.NotContains(t, msg, "answer was lost", "a refusal is not a lost answer")
	var link struct{ URL string }
	h.okValid(t, "create_auth_link", obj{"user_id": user.ID, "mobile": "+61400111555"}, &link)
	assert.NotEmpty(t, link.URL)
}

// TestDiagnosisAdvisesRefreshOnlyForStaleData: a healthy connection
// fetched within the day is "ok" with when it was fetched, not
// "refresh-now" (Basiq refreshes daily itself); older data may be refreshed.
func TestDiagnosisAdvisesRefreshOnlyForStaleData(t *testing.T) {
	h := newHarness(t, tools.Options{})
	fresh, old := 0, 0
	for _, c := range h.sim.Connections() {
		if c.Status != "active" || c.FailCode != "" || c.InstitutionID == "AU00005" || c.InstitutionID == "AU00006" {
			continue
		}
		age := time.Since(c.LastUsed)
		if age < 2*time.Hour || age > 23*time.Hour && age < 25*time.Hour {
			continue // within the cooldown, or too near the line to call
		}
		var diag struct {
			Connections []struct {
				ID, Verdict string
				NextStep    string `json:"next_step"`
			}
		}
		h.okValid(t, "diagnose_connection", obj{"user_id": c.UserID, "connection_id": c.ConnectionID}, &diag)
		require.Len(t, diag.Connections, 1)
		got := diag.Connections[0]
		if age < 24*time.Hour {
			fresh++
			assert.Equal(t, "ok", got.Verdict, "fetched %s ago", age)
			assert.Contains(t, got.NextStep, "instead of refreshing")
		} else if got.Verdict == "refresh-now" {
			old++
			assert.Contains(t, got.NextStep, "stale")
		}
	}
	assert.Positive(t, fresh, "a connection fetched within the day")
	assert.Positive(t, old, "a connection with stale data")
}

// TestRefreshLoopOverCustomersIsStoppedAsBulk: a loop of refresh_connection
// over 20 customers reaches Basiq for at most 3 of them; every later call is
// refused as a bulk refresh, says what to do instead, and offers no retry
// time that would invite the loop to go on.
func TestRefreshLoopOverCustomersIsStoppedAsBulk(t *testing.T) {
	h := newHarness(t, tools.Options{})
	seen := map[string]bool{}
	var targets []obj
	for _, c := range h.sim.Connections() {
		if !seen[c.UserID] && len(targets) < 20 {
			seen[c.UserID] = true
			targets = append(targets, obj{"user_id": c.UserID, "connection_id": c.ConnectionID})
		}
	}
	require.Len(t, targets, 20)
	bulk := 0
	for i, args := range targets {
		res := h.call(t, "refresh_connection", args)
		msg := text(res)
		if i >= 3 {
			assert.True(t, res.IsError, "customer %d: %s", i+1, msg)
			assert.Contains(t, msg, "bulk refresh", "customer %d", i+1)
			assert.Contains(t, msg, "support_queue")
			assert.NotContains(t, msg, "will be allowed from", "no retry time invites the loop to go on")
		}
		if strings.Contains(msg, "bulk refresh") {
			bulk++
		}
	}
	assert.Equal(t, 17, bulk)
	refreshed := map[string]bool{}
	for _, c := range h.sim.Connections() {
		if h.sim.RefreshRequests(c.ConnectionID) > 0 {
			refreshed[c.UserID] = true
		}
	}
	assert.LessOrEqual(t, len(refreshed), 3, "at most 3 customers' connections reached Basiq")
	assert.NotContains(t, text(h.call(t, "refresh_connection", targets[0])), "bulk refresh", "a customer already in the window is not a new one")
}

// TestTotalsNameWhatTheyCouldNotUse: a row whose amount cannot be read is
// named and left out of the totals (never counted as zero), and a next page
// that cannot be read marks that part of the answer while the totals of
// what was read still come back, blaming Basiq's data, not the arguments.
func TestTotalsNameWhatTheyCouldNotUse(t *testing.T) {
	h := fakeBasiq(t, map[string]fakeRoute{
		"GET /users/u1/transactions": {200, `{"type":"list","data":[
			{"type":"transaction","id":"t1","status":"posted","description":"GROCER","amount":"-10.00","class":"payment","postDate":"2026-11-02T00:00:00Z","transactionDate":"2026-11-02T00:00:00Z",
			 "enrich":{"tags":["card:4615"],"category":{"anzsic":{"division":{"code":"G","title":"Retail Trade"},"subclass":{"code":"4110","title":"Supermarket and Grocery Stores"}}}}},
			{"type":"transaction","id":"t2","status":"posted","description":"SALARY","amount":"2500.00","class":"transfer","postDate":"2026-11-01T00:00:00Z","transactionDate":"2026-11-01T00:00:00Z",
			 "enrich":{"tags":["income:salary"],"category":{"mcc":{"code":"0000","title":"Payroll"}}}},
			{"type":"transaction","id":"t3","status":"posted","description":"CAFE","amount":"twelve dollars","class":"payment","postDate":"2026-11-03T00:00:00Z","transactionDate":"2026-11-03T00:00:00Z",
			 "subClass":{"code":"451","title":"Cafes and Restaurants"}}],
			"links":{"next":"https://elsewhere.example/users/u1/transactions?page=2"}}`},
	})
	var rows struct {
		Transactions []struct{ ID, Category string }
		Summary      struct {
			Count           int
			Debits, Credits string
		}
		Unusable []string `json:"unusable"`
	}
	h.okValid(t, "list_transactions", obj{"user_id": "u1"}, &rows)
	require.Len(t, rows.Transactions, 3, "every row is listed")
	assert.Equal(t, "Supermarket and Grocery Stores", rows.Transactions[0].Category, "ANZSIC subclass, never a tag")
	assert.Equal(t, "Payroll", rows.Transactions[1].Category, "then the MCC title")
	assert.Equal(t, "Cafes and Restaurants", rows.Transactions[2].Category, "then the subClass")
	assert.Equal(t, "-10.00", rows.Summary.Debits, "the unreadable amount is not counted as zero")
	require.Len(t, rows.Unusable, 1)
	assert.Contains(t, rows.Unusable[0], "t3")

	var cats struct {
		Categories []struct {
			Category, Group, Total string
			Count                  int
		}
		Unusable []string `json:"unusable"`
		Note     string
	}
	h.okValid(t, "list_transactions", obj{"user_id": "u1", "by_category": true}, &cats)
	names := map[string]string{}
	for _, c := range cats.Categories {
		names[c.Category] = c.Total
		assert.NotContains(t, c.Category, "card:", "card digits never become a category")
		assert.NotContains(t, c.Category, "income:")
	}
	assert.Equal(t, "-10.00", names["Supermarket and Grocery Stores"])
	assert.Equal(t, "2500.00", names["Payroll"])
	assert.NotContains(t, names, "Cafes and Restaurants", "a row with no readable amount makes no total")
	assert.GreaterOrEqual(t, len(cats.Unusable), 2, "the unreadable row and the unread page are both named")
	joined := strings.Join(cats.Unusable, " | ")
	assert.Contains(t, joined, "t3")
	assert.Contains(t, joined, "page")
	assert.NotContains(t, joined+cats.Note, "Invalid arguments", "Basiq's bad link is not the caller's arguments")

	var grocer struct{ Transactions []struct{ ID string } }
	h.okValid(t, "list_transactions", obj{"user_id": "u1", "category": "grocery"}, &grocer)
	require.Len(t, grocer.Transactions, 1, "the category filter matches ANZSIC titles")
	assert.Equal(t, "t1", grocer.Transactions[0].ID)
}

// TestOneFailingCustomerDoesNotSinkTheList: a 503 for one customer's
// connections marks that customer's row; the others are answered.
func TestOneFailingCustomerDoesNotSinkTheList(t *testing.T) {
	user := func(id, name string) string {
		return `{"type":"user","id":"` + id + `","firstName":"` + name + `","email":"` + id + `@example.com"}`
	}
	h := fakeBasiq(t, map[string]fakeRoute{
		"GET /users":                {200, `{"type":"list","data":[` + user("u1", "Ann") + `,` + user("u2", "Bob") + `,` + user("u3", "Cy") + `]}`},
		"GET /users/u1/connections": {200, `{"type":"list","data":[{"type":"connection","id":"c1","status":"active"}]}`},
		"GET /users/u2/connections": {503, `{"type":"list","correlationId":"x","data":[{"type":"error","code":"service-unavailable","title":"Service Unavailable","detail":"try later"}]}`},
		"GET /users/u3/connections": {200, `{"type":"list","data":[{"type":"connection","id":"c3","status":"invalid"}]}`},
		"GET /users/u1/accounts":    {200, `{"type":"list","data":[]}`},
		"GET /users/u3/accounts":    {200, `{"type":"list","data":[]}`},
		"GET /users/u1/jobs":        {200, `{"type":"list","data":[]}`},
		"GET /users/u3/jobs":        {200, `{"type":"list","data":[]}`},
		"GET /users/u1/consents":    {200, `{"type":"list","data":[]}`},
		"GET /users/u3/consents":    {200, `{"type":"list","data":[]}`},
	})
	var out struct {
		Users []struct {
			ID             string
			Connections    int
			NeedsAttention int `json:"needs_attention"`
			Unread         string
		}
	}
	h.okValid(t, "list_users", obj{"query": "example.com"}, &out)
	require.Len(t, out.Users, 3, "the failing customer does not sink the list")
	byID := map[string]int{}
	for i, u := range out.Users {
		byID[u.ID] = i
	}
	assert.Equal(t, 1, out.Users[byID["u1"]].Connections)
	assert.Contains(t, out.Users[byID["u2"]].Unread, "503", "the failing customer's row says why")
	assert.Equal(t, 1, out.Users[byID["u3"]].NeedsAttention)

	var queue queueOut
	h.okValid(t, "support_queue", obj{}, &queue)
	require.Len(t, queue.Rows, 1)
	assert.Equal(t, "u3", queue.Rows[0].UserID)
	assert.Equal(t, []string{"u2"}, queue.Index.Unreadable, "the queue names the customer it could not read: nobody can say they are fine")
	assert.Contains(t, queue.Note, "could not be read")
}

// TestPendingTransactionsInADateRange: a customer's pending transactions
// (no post date) are in a date range that covers their transaction date,
// whatever to_date says, and the result says how they were chosen.
func TestPendingTransactionsInADateRange(t *testing.T) {
	h := newHarness(t, tools.Options{})
	type page struct {
		Transactions []struct{ ID, Status, Date string }
		Note         string
		NextCursor   string `json:"next_cursor"`
	}
	for _, c := range h.sim.Connections() {
		var pending page
		h.okValid(t, "list_transactions", obj{"user_id": c.UserID, "status": "pending", "limit": 200}, &pending)
		if len(pending.Transactions) == 0 {
			continue
		}
		from := time.Now().AddDate(0, 0, -30).Format(time.DateOnly)
		to := time.Now().Format(time.DateOnly)
		var ranged page
		h.okValid(t, "list_transactions", obj{"user_id": c.UserID, "from_date": from, "to_date": to, "limit": 200}, &ranged)
		got := 0
		for _, tx := range ranged.Transactions {
			if tx.Status == "pending" {
				got++
			}
		}
		assert.Equal(t, len(pending.Transactions), got, "every pending transaction of the last 30 days is in the range")
		assert.Contains(t, ranged.Note, "chosen by their transaction date")
		var only page
		h.okValid(t, "list_transactions", obj{"user_id": c.UserID, "status": "pending", "from_date": from, "to_date": to}, &only)
		assert.Len(t, only.Transactions, len(pending.Transactions), "status pending with dates is not empty")
		var older page
		h.okValid(t, "list_transactions", obj{"user_id": c.UserID, "status": "pending", "to_date": time.Now().AddDate(0, 0, -20).Format(time.DateOnly)}, &older)
		assert.Empty(t, older.Transactions, "pending rows are recent: none before 20 days ago")
		return
	}
	t.Fatal("no customer with pending transactions")
}
