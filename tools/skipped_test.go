package tools_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/basiq-mcp/basiq-mcp/tools"
	"github.com/basiq-mcp/basiq-mcp/tools/guard"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOneUnreadableRecordNeverFailsAPage: the rest of the page comes back,
// the result says which record was left out and why, and five such pages in
// a row do not open the circuit breaker (Basiq answered each time).
func TestOneUnreadableRecordNeverFailsAPage(t *testing.T) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/token":
			io.WriteString(w, `{"access_token":"t","token_type":"Bearer","expires_in":3600}`)
			return
		case strings.Contains(r.URL.Path, "/connections/"):
			io.WriteString(w, `"a body no connection can be read from"`)
			return
		}
		io.WriteString(w, `{"type":"list","data":[{"type":"account","id":"a1","name":"Everyday","balance":12.5,"class":"transaction"},"not an account",{"type":"account","id":"a2","lastUpdated":1234}]}`)
	}))
	t.Cleanup(api.Close)
	h := harnessAt(t, api.URL, tools.Options{Toolsets: []string{"all"}}, guard.DefaultPolicy(), filepath.Join(t.TempDir(), "g.db"))
	for range 6 {
		var out struct {
			Accounts []tools.AccountView
			Skipped  []string
		}
		h.okValid(t, "list_accounts", obj{"user_id": "u1"}, &out)
		require.Len(t, out.Accounts, 2, "the readable records come back")
		assert.Equal(t, "12.5", out.Accounts[0].Balance, "a number where Basiq's files allow one")
		assert.Equal(t, "transaction", out.Accounts[0].Type, "a class given as a bare string")
		require.Len(t, out.Skipped, 1)
		assert.True(t, strings.HasPrefix(out.Skipped[0], "account #1 could not be read and is left out: the record is not a JSON object"), out.Skipped[0])
	}
	for range 6 {
		msg := h.fail(t, "get_connection", obj{"user_id": "u1", "connection_id": "c1"})
		assert.Contains(t, msg, "malformed response body")
		assert.NotContains(t, msg, "not answering", "Basiq answered: the breaker stays closed")
	}
	var out struct{ Accounts []tools.AccountView }
	h.okValid(t, "list_accounts", obj{"user_id": "u1"}, &out)
}
