package resources

import (
	"context"
	"encoding/json"
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

// TestQueueSubscribersHearOnlyOfTheirCustomers: a change to a customer
// reaches the sessions subscribed to the support queue whose callers may
// read that customer.
func TestQueueSubscribersHearOnlyOfTheirCustomers(t *testing.T) {
	t.Parallel()
	bound := func(customers ...string) subscriber {
		return subscriber{caller: guard.Caller{Subject: "agent", Scopes: []string{guard.ScopeRead}, Customers: customers, Bound: true}, hasCaller: true}
	}
	subs := &subscriptions{sessions: map[string]map[string]subscriber{
		"deployment":  {QueueURI: {}},
		"bound-to-u1": {QueueURI: bound("u-1")},
		"bound-to-u2": {QueueURI: bound("u-2")},
	}}
	got := map[string]string{}
	for _, tg := range subs.targets("u-1") {
		got[tg.session] = tg.uri
	}
	assert.Equal(t, map[string]string{"deployment": QueueURI, "bound-to-u1": QueueURI}, got)
}

// TestSubscriptionsPassTheCallerPolicy: a bound caller may subscribe to
// its own customers' resources and to the queue, not to another
// customer's (by either way of subscribing); a caller without basiq:read
// to none; other requests pass untouched.
func TestSubscriptionsPassTheCallerPolicy(t *testing.T) {
	t.Parallel()
	set := &Set{access: guard.NewAccess(&guard.BasiqOwners{})} // no job or report is named: Basiq is never asked
	bound := guard.WithCaller(context.Background(), guard.Caller{Subject: "agent", Scopes: []string{guard.ScopeRead}, Customers: []string{"u-1"}, Bound: true})
	noScope := guard.WithCaller(context.Background(), guard.Caller{Subject: "x"})
	subscribe := func(uri string) json.RawMessage {
		return json.RawMessage(`{"jsonrpc":"2.0","id":1,"method":"resources/subscribe","params":{"uri":"` + uri + `"}}`)
	}
	listen := func(uris ...string) json.RawMessage {
		b, _ := json.Marshal(uris)
		return json.RawMessage(`{"jsonrpc":"2.0","id":1,"method":"subscriptions/listen","params":{"notifications":{"resourceSubscriptions":` + string(b) + `}}}`)
	}
	assert.NoError(t, set.admitSubscription(bound, 1, subscribe("basiq://users/u-1")))
	assert.NoError(t, set.admitSubscription(bound, 1, subscribe("basiq://users/U-1/connections")))
	assert.NoError(t, set.admitSubscription(bound, 1, subscribe(QueueURI)))
	assert.NoError(t, set.admitSubscription(bound, 1, subscribe("basiq://docs/getting-started")))
	err := set.admitSubscription(bound, 1, subscribe("basiq://users/u-2"))
	assert.ErrorContains(t, err, "subscription to basiq://users/u-2 refused")
	assert.Error(t, set.admitSubscription(bound, 1, listen("basiq://users/u-1", "basiq://users/u-2/connections")))
	assert.NoError(t, set.admitSubscription(bound, 1, listen("basiq://users/u-1", QueueURI)))
	assert.Error(t, set.admitSubscription(noScope, 1, subscribe(QueueURI)), "the queue needs basiq:read")
	assert.NoError(t, set.admitSubscription(context.Background(), 1, subscribe("basiq://users/u-2")), "the deployment's own requests")
	assert.NoError(t, set.admitSubscription(bound, 1, json.RawMessage(`{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"basiq://users/u-2"}}`)),
		"a read is the resource middleware's to refuse")
	for _, escaped := range []string{`resources\/subscribe`, `resources/\u0073ubscribe`, `\u0073ubscriptions/listen`} {
		msg := `{"jsonrpc":"2.0","id":1,"method":"` + escaped + `","params":{"uri":"basiq://users/u-2","notifications":{"resourceSubscriptions":["basiq://users/u-2"]}}}`
		assert.Error(t, set.admitSubscription(bound, 1, json.RawMessage(msg)), "a method spelt with JSON escapes is the same method: %s", escaped)
	}
}
