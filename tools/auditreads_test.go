package tools_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/basiq-mcp/basiq-mcp/tools"
	"github.com/basiq-mcp/basiq-mcp/tools/guard"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAuditReadsRecordsWhoReadWhat: with AuditReads, a read of a customer's
// data leaves who-read-what in the audit (tool, customer, object, outcome)
// and never the data; reads of no customer's data leave nothing.
func TestAuditReadsRecordsWhoReadWhat(t *testing.T) {
	h := newHarness(t, tools.Options{})
	h.deps.AuditReads = true
	var users struct {
		Users []struct{ ID string } `json:"users"`
	}
	h.ok(t, "list_users", obj{"query": "whistler"}, &users)
	require.NotEmpty(t, users.Users)
	user := users.Users[0].ID
	var page struct {
		Transactions []struct{ Description string } `json:"transactions"`
	}
	h.ok(t, "list_transactions", obj{"user_id": user, "limit": 5}, &page)
	require.NotEmpty(t, page.Transactions)
	h.fail(t, "get_user", obj{"user_id": "nosuchuser"})
	before := h.audit.String()
	h.ok(t, "list_connectors", obj{"query": "hooli"}, &struct{}{})
	assert.Equal(t, before, h.audit.String(), "connectors are nobody's data")

	log := h.audit.String()
	assert.Contains(t, log, `"tool":"list_users","target":"customer-search","decision":"read"`)
	assert.Contains(t, log, `"tool":"list_transactions","userId":"`+user+`","decision":"read"`)
	assert.Contains(t, log, `"tool":"get_user","userId":"nosuchuser","decision":"read-failed"`)
	assert.NotContains(t, log, "whistler", "the search text may be an email: not kept")
	for _, tx := range page.Transactions {
		assert.NotContains(t, log, tx.Description, "no transaction data in the audit")
	}
}

// TestAuditReadsFailClosed: when the audit cannot be written, the read's
// result is withheld rather than handed over without a trace.
func TestAuditReadsFailClosed(t *testing.T) {
	h := newHarness(t, tools.Options{})
	var users struct {
		Users []struct{ ID string } `json:"users"`
	}
	h.ok(t, "list_users", obj{"query": "whistler"}, &users)
	require.NotEmpty(t, users.Users)
	h.deps.Audit = guard.NewAudit(brokenWriter{})
	h.ok(t, "get_user", obj{"user_id": users.Users[0].ID}, &struct{}{}) // reads are not audited by default
	h.deps.AuditReads = true
	msg := h.fail(t, "get_user", obj{"user_id": users.Users[0].ID})
	assert.True(t, strings.Contains(msg, "withheld"), msg)
}

type brokenWriter struct{}

func (brokenWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }
