package hosting

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/basiq-mcp/basiq-mcp/tools/stdio"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// directCalls answers, in front of mcp-go's streamable transport, a plain
// tools/call of a read-only tool in an open session (stdio.AnswerDirect),
// without mcp-go decoding the request four times over and encoding the
// answer through a map and a second compaction. Everything else, and any
// request it has doubts about, goes to mcp-go as it came.
type directCalls struct {
	s        *server.MCPServer
	direct   stdio.DirectTool
	sessions *sessionCap
	// touchEvery is how long a session may be answered here alone before
	// a call goes through mcp-go, whose idle sweep only sees the requests
	// it serves: at half the idle TTL, a session in use is never swept.
	touchEvery time.Duration

	mu   sync.RWMutex
	open map[string]*openSession // registered with the server, by id
}

// openSession is a session mcp-go registered, when mcp-go last served a
// request of it, and the calls answered here still running, by id key,
// which a notifications/cancelled of the session cancels (mcp-go knows
// nothing of them).
type openSession struct {
	sess    server.ClientSession
	touched atomic.Int64 // unix nanoseconds
	mu      sync.Mutex
	running map[string]context.CancelFunc
}

// newDirectCalls follows the sessions s registers; nil when s has no
// hooks to follow them by, or there is no direct tool.
func newDirectCalls(s *server.MCPServer, direct stdio.DirectTool, sessions *sessionCap, idleTTL time.Duration) *directCalls {
	hooks := s.GetHooks()
	if hooks == nil || direct == nil {
		return nil
	}
	d := &directCalls{s: s, direct: direct, sessions: sessions, touchEvery: idleTTL / 2, open: map[string]*openSession{}}
	hooks.AddOnRegisterSession(func(_ context.Context, sess server.ClientSession) {
		o := &openSession{sess: sess, running: map[string]context.CancelFunc{}}
		o.touched.Store(time.Now().UnixNano())
		d.mu.Lock()
		d.open[sess.SessionID()] = o
		d.mu.Unlock()
	})
	hooks.AddOnUnregisterSession(func(_ context.Context, sess server.ClientSession) {
		d.mu.Lock()
		delete(d.open, sess.SessionID())
		d.mu.Unlock()
	})
	return d
}

// handler answers what it can and hands the rest to next, mcp-go's
// transport, with the body as it was read.
func (d *directCalls) handler(next http.Handler) http.Handler {
	if d == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o := d.session(r.Header.Get(server.HeaderKeySessionID))
		if o == nil || r.Method != http.MethodPost {
			d.pass(next, w, r, o, nil, nil)
			return
		}
		eligible, watching := d.eligible(r, o), o.anyRunning()
		if !eligible && !watching {
			d.pass(next, w, r, o, nil, nil)
			return
		}
		body, err := io.ReadAll(r.Body)
		method, id, ok := stdio.Request(body)
		if err != nil || !ok || !eligible || id == "" || method != string(mcp.MethodToolsCall) {
			if ok && method == string(mcp.MethodNotificationCancelled) {
				o.cancel(body)
			}
			d.pass(next, w, r, o, body, err)
			return
		}
		ctx, done, fresh := o.start(toolsetsContext(d.s.WithContext(r.Context(), o.sess), r), id)
		answer, ok := idInUse, true
		if fresh {
			answer, ok = stdio.AnswerDirect(ctx, d.s, d.direct, body, r.Header, r.Header.Get(server.HeaderKeyProtocolVersion))
		}
		done() // before the answer: once answered, the id is the client's to use again
		if !ok {
			d.pass(next, w, r, o, body, nil)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(append(answer, '\n')) // as mcp-go's json.Encoder ends it
	})
}

// idInUse is mcp-go's answer to a request whose id a running call holds
// (without the id, which could be taken for the running call's); mcp-go
// knows only the calls it runs, so the edge refuses the id of one of its
// own.
var idInUse, _ = stdio.Encode(mcp.NewJSONRPCError(mcp.NewRequestId(nil), mcp.INVALID_REQUEST, "Request ID is already in use", nil))

// start follows a call answered here until done, cancellable by its id;
// fresh is false when a call of that id is already running.
func (o *openSession) start(ctx context.Context, id string) (context.Context, func(), bool) {
	ctx, cancel := context.WithCancel(ctx)
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, dup := o.running[id]; dup {
		return ctx, cancel, false
	}
	o.running[id] = cancel
	return ctx, func() {
		o.mu.Lock()
		delete(o.running, id)
		o.mu.Unlock()
		cancel()
	}, true
}

func (o *openSession) anyRunning() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.running) > 0
}

// cancel cancels the call a notifications/cancelled names, when it runs
// here; mcp-go is handed the notification as well, for its own.
func (o *openSession) cancel(notification []byte) {
	var n struct {
		Params struct {
			RequestID json.RawMessage `json:"requestId"`
		} `json:"params"`
	}
	if json.Unmarshal(notification, &n) != nil || len(n.Params.RequestID) == 0 {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if cancel, ok := o.running[stdio.IDKey(n.Params.RequestID)]; ok {
		cancel()
	}
}

func (d *directCalls) session(id string) *openSession {
	if id == "" {
		return nil
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.open[id]
}

// eligible is what must hold before the body is read: a JSON request of
// an open session mcp-go saw recently, with nothing queued for it (which
// mcp-go would send in this request's answer), from a Host mcp-go's
// DNS-rebinding check lets through.
func (d *directCalls) eligible(r *http.Request, o *openSession) bool {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return false
	}
	if d.touchEvery > 0 && time.Since(time.Unix(0, o.touched.Load())) > d.touchEvery {
		return false
	}
	if len(o.sess.NotificationChannel()) > 0 || !hostPassesRebindingCheck(r) {
		return false
	}
	terminated, err := d.sessions.ResolveSessionIdManager(r).Validate(o.sess.SessionID())
	return err == nil && !terminated
}

// pass hands the request to mcp-go, its body replayed when it was read
// here (and its read error after it), and notes that mcp-go saw the
// session.
func (d *directCalls) pass(next http.Handler, w http.ResponseWriter, r *http.Request, o *openSession, body []byte, err error) {
	if o != nil {
		o.touched.Store(time.Now().UnixNano())
	}
	if body != nil || err != nil {
		rest := io.Reader(bytes.NewReader(body))
		if err != nil {
			rest = io.MultiReader(rest, failingReader{err})
		}
		r.Body = io.NopCloser(rest)
	}
	next.ServeHTTP(w, r)
}

// failingReader replays a body's read error to mcp-go.
type failingReader struct{ err error }

func (f failingReader) Read([]byte) (int, error) { return 0, f.err }

// hostPassesRebindingCheck is true where mcp-go's DNS-rebinding check
// (no allowed hosts set) lets a request through, and false in some cases
// it would also pass: a server not on a loopback address, or a Host
// naming a loopback address exactly. Anything else is left to mcp-go.
func hostPassesRebindingCheck(r *http.Request) bool {
	if local, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok && local != nil {
		if ip := addrIP(local.String()); ip != nil && !ip.IsLoopback() {
			return true
		}
	}
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

func addrIP(addr string) net.IP {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		addr = h
	}
	return net.ParseIP(strings.Trim(addr, "[]"))
}
