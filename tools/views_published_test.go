package tools_test

import (
	"encoding/json"
	"testing"

	"github.com/basiq-mcp/basiq-mcp/basiq/specfake"
	"github.com/basiq-mcp/basiq-mcp/tools"
	"github.com/basiq-mcp/basiq-mcp/tools/guard"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReportViewsReadBasiqsFields feeds get_report every response Basiq's
// reports file publishes for GET /reports/{id} (its example, its schema
// with and without optional fields, each oneOf branch) and checks that each
// account's balance and available funds, where the response has them, are
// what the view shows: a field read from where Basiq puts it.
func TestReportViewsReadBasiqsFields(t *testing.T) {
	spec := specfake.Require(t)
	op := spec.Find("GET", "/reports/{id}")
	require.NotNil(t, op)
	srv := specfake.NewServer(spec)
	defer srv.Close()
	checked := 0
	for i, v := range op.Variants {
		var body struct {
			Data struct {
				Account  []map[string]any `json:"account"`
				Accounts []map[string]any `json:"accounts"`
			} `json:"data"`
		}
		if json.Unmarshal(v.Body, &body) != nil {
			continue
		}
		want := map[string][2]string{}
		for _, a := range append(body.Data.Account, body.Data.Accounts...) {
			id, _ := a["id"].(string)
			bal, _ := a["balance"].(string)
			avail, _ := a["availableFunds"].(string)
			if id != "" && (bal != "" || avail != "") {
				want[id] = [2]string{bal, avail}
			}
		}
		if len(want) == 0 {
			continue
		}
		srv.Reset()
		srv.Pin(op, i)
		h := harnessAt(t, srv.URL, tools.Options{Toolsets: []string{"all"}}, guard.DefaultPolicy(), t.TempDir()+"/g.db")
		var out struct {
			Accounts []struct {
				ID, Balance    string
				AvailableFunds string `json:"available_funds"`
			}
		}
		h.okValid(t, "get_report", obj{"report_id": "r1"}, &out)
		for _, a := range out.Accounts {
			if w, ok := want[a.ID]; ok {
				assert.Equal(t, w[0], a.Balance, "%s: account %s balance", v.Name, a.ID)
				assert.Equal(t, w[1], a.AvailableFunds, "%s: account %s available funds", v.Name, a.ID)
				checked++
			}
		}
	}
	assert.Positive(t, checked, "some published report has account balances")
	t.Logf("%d accounts checked across %d published responses", checked, len(op.Variants))
}
