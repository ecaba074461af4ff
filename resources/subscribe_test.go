package resources

import (
	"testing"

	"github.com/basiq-mcp/basiq-mcp/tools/guard"
	"github.com/stretchr/testify/assert"
)

func TestChangesReachOnlyCallersWhoMayReadTheCustomer(t *testing.T) {
	t.Parallel()
	reader := func(customers ...string) subscriber {
		return subscriber{caller: guard.Caller{Subject: "agent", Scopes: []string{guard.ScopeRead}, Customers: customers, Bound: true}, hasCaller: true}
	}
	subs := &subscriptions{sessions: map[string]map[string]subscriber{
		"deployment":  {"basiq://users/u-1": {}},
		"bound-to-u1": {"basiq://users/U-1/connections": reader("u-1")},
		"bound-to-u2": {"basiq://users/u-1": reader("u-2")},
		"no-scope":    {"basiq://users/u-1": {caller: guard.Caller{Subject: "x"}, hasCaller: true}},
		"other-uri":   {"basiq://users/u-2": {}},
	}}
	got := map[string]string{}
	for _, tg := range subs.targets("u-1") {
		got[tg.session] = tg.uri
	}
	assert.Equal(t, map[string]string{
		"deployment":  "basiq://users/u-1",
		"bound-to-u1": "basiq://users/U-1/connections",
	}, got)
	assert.Empty(t, subs.targets("u-3"))
}
