package tools_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq/specfake"
	"github.com/basiq-mcp/basiq-mcp/tools"
	"github.com/basiq-mcp/basiq-mcp/tools/guard"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// viewCase checks one tool's view against one operation of Basiq's files:
// for every record the published response holds (under list, or the whole
// body), each field at a Basiq path must be what the view shows.
type viewCase struct {
	tool       string
	args       obj
	method, op string
	list, out  string            // the response's array key ("" for one object) and the result's
	fields     map[string]string // Basiq path (dotted) -> view field
	transform  map[string]func(string) string
}

// stamp is how views write Basiq's times: RFC 3339 in UTC.
func stamp(s string) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	return t.UTC().Format(time.RFC3339)
}

var viewCases = []viewCase{
	{tool: "list_accounts", args: obj{"user_id": "ea3a81"}, method: "GET", op: "/users/{userId}/accounts", list: "data", out: "accounts",
		fields: map[string]string{"balance": "balance", "availableFunds": "available", "currency": "currency", "connection": "connection_id"}},
	{tool: "list_connections", args: obj{"user_id": "ea3a81"}, method: "GET", op: "/users/{userId}/connections", list: "data", out: "connections",
		fields:    map[string]string{"status": "status", "lastUsed": "last_refreshed", "expiryDate": "connection_expiry", "institution.id": "institution_id"},
		transform: map[string]func(string) string{"lastUsed": stamp, "expiryDate": stamp}},
	{tool: "list_transactions", args: obj{"user_id": "ea3a81", "limit": 200}, method: "GET", op: "/users/{userId}/transactions", list: "data", out: "transactions",
		fields: map[string]string{"amount": "amount", "status": "status", "account": "account_id", "enrich.category.anzsic.subclass.title": "category",
			"enrich.category.anzsic.division.title": "category_group"}},
	{tool: "list_consents", args: obj{"user_id": "ea3a81"}, method: "GET", op: "/users/{userId}/consents", list: "data", out: "consents",
		fields: map[string]string{"status": "status", "expiryDate": "expires"}, transform: map[string]func(string) string{"expiryDate": stamp}},
	{tool: "get_user", args: obj{"user_id": "ea3a81"}, method: "GET", op: "/users/{userId}", fields: map[string]string{"email": "email", "mobile": "mobile"}},
}

// at reads a dotted path from a decoded JSON object ("" when absent).
func at(v any, path string) string {
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = m[k]
	}
	s, _ := v.(string)
	return s
}

// TestViewsReadWhereBasiqPutsFields runs each view against every response
// Basiq's files publish for its operation and compares field by field.
func TestViewsReadWhereBasiqPutsFields(t *testing.T) {
	spec := specfake.Require(t)
	srv := specfake.NewServer(spec)
	defer srv.Close()
	for _, vc := range viewCases {
		op := spec.Find(vc.method, vc.op)
		require.NotNil(t, op, vc.op)
		compared := 0
		for i, variant := range op.Variants {
			var body any
			if json.Unmarshal(variant.Body, &body) != nil {
				continue
			}
			records := []any{body}
			if vc.list != "" {
				records, _ = body.(map[string]any)[vc.list].([]any)
			}
			srv.Reset()
			srv.Pin(op, i)
			h := harnessAt(t, srv.URL, tools.Options{Toolsets: []string{"all"}}, guard.DefaultPolicy(), t.TempDir()+"/g.db")
			res := h.call(t, vc.tool, vc.args)
			if res.IsError {
				continue // a response no record can be read from is another test's business
			}
			var out any
			require.NoError(t, json.Unmarshal([]byte(text(res)), &out))
			views := []any{out}
			if vc.out != "" {
				views, _ = out.(map[string]any)[vc.out].([]any)
			}
			byID := map[string]map[string]any{}
			for _, v := range views {
				if m, ok := v.(map[string]any); ok {
					byID[at(m, "id")] = m
				}
			}
			for _, r := range records {
				view, ok := byID[at(r, "id")]
				if !ok {
					continue
				}
				for path, field := range vc.fields {
					want := at(r, path)
					if want == "" {
						continue
					}
					if f := vc.transform[path]; f != nil {
						want = f(want)
					}
					got, _ := view[field].(string)
					assert.Equal(t, want, got, "%s (%s): %s -> %s", vc.tool, variant.Name, path, field)
					compared++
				}
			}
		}
		assert.Positive(t, compared, "%s: no published value was compared", vc.tool)
		t.Logf("%s: %d published values compared", vc.tool, compared)
	}
}
