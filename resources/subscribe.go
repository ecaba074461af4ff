package resources

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/basiq-mcp/basiq-mcp/tools/guard"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// subscriptions are the resources/subscribe of each session, with the
// caller who asked: an update is sent only where the caller policy lets
// that caller read the customer.
type subscriptions struct {
	mu       sync.Mutex
	srv      *server.MCPServer
	sessions map[string]map[string]subscriber // session id -> uri -> who subscribed
	// streams are the subscriptions/listen streams (2026-07-28), keyed
	// as in sessions: a stream's session is known to no one else.
	streams map[string]server.ClientSession
}

// subscriber is who asked for a subscription: an OAuth caller, or the
// deployment itself (none).
type subscriber struct {
	caller    guard.Caller
	hasCaller bool
}

// mayHear reports whether the subscriber may read customer userID.
func (s subscriber) mayHear(userID string) bool {
	return !s.hasCaller || s.caller.HasScope(guard.ScopeRead) && s.caller.MayReach(userID)
}

func (set *Set) watch(s *server.MCPServer, hooks *server.Hooks) {
	subs := &subscriptions{srv: s, sessions: map[string]map[string]subscriber{}, streams: map[string]server.ClientSession{}}
	set.subs = subs
	hooks.AddOnRequestInitialization(set.admitSubscription)
	hooks.AddAfterSubscribe(func(ctx context.Context, _ any, req *mcp.SubscribeRequest, _ *mcp.EmptyResult) {
		session := server.ClientSessionFromContext(ctx)
		if session == nil {
			return
		}
		caller, ok := guard.CallerFrom(ctx)
		subs.mu.Lock()
		defer subs.mu.Unlock()
		if subs.sessions[session.SessionID()] == nil {
			subs.sessions[session.SessionID()] = map[string]subscriber{}
		}
		subs.sessions[session.SessionID()][req.Params.URI] = subscriber{caller, ok}
	})
	subs.watchStreams(hooks)
	hooks.AddAfterUnsubscribe(func(ctx context.Context, _ any, req *mcp.UnsubscribeRequest, _ *mcp.EmptyResult) {
		if session := server.ClientSessionFromContext(ctx); session != nil {
			subs.mu.Lock()
			delete(subs.sessions[session.SessionID()], req.Params.URI)
			subs.mu.Unlock()
		}
	})
	hooks.AddOnUnregisterSession(func(_ context.Context, session server.ClientSession) {
		subs.mu.Lock()
		delete(subs.sessions, session.SessionID())
		subs.mu.Unlock()
	})
}

// CustomerChanged tells every session subscribed to one of the customer's
// resources (basiq://users/{id} and its connections, and the support
// queue they are in) that it changed,
// unless its caller may not read that customer. It is called when the
// customer changed: an event (a webhook, or the event poller) or a write
// through a tool.
func (set *Set) CustomerChanged(userID string) {
	subs := set.subs
	if subs == nil || userID == "" {
		return
	}
	for _, t := range subs.targets(userID) {
		params := map[string]any{"uri": t.uri}
		if t.stream == nil {
			_ = subs.srv.SendNotificationToSpecificClient(t.session, mcp.MethodNotificationResourceUpdated, params)
			continue
		}
		n := mcp.JSONRPCNotification{JSONRPC: mcp.JSONRPC_VERSION, Notification: mcp.Notification{
			Method: mcp.MethodNotificationResourceUpdated, Params: mcp.NotificationParams{AdditionalFields: params}}}
		select { // the stream tags it with its subscription id
		case t.stream.NotificationChannel() <- n:
		default: // a stream that does not drain loses the update, not the server
		}
	}
}

// target is one notification to send: a session (or a listen stream) and
// the URI it watches.
type target struct {
	session, uri string
	stream       server.ClientSession
}

// targets are the subscriptions a change to customer userID concerns,
// whose callers may read that customer. The caller is the one who
// subscribed (its token as it was then); the policy is asked of it at each
// change, so a subscription made to another customer never hears of them.
func (subs *subscriptions) targets(userID string) []target {
	uris := []string{"basiq://users/" + userID, "basiq://users/" + userID + "/connections", QueueURI}
	var send []target
	subs.mu.Lock()
	defer subs.mu.Unlock()
	for session, byURI := range subs.sessions {
		for uri, who := range byURI {
			if slices.ContainsFunc(uris, func(u string) bool { return strings.EqualFold(u, uri) }) && who.mayHear(userID) {
				send = append(send, target{session, uri, subs.streams[session]})
			}
		}
	}
	return send
}

// watchStreams records the resources a subscriptions/listen stream asks
// for while the stream is open, with its caller, as resources/subscribe is
// recorded for a session.
func (subs *subscriptions) watchStreams(hooks *server.Hooks) {
	key := func(session server.ClientSession) string { return fmt.Sprintf("listen:%p", session) }
	hooks.AddBeforeSubscriptionsListen(func(ctx context.Context, _ any, req *mcp.SubscriptionsListenRequest) {
		session := server.ClientSessionFromContext(ctx)
		uris := req.Params.Notifications.ResourceSubscriptions
		if session == nil || len(uris) == 0 {
			return
		}
		caller, ok := guard.CallerFrom(ctx)
		byURI := map[string]subscriber{}
		for _, uri := range uris {
			byURI[uri] = subscriber{caller, ok}
		}
		subs.mu.Lock()
		defer subs.mu.Unlock()
		subs.sessions[key(session)], subs.streams[key(session)] = byURI, session
	})
	closed := func(ctx context.Context) {
		if session := server.ClientSessionFromContext(ctx); session != nil {
			subs.mu.Lock()
			delete(subs.sessions, key(session))
			delete(subs.streams, key(session))
			subs.mu.Unlock()
		}
	}
	hooks.AddAfterSubscriptionsListen(func(ctx context.Context, _ any, _ *mcp.SubscriptionsListenRequest, _ *mcp.SubscriptionsListenResult) {
		closed(ctx)
	})
	hooks.AddOnError(func(ctx context.Context, _ any, method mcp.MCPMethod, _ any, _ error) {
		if method == mcp.MethodSubscriptionsListen {
			closed(ctx)
		}
	})
}

// admitSubscription refuses, before it is recorded, a subscription to a
// resource the caller could not read (a bound caller's to another
// customer): the same policy as resources/read, asked of the URI alone.
func (set *Set) admitSubscription(ctx context.Context, _ any, message any) error {
	raw, ok := message.(json.RawMessage)
	if !ok {
		return nil
	}
	// Every request passes here, tool calls included: one without a
	// backslash (so nothing is spelt with escapes) that never says
	// "subscri" names neither way of subscribing, and is not parsed again.
	if bytes.IndexByte(raw, '\\') < 0 && !bytes.Contains(raw, []byte("subscri")) {
		return nil
	}
	var m struct {
		Method string `json:"method"`
		Params struct {
			URI           string `json:"uri"`
			Notifications struct {
				ResourceSubscriptions []string `json:"resourceSubscriptions"`
			} `json:"notifications"`
		} `json:"params"`
	}
	if json.Unmarshal(raw, &m) != nil {
		return nil // mcp-go answers a malformed request itself
	}
	uris := m.Params.Notifications.ResourceSubscriptions
	switch mcp.MCPMethod(m.Method) {
	case mcp.MethodResourcesSubscribe:
		uris = []string{m.Params.URI}
	case mcp.MethodSubscriptionsListen:
	default:
		return nil
	}
	for _, uri := range uris {
		ask, _ := askOf(readOf(uri))
		if err := set.access.Admit(ctx, ask); err != nil {
			if guard.IsRefusal(err) {
				return fmt.Errorf("subscription to %s refused: %w", shortURI(uri), err)
			}
			return fmt.Errorf("subscription to %s could not be checked: %w", shortURI(uri), failed(err))
		}
	}
	return nil
}

// readOf is the resources/read a URI stands for, with the template
// variables that name customer data filled in, as mcp-go fills them.
func readOf(uri string) mcp.ReadResourceRequest {
	req := mcp.ReadResourceRequest{}
	req.Params.URI = uri
	req.Params.Arguments = map[string]any{}
	rest, ok := strings.CutPrefix(uri, "basiq://")
	if !ok {
		return req
	}
	parts := strings.Split(rest, "/")
	names := map[string]string{"users": "userId", "jobs": "jobId", "reports": "reportId"}
	if len(parts) >= 2 && names[parts[0]] != "" && parts[1] != "" {
		req.Params.Arguments[names[parts[0]]] = parts[1]
	}
	return req
}

// shortURI keeps a refusal readable whatever URI was sent.
func shortURI(uri string) string {
	if r := []rune(uri); len(r) > 120 {
		return string(r[:120]) + "…"
	}
	return uri
}
