package tools_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/tools"
	"github.com/basiq-mcp/basiq-mcp/tools/guard"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type reportOut struct {
	Type   string
	Period struct {
		From, To      string
		Months        int
		CoveredMonths int `json:"covered_months"`
	}
	Accounts []struct {
		ID             string
		Balance        string
		AvailableFunds string `json:"available_funds"`
		BalanceAsOf    string `json:"balance_as_of"`
	}
	Groups []struct {
		ID, Total string
		Monthly   string `json:"monthly_average"`
	}
	PDF, Note string
}

func finishedReport(t *testing.T, h *harness, args obj) reportOut {
	t.Helper()
	var created struct {
		JobID string `json:"job_id"`
	}
	h.okValid(t, "create_report", args, &created)
	var waited waitedJob
	h.okValid(t, "get_job", obj{"job_id": created.JobID, "wait_seconds": 60}, &waited)
	require.Equal(t, "succeeded", waited.Status)
	var r reportOut
	h.okValid(t, "get_report", obj{"report_id": waited.ReportID}, &r)
	assert.Equal(t, "basiq://reports/"+waited.ReportID+"/pdf", r.PDF, "the PDF is offered")
	return r
}

// TestAffordabilityReportsSayWhatTheDataCovers: a window wider than the
// data is reported with the months actually covered, and group averages are
// taken over those, not over empty months.
func TestAffordabilityReportsSayWhatTheDataCovers(t *testing.T) {
	h := newHarness(t, tools.Options{})
	user := h.sim.Connections()[2].UserID
	from := time.Now().AddDate(-2, 0, 0).Format(time.DateOnly)
	r := finishedReport(t, h, obj{"report_type": "CON_AFFOR_01", "title": "Two years", "user_id": user, "from_date": from})
	assert.Equal(t, from, r.Period.From)
	assert.InDelta(t, 24, r.Period.Months, 1)
	assert.InDelta(t, 12, r.Period.CoveredMonths, 1, "the simulator keeps about a year of data")
	assert.Contains(t, r.Note, "covers")
	require.NotEmpty(t, r.Groups)
	var checked int
	for _, g := range r.Groups {
		total, monthly := cents(t, g.Total), cents(t, g.Monthly)
		if total/int64(r.Period.CoveredMonths) != 0 {
			assert.Equal(t, total/int64(r.Period.CoveredMonths), monthly, "group %s: averaged over the covered months", g.ID)
			checked++
		}
	}
	assert.Positive(t, checked)

	future := time.Now().AddDate(0, 0, 3).Format(time.DateOnly)
	msg := h.fail(t, "create_report", obj{"report_type": "CON_AFFOR_01", "title": "x", "user_id": user, "from_date": from, "to_date": future})
	assert.Contains(t, msg, "in the future")
}

func TestStatementReportIsRendered(t *testing.T) {
	h := newHarness(t, tools.Options{})
	user := h.sim.Connections()[2].UserID
	var accounts struct{ Accounts []tools.AccountView }
	h.okValid(t, "list_accounts", obj{"user_id": user}, &accounts)
	require.NotEmpty(t, accounts.Accounts)
	from := time.Now().AddDate(0, -3, 0).Format(time.DateOnly)
	r := finishedReport(t, h, obj{"report_type": "STATEMENT_01", "title": "Statement", "user_id": user, "from_date": from, "account_id": accounts.Accounts[0].ID})
	assert.Equal(t, "STATEMENT_01", r.Type)
	require.Len(t, r.Accounts, 1)
	assert.Equal(t, accounts.Accounts[0].ID, r.Accounts[0].ID)
	assert.Equal(t, accounts.Accounts[0].Balance, r.Accounts[0].Balance, "the statement's balance is the account's")
	assert.NotEmpty(t, r.Accounts[0].AvailableFunds)
	assert.NotEmpty(t, r.Accounts[0].BalanceAsOf)
	assert.Contains(t, r.Note, "list_transactions")
}

func TestReportTypesSayWhichCanBeCreated(t *testing.T) {
	h := newHarness(t, tools.Options{})
	var types struct {
		Types []struct {
			ID        string
			Creatable bool
			Note      string
		}
	}
	h.okValid(t, "list_report_types", obj{}, &types)
	seen := map[string]bool{}
	for _, rt := range types.Types {
		seen[rt.ID] = rt.Creatable
		if !rt.Creatable {
			assert.Contains(t, rt.Note, "create_report makes", rt.ID)
		}
	}
	assert.True(t, seen["CON_AFFOR_01"] && seen["STATEMENT_01"])
	assert.Contains(t, seen, "BUS_AFFOR_01")
	assert.False(t, seen["BUS_AFFOR_01"], "listed, marked not creatable")
}

// TestAffordabilityLeavesOutStatementAccounts: Basiq refuses accounts from
// PDF or CSV statements in CON_AFFOR_01, so they are left out of the default
// and refused by name when asked for. (The simulator has no statement
// uploads, so a small Basiq stands in here.)
func TestAffordabilityLeavesOutStatementAccounts(t *testing.T) {
	var mu sync.Mutex
	var posted []byte
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/token":
			io.WriteString(w, `{"access_token":"t","token_type":"Bearer","expires_in":3600}`)
		case strings.HasSuffix(r.URL.Path, "/accounts"):
			io.WriteString(w, `{"type":"list","data":[{"id":"a-bank","connection":"c-web"},{"id":"a-pdf","connection":"c-pdf"}]}`)
		case strings.HasSuffix(r.URL.Path, "/connections"):
			io.WriteString(w, `{"type":"list","data":[{"id":"c-web","method":"web","status":"active"},{"id":"c-pdf","method":"pdf","status":"active"}]}`)
		case r.URL.Path == "/reports" && r.Method == http.MethodPost:
			mu.Lock()
			posted, _ = io.ReadAll(r.Body)
			mu.Unlock()
			w.WriteHeader(http.StatusAccepted)
			io.WriteString(w, `{"type":"job","id":"j1"}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(api.Close)
	h := harnessAt(t, api.URL, tools.Options{Toolsets: []string{"all"}}, guard.DefaultPolicy(), filepath.Join(t.TempDir(), "g.db"))
	args := obj{"report_type": "CON_AFFOR_01", "title": "t", "user_id": "u1", "from_date": "2026-01-01"}
	h.okValid(t, "create_report", args, &struct{}{})
	var body struct {
		Filters []struct {
			Name  string
			Value any
		}
	}
	mu.Lock()
	require.NoError(t, json.Unmarshal(posted, &body))
	mu.Unlock()
	for _, f := range body.Filters {
		if f.Name == "accounts" {
			assert.Equal(t, []any{"a-bank"}, f.Value)
		}
	}
	args["account_ids"] = []any{"a-bank", "a-pdf"}
	assert.Contains(t, h.fail(t, "create_report", args), "a-pdf comes from a pdf statement")
}

func cents(t *testing.T, s string) int64 {
	t.Helper()
	v, err := basiq.ParseAmount(s)
	require.NoError(t, err, s)
	return v
}
