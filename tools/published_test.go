package tools_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/basiq-mcp/basiq-mcp/basiq/specfake"
	"github.com/basiq-mcp/basiq-mcp/tools"
	"github.com/basiq-mcp/basiq-mcp/tools/guard"
	"github.com/stretchr/testify/require"
)

// toolCase is one tool call against a Basiq built from the published files;
// confirm runs the second step of a two-step tool.
type toolCase struct {
	name    string
	args    obj
	confirm bool
	// idFrom names a list tool and field whose first item's id completes
	// args (a consent id is only valid if the user's list shows it).
	idFrom *idSource
	// refusal, when set, is a tool error that is the right answer for some
	// published responses (answer_mfa: Basiq's example jobs belong to other
	// users than any one user_id, and the tool refuses a job of another).
	refusal string
}

type idSource struct{ tool, list, arg string }

// publishedCases call every tool with ids shaped like Basiq's own examples.
var publishedCases = []toolCase{
	{name: "support_queue", args: obj{"within_days": 30}},
	{name: "list_users", args: obj{"query": "gavin@"}},
	{name: "get_user", args: obj{"user_id": "ea3a81"}},
	{name: "create_user", args: obj{"email": "gavin@hooli.com", "first_name": "Gavin"}},
	{name: "create_auth_link", args: obj{"user_id": "ea3a81"}},
	{name: "get_auth_link", args: obj{"user_id": "ea3a81"}},
	{name: "list_connections", args: obj{"user_id": "ea3a81", "status": "active"}},
	{name: "get_connection", args: obj{"user_id": "ea3a81", "connection_id": "8fce3b"}},
	{name: "diagnose_connection", args: obj{"user_id": "ea3a81"}},
	{name: "refresh_connection", args: obj{"user_id": "ea3a81", "connection_id": "8fce3b"}},
	{name: "refresh_connection", args: obj{"user_id": "ea3a81", "connection_id": "8fce3b", "dry_run": true}},
	{name: "refresh_all_connections", args: obj{"user_id": "ea3a81"}},
	{name: "get_job", args: obj{"job_id": "e9132638"}},
	{name: "list_user_jobs", args: obj{"user_id": "ea3a81"}},
	{name: "answer_mfa", args: obj{"user_id": "ea3a81", "job_id": "e9132638", "code": "123456"}, refusal: "belongs to another customer"},
	{name: "list_connectors", args: obj{}},
	{name: "check_connector_status", args: obj{"connector_id": "AU00000"}},
	{name: "list_accounts", args: obj{"user_id": "ea3a81"}},
	{name: "list_transactions", args: obj{"user_id": "ea3a81", "limit": 50}},
	{name: "get_transaction", args: obj{"user_id": "ea3a81", "transaction_id": "2082c765"}},
	{name: "list_report_types", args: obj{}},
	{name: "create_report", args: obj{"report_type": "CON_AFFOR_01", "title": "Affordability", "user_id": "ea3a81", "from_date": "2023-01-01", "to_date": "2023-12-31"}},
	{name: "get_report", args: obj{"report_id": "e1956419"}},
	{name: "list_reports", args: obj{}},
	{name: "list_consents", args: obj{"user_id": "ea3a81"}},
	{name: "purge_connection", args: obj{"user_id": "ea3a81", "connection_id": "8fce3b"}, confirm: true},
	{name: "delete_connection", args: obj{"user_id": "ea3a81", "connection_id": "8fce3b"}, confirm: true},
	{name: "delete_user", args: obj{"user_id": "ea3a81"}, confirm: true},
	{name: "delete_auth_link", args: obj{"user_id": "ea3a81"}, confirm: true},
	{name: "delete_consent", args: obj{"user_id": "ea3a81"}, confirm: true, idFrom: &idSource{"list_consents", "consents", "consent_id"}},
	{name: "delete_report", args: obj{"report_id": "e1956419"}, confirm: true},
}

// TestEveryToolWorksAgainstPublishedResponses runs each tool through an MCP
// client against a Basiq that answers only with what Basiq's OpenAPI files
// publish. The tool runs once with each operation's first response to learn
// which operations it calls; then, for each of those operations, once per
// response the files allow (every example, the schema with and without its
// optional fields, each oneOf branch). Any tool error fails the test.
func TestEveryToolWorksAgainstPublishedResponses(t *testing.T) {
	spec := specfake.Require(t)
	srv := specfake.NewServer(spec)
	defer srv.Close()
	opts := tools.Options{Toolsets: []string{"all"}, AllowDestructive: true}
	covered, runs := map[string]bool{}, 0
	for _, tc := range publishedCases {
		srv.Reset()
		runPublished(t, srv.URL, opts, tc, "first responses")
		for _, op := range srv.Hits() {
			covered[op.Key()] = true
			for i, v := range op.Variants[1:] {
				srv.Reset()
				srv.Pin(op, i+1)
				runPublished(t, srv.URL, opts, tc, fmt.Sprintf("%s answered with %s", op.Key(), v.Name))
				runs++
			}
		}
	}
	named := map[string]bool{}
	for _, tc := range publishedCases {
		named[tc.name] = true
	}
	all := tools.Inventory(&tools.Deps{SearchDocs: fakeSearch})
	for _, tl := range all {
		if tl.Def.Name != "search_docs" { // reads our own guides, not Basiq
			require.True(t, named[tl.Def.Name], "tool %s has no case against the published responses", tl.Def.Name)
		}
	}
	t.Logf("%d tool cases, %d operations reached, %d runs with other published responses", len(publishedCases), len(covered), runs)
}

// runPublished calls one case on a fresh server and state, so that one
// run's refresh or confirmation cannot decide the next.
func runPublished(t *testing.T, baseURL string, opts tools.Options, tc toolCase, what string) {
	t.Helper()
	h := harnessAt(t, baseURL, opts, guard.DefaultPolicy(), filepath.Join(t.TempDir(), "guard.db"))
	args := obj{}
	for k, v := range tc.args {
		args[k] = v
	}
	if src := tc.idFrom; src != nil {
		var list map[string][]struct{ ID string }
		h.ok(t, src.tool, tc.args, &list)
		if len(list[src.list]) == 0 {
			return // nothing to act on in this response
		}
		args[src.arg] = list[src.list][0].ID
	}
	res := h.call(t, tc.name, args)
	if res.IsError && (tc.refusal == "" || !strings.Contains(text(res), tc.refusal)) {
		t.Errorf("%s (%s): %s", tc.name, what, text(res))
		return
	}
	if !tc.confirm {
		return
	}
	var preview struct {
		ConfirmationToken string `json:"confirmation_token"`
	}
	require.NoError(t, json.Unmarshal([]byte(text(res)), &preview))
	require.NotEmpty(t, preview.ConfirmationToken, "%s (%s): no confirmation token in %s", tc.name, what, text(res))
	args["confirmation_token"] = preview.ConfirmationToken
	res = h.call(t, tc.name, args)
	if res.IsError {
		t.Errorf("%s confirmed (%s): %s", tc.name, what, text(res))
	}
}
