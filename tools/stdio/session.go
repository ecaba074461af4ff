package stdio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// session is the one client of a stdio server, as mcp-go's server sees it:
// its notifications, log level, identity and negotiated version, and the
// requests the server sends it (elicitation, sampling, roots), each
// answered by a response the read loop routes back by id.
type session struct {
	notes       chan mcp.JSONRPCNotification
	initialized atomic.Bool
	level       atomic.Value // mcp.LoggingLevel
	out         *lines

	mu       sync.RWMutex
	info     mcp.Implementation
	caps     mcp.ClientCapabilities
	version  string
	nextID   atomic.Int64
	pending  sync.Map // int64 -> chan reply
	inFlight atomic.Int32
	asked    atomic.Int64
}

// reply is the client's answer to one of the server's requests.
type reply struct {
	result json.RawMessage
	err    *mcp.JSONRPCErrorDetails
}

var (
	_ server.SessionWithLogging         = (*session)(nil)
	_ server.SessionWithClientInfo      = (*session)(nil)
	_ server.SessionWithProtocolVersion = (*session)(nil)
	_ server.SessionWithElicitation     = (*session)(nil)
	_ server.SessionWithSampling        = (*session)(nil)
	_ server.SessionWithRoots           = (*session)(nil)
)

func newSession(out *lines) *session {
	return &session{notes: make(chan mcp.JSONRPCNotification, 256), out: out}
}

// SessionID names the one stdio session, as mcp-go's own stdio does.
func (s *session) SessionID() string { return "stdio" }

// NotificationChannel is where the server queues notifications. mcp-go
// asks for it right before each send, so asked counts the notifications
// sent: a call during which it moved waits, before its answer, until they
// are written (lines.sync).
func (s *session) NotificationChannel() chan<- mcp.JSONRPCNotification {
	s.asked.Add(1)
	return s.notes
}

// Initialize marks the session initialized, with the default log level.
func (s *session) Initialize() {
	s.level.Store(mcp.LoggingLevelError)
	s.initialized.Store(true)
}

// Initialized reports whether initialize has been answered.
func (s *session) Initialized() bool { return s.initialized.Load() }

// SetLogLevel keeps the level logging/setLevel asked for.
func (s *session) SetLogLevel(level mcp.LoggingLevel) { s.level.Store(level) }

// GetLogLevel is the level logging/setLevel asked for (error by default).
func (s *session) GetLogLevel() mcp.LoggingLevel {
	if l, ok := s.level.Load().(mcp.LoggingLevel); ok {
		return l
	}
	return mcp.LoggingLevelError
}

// GetClientInfo is the client's name and version from initialize.
func (s *session) GetClientInfo() mcp.Implementation {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.info
}

// SetClientInfo keeps the client's name and version.
func (s *session) SetClientInfo(info mcp.Implementation) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.info = info
}

// GetClientCapabilities is what the client announced in initialize.
func (s *session) GetClientCapabilities() mcp.ClientCapabilities {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.caps
}

// SetClientCapabilities keeps what the client announced.
func (s *session) SetClientCapabilities(caps mcp.ClientCapabilities) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.caps = caps
}

// ProtocolVersion is the negotiated version, "" before initialize.
func (s *session) ProtocolVersion() string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.version
}

// SetProtocolVersion keeps the negotiated version.
func (s *session) SetProtocolVersion(v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.version = v
}

// RequestElicitation asks the client for input (a form, or a URL to open)
// and waits for its answer or ctx.
func (s *session) RequestElicitation(ctx context.Context, r mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	return ask[mcp.ElicitationResult](ctx, s, string(mcp.MethodElicitationCreate), r.Params)
}

// RequestSampling asks the client's model for a message.
func (s *session) RequestSampling(ctx context.Context, r mcp.CreateMessageRequest) (*mcp.CreateMessageResult, error) {
	return ask[mcp.CreateMessageResult](ctx, s, string(mcp.MethodSamplingCreateMessage), r.CreateMessageParams)
}

// ListRoots asks the client for its roots.
func (s *session) ListRoots(ctx context.Context, r mcp.ListRootsRequest) (*mcp.ListRootsResult, error) {
	return ask[mcp.ListRootsResult](ctx, s, string(mcp.MethodListRoots), r.Params)
}

// ask sends the client a request and decodes its answer into R.
func ask[R any](ctx context.Context, s *session, method string, params any) (*R, error) {
	id := s.nextID.Add(1)
	ch := make(chan reply, 1)
	s.pending.Store(id, ch)
	s.inFlight.Add(1)
	defer func() { s.pending.Delete(id); s.inFlight.Add(-1) }()
	msg, err := json.Marshal(struct {
		JSONRPC string `json:"jsonrpc"`
		ID      int64  `json:"id"`
		Method  string `json:"method"`
		Params  any    `json:"params"`
	}{mcp.JSONRPC_VERSION, id, method, params})
	if err != nil {
		return nil, fmt.Errorf("stdio: encoding %s: %w", method, err)
	}
	if err := s.out.send(msg, nil); err != nil {
		return nil, fmt.Errorf("stdio: sending %s: %w", method, err)
	}
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case r := <-ch:
		if r.err != nil {
			return nil, fmt.Errorf("%s request failed: %s", method, r.err.Message)
		}
		var out R
		if err := json.Unmarshal(r.result, &out); err != nil {
			return nil, fmt.Errorf("stdio: decoding the answer to %s: %w", method, err)
		}
		return &out, nil
	}
}

// answer routes a response from the client to the request waiting for it.
// It reports false for an id nothing waits for.
func (s *session) answer(rawID json.RawMessage, result json.RawMessage, e *mcp.JSONRPCErrorDetails) bool {
	if s.inFlight.Load() == 0 {
		return false
	}
	id, err := strconv.ParseInt(string(rawID), 10, 64)
	if err != nil {
		return false
	}
	v, ok := s.pending.Load(id)
	if !ok {
		return false
	}
	select {
	case v.(chan reply) <- reply{result: result, err: e}:
	default:
	}
	return true
}

// errNoSession is returned when the server refuses a second stdio session.
var errNoSession = errors.New("stdio: the server already has a stdio session")
