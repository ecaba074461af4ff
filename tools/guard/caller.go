package guard

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/basiq-mcp/basiq-mcp/basiq/text"
)

// Caller is who sent a request, as its access token says. A request with no
// caller (stdio, the static bearer token) is the deployment itself.
type Caller struct {
	Subject  string   // the token's sub
	ClientID string   // client_id (RFC 9068), else azp
	Scopes   []string // scope (space-separated) or scp
	// Customers, when the token carries the basiq_users claim, are the
	// only Basiq user ids the caller may reach (a support agent bound to
	// the customers of its queue); Bound says the claim was there. A claim
	// of null binds the caller to no customer at all, never to every one.
	Customers []string
	Bound     bool
}

// CustomersClaim is the access-token claim that binds a caller to some
// customers: a list of Basiq user ids.
const CustomersClaim = "basiq_users"

// OAuth scopes, each allowing one kind of work. A request without a caller
// is not limited by scopes; server flags such as --read-only still apply.
const (
	ScopeRead        = "basiq:read"        // every read of customer data
	ScopeWrite       = "basiq:write"       // creates: users, consent links, reports, MFA answers
	ScopeRefresh     = "basiq:refresh"     // refresh_connection, refresh_all_connections
	ScopeDestructive = "basiq:destructive" // purges and deletes
	ScopeMetrics     = "basiq:metrics"     // /metrics under OAuth
)

// Scopes lists every scope, for the protected-resource metadata.
var Scopes = []string{ScopeRead, ScopeWrite, ScopeRefresh, ScopeDestructive, ScopeMetrics}

type callerKey struct{}

// WithCaller returns ctx carrying the caller.
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerFrom returns the caller ctx carries, if a token named one.
func CallerFrom(ctx context.Context) (Caller, bool) {
	c, ok := ctx.Value(callerKey{}).(Caller)
	return c, ok
}

// Key is the caller's identity as one store key: the client id's length
// first, so no pair of client id and subject can spell another pair.
func (c Caller) Key() string {
	return strconv.Itoa(len(c.ClientID)) + ":" + c.ClientID + "|" + c.Subject
}

// HasScope reports whether the token carries scope.
func (c Caller) HasScope(scope string) bool { return slices.Contains(c.Scopes, scope) }

// MayReach reports whether the caller may reach customer userID: any
// customer when unbound, else one of its own (ids compare as Basiq's do,
// without regard to case).
func (c Caller) MayReach(userID string) bool {
	if !c.Bound {
		return true
	}
	return userID != "" && slices.ContainsFunc(c.Customers, func(u string) bool { return strings.EqualFold(u, userID) })
}

// cleanIdentity is a token's subject or client id as the audit and the
// logs may show it: no control or bidi characters, at most 128 runes.
func cleanIdentity(s string) string { return text.Clean(s, 128) }
