package guard_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/basiq-mcp/basiq-mcp/tools/guard"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCallerKeysAreUnambiguous: two callers never share a key (and so a
// quota), whatever their client ids and subjects contain.
func TestCallerKeysAreUnambiguous(t *testing.T) {
	a := guard.Caller{ClientID: "bot|x", Subject: "agent"}
	b := guard.Caller{ClientID: "bot", Subject: "x|agent"}
	assert.NotEqual(t, a.Key(), b.Key())
	assert.Equal(t, a.Key(), guard.Caller{ClientID: "bot|x", Subject: "agent", Scopes: []string{"basiq:read"}}.Key(), "scopes are not identity")
}

// TestBindingNeverFailsOpen: an unbound caller reaches everyone, a bound
// one its own customers (ids compared as Basiq does, case-insensitively),
// and a caller bound to none (a null claim) nobody.
func TestBindingNeverFailsOpen(t *testing.T) {
	assert.True(t, guard.Caller{}.MayReach("u1"))
	own := guard.Caller{Bound: true, Customers: []string{"AbC1"}}
	assert.True(t, own.MayReach("abc1"))
	assert.False(t, own.MayReach("u2"))
	assert.False(t, own.MayReach(""))
	assert.False(t, guard.Caller{Bound: true}.MayReach("u1"))

	access := guard.NewAccess(nil)
	ctx := guard.WithCaller(context.Background(), guard.Caller{Bound: true, Scopes: []string{guard.ScopeRead}})
	assert.Error(t, access.Admit(ctx, guard.Ask{Entry: "get_user", Scope: guard.ScopeRead, UserID: "u1"}))
	assert.Error(t, access.Admit(ctx, guard.Ask{Entry: "list_accounts", Scope: guard.ScopeRead}), "naming no customer is refused to a bound caller")
	assert.NoError(t, access.Admit(ctx, guard.Ask{Entry: "list_connectors", Scope: guard.ScopeRead, Reach: guard.ReachNone}))
	assert.NoError(t, access.Admit(context.Background(), guard.Ask{Entry: "get_user", Scope: guard.ScopeRead, UserID: "u1"}), "the deployment's own request")
}

// TestAuditCleansCallerIdentity: a token's subject with bidi or control
// characters is written to the audit without them, as Basiq's text is.
func TestAuditCleansCallerIdentity(t *testing.T) {
	var out bytes.Buffer
	audit, err := guard.OpenAuditTo(t.TempDir(), []string{"stdout"}, &out, &out)
	require.NoError(t, err)
	ctx := guard.WithCaller(context.Background(), guard.Caller{Subject: "agent\u202e7\x1b[31m\u200b", ClientID: "bot\r\nforged"})
	require.NoError(t, audit.Record(guard.Entry{Tool: "get_user", Decision: "read"}.By(ctx)))
	assert.Contains(t, out.String(), `"subject":"agent7[31m","clientId":"bot forged"`)
	assert.NotContains(t, out.String(), `\u202e`)
}
