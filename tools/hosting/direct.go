package hosting

import (
	"bytes"
	"context"
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
		body, err := io.ReadAll(r.Body)
		m, ok := stdio.ReadMessage(body) // a zero Message when not: no method, no id
		if err != nil || !ok || m.ID == "" || m.Method != string(mcp.MethodToolsCall) || !d.eligible(r, o) {
			d.passFollowed(next, w, r, o, body, err, m.Method, m.ID)
			return
		}
		ctx, cancel := context.WithCancelCause(toolsetsContext(d.s.WithContext(r.Context(), o.sess), r))
		defer cancel(nil)
		if !o.claim(m.ID, func() { cancel(stdio.ErrCancelledByClient) }) {
			writeAnswer(w, idInUse)
			return
		}
		answer, ok := stdio.AnswerDirect(ctx, d.s, d.direct, m, r.Header, r.Header.Get(server.HeaderKeyProtocolVersion))
		if !ok {
			d.passHeld(next, w, r, o, body, m.ID)
			return
		}
		o.free(m.ID) // before the answer: once answered, the id is the client's to use again
		if context.Cause(ctx) == stdio.ErrCancelledByClient {
			writeNoAnswer(w)
			return
		}
		writeAnswer(w, answer)
	})
}

// writeAnswer writes one JSON-RPC message as mcp-go's JSON answers are
// written (its json.Encoder ends them with a newline).
func writeAnswer(w http.ResponseWriter, msg []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(append(msg, '\n'))
}

// passFollowed hands mcp-go a request of an open session, holding its id
// while mcp-go runs it so that no direct call takes it (mcp-go knows only
// its own calls, the edge every call). A request whose id a running call
// holds is refused here, as mcp-go would refuse it.
func (d *directCalls) passFollowed(next http.Handler, w http.ResponseWriter, r *http.Request, o *openSession, body []byte, err error, method, id string) {
	if err != nil || !jsonBody(r) { // mcp-go refuses it whole
		d.pass(next, w, r, o, body, err)
		return
	}
	if method == string(mcp.MethodNotificationCancelled) {
		o.cancel(body)
	}
	if method == "" || id == "" {
		d.pass(next, w, r, o, body, err)
		return
	}
	if !o.claim(id, func() {}) {
		writeAnswer(w, idInUse)
		return
	}
	d.passHeld(next, w, r, o, body, id)
}

// passHeld hands mcp-go a request whose id the session holds, and frees
// the id as mcp-go writes the answer (or ends without one); mcp-go cancels
// its own calls, and the answer to one the client cancelled is left out
// (heldWriter).
func (d *directCalls) passHeld(next http.Handler, w http.ResponseWriter, r *http.Request, o *openSession, body []byte, id string) {
	hw := &heldWriter{ResponseWriter: w, id: id}
	o.handOver(id, func() { hw.cancelled.Store(true) })
	var once sync.Once
	hw.release = func() { once.Do(func() { o.free(id) }) }
	defer hw.release()
	defer hw.end()
	d.pass(next, hw, r, o, body, nil)
}

// idInUse is mcp-go's answer to a request whose id a running call holds
// (without the id, which could be taken for the running call's); mcp-go
// knows only the calls it runs, so the edge refuses the id of one of its
// own.
var idInUse, _ = stdio.Encode(mcp.NewJSONRPCError(mcp.NewRequestId(nil), mcp.INVALID_REQUEST, "Request ID is already in use", nil))

// claim marks id in use by a call, which cancel ends; false when a call
// of that id is running already.
func (o *openSession) claim(id string, cancel context.CancelFunc) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, dup := o.running[id]; dup {
		return false
	}
	o.running[id] = cancel
	return true
}

// handOver keeps id in use for mcp-go, which cancels its own calls;
// cancelled marks the request given up by the client.
func (o *openSession) handOver(id string, cancelled func()) {
	o.mu.Lock()
	o.running[id] = cancelled
	o.mu.Unlock()
}

// free ends id's use: the client may use it again.
func (o *openSession) free(id string) {
	o.mu.Lock()
	delete(o.running, id)
	o.mu.Unlock()
}

// cancel cancels the call a notifications/cancelled names, when it runs
// here, and marks the answer to it left out when mcp-go writes it; mcp-go
// is handed the notification as well, to cancel its own.
func (o *openSession) cancel(notification []byte) {
	key, ok := cancelledID(notification)
	if !ok {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if cancel, ok := o.running[key]; ok {
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
	if !jsonBody(r) {
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

// jsonBody is mcp-go's test of a POST's content type; it refuses any other.
func jsonBody(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "application/json"
}

// pass hands the request to mcp-go, its body replayed when it was read
// here (and its read error after it), and notes that mcp-go saw the
// session.
func (d *directCalls) pass(next http.Handler, w http.ResponseWriter, r *http.Request, o *openSession, body []byte, err error) {
	if o != nil {
		o.touched.Store(time.Now().UnixNano())
	}
	if body != nil || err != nil {
		replayBody(r, body, err)
	}
	next.ServeHTTP(w, r)
}

// replayBody puts a body read here back on r for the next handler, with
// the read's error, if any, after it.
func replayBody(r *http.Request, body []byte, err error) {
	rest := io.Reader(bytes.NewReader(body))
	if err != nil {
		rest = io.MultiReader(rest, failingReader{err})
	}
	r.Body = io.NopCloser(rest)
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
