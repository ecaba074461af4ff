package stdio

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// Serve runs s over in and out, one JSON-RPC message per line, until in
// ends or ctx is done. It replaces mcp-go's stdio transport, which read
// each line on a new goroutine and decoded every message five times before
// the server parsed it: here a line is read in place, its envelope decoded
// once, requests run concurrently through s.HandleMessage, notifications
// in the order they came, and answers that are ready together share one
// write. When in ends, calls still running are cancelled and answered.
//
// direct, when not nil, names the tools whose plain calls the loop makes
// itself (callDirect).
func Serve(ctx context.Context, s *server.MCPServer, in io.Reader, out io.Writer, log *slog.Logger, direct DirectTool) error {
	w := newLines(out)
	sess := newSession(w)
	if err := s.RegisterSession(ctx, sess); err != nil {
		return fmt.Errorf("%w: %v", errNoSession, err)
	}
	defer s.UnregisterSession(ctx, sess.SessionID())
	reqCtx, cancelCalls := context.WithCancel(s.WithContext(ctx, sess))
	defer cancelCalls()
	done := make(chan struct{})
	l := &loop{s: s, sess: sess, out: w, log: log, ctx: reqCtx, direct: direct, cancels: map[string]context.CancelCauseFunc{}, done: done, workers: newWorkers()}
	go w.notify(sess.notes, done)
	defer close(done)

	read := make(chan error, 1)
	go func() { read <- l.read(in) }()
	var err error
	select {
	case err = <-read:
	case <-ctx.Done():
		if f, ok := in.(interface{ SetReadDeadline(time.Time) error }); ok {
			_ = f.SetReadDeadline(time.Now()) // a pollable stdin's read returns now
		}
		err = ctx.Err()
	}
	cancelCalls()
	l.stop()
	return err
}

// ErrCancelledByClient is the cause of a request's end when the client's
// notifications/cancelled named it: the spec asks a receiver not to answer
// it, and a client may take an answer to an id it gave up for a fault (the
// TypeScript SDK reports one as a response to an unknown id).
var ErrCancelledByClient = errors.New("cancelled by the client")

// loop is the read side of one stdio session.
type loop struct {
	s      *server.MCPServer
	direct DirectTool
	sess   *session
	out    *lines
	log    *slog.Logger
	ctx    context.Context
	done   <-chan struct{} // closed when the notify goroutine stops

	mu      sync.Mutex
	stopped bool
	calls   sync.WaitGroup
	workers *workers
	cancels map[string]context.CancelCauseFunc // running requests by id, for notifications/cancelled
}

// read hands each line of in to handle; a line longer than the buffer is
// gathered first.
func (l *loop) read(in io.Reader) error {
	r := bufio.NewReaderSize(in, 64<<10)
	var long []byte
	for {
		line, err := r.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			long = append(long[:0], line...)
			for err == bufio.ErrBufferFull {
				line, err = r.ReadSlice('\n')
				long = append(long, line...)
			}
			line = long
		}
		if len(bytes.TrimSpace(line)) > 0 {
			l.handle(line)
		}
		switch {
		case err == io.EOF:
			return nil
		case err != nil:
			return err
		}
	}
}

// handle routes one message: a response to the request waiting for it, a
// request to a worker, anything else (notifications, and what does not
// parse, which the server answers with its error) in order. line is only
// valid until handle returns.
func (l *loop) handle(line []byte) {
	env, ok := route(line)
	hasID := ok && len(env.ID) > 0 && !bytes.Equal(env.ID, []byte("null"))
	switch {
	case !ok:
	case env.Method == "" && hasID:
		if l.answer(env, line) {
			return
		}
	case env.Method != "" && hasID:
		msg := bytes.Clone(line) // line is the reader's; the request outlives it
		env, _ = route(msg)
		l.start(env, msg)
		return
	case env.Method == string(mcp.MethodNotificationCancelled):
		var n struct {
			Params struct {
				RequestID json.RawMessage `json:"requestId"`
			} `json:"params"`
		}
		if json.Unmarshal(line, &n) == nil {
			l.cancel(n.Params.RequestID)
		}
	}
	l.reply(l.s.HandleMessage(l.ctx, line))
}

// answer hands a response to the server's request waiting for it.
func (l *loop) answer(env envelope, line []byte) bool {
	var details *mcp.JSONRPCErrorDetails
	if env.hasError {
		var r struct {
			Error *mcp.JSONRPCErrorDetails `json:"error"`
		}
		if json.Unmarshal(line, &r) != nil {
			return false
		}
		details = r.Error
	}
	return l.sess.answer(env.ID, env.Result, details)
}

// start runs one request on its own goroutine, cancellable by id from
// the moment it is read.
func (l *loop) start(env envelope, msg []byte) {
	l.mu.Lock()
	if l.stopped {
		l.mu.Unlock()
		return
	}
	key := IDKey(env.ID)
	ctx, cancel := context.WithCancelCause(l.ctx)
	_, dup := l.cancels[key]
	if !dup {
		l.cancels[key] = cancel
	}
	l.calls.Add(1)
	l.mu.Unlock()
	l.workers.run(func() {
		defer l.calls.Done()
		defer cancel(nil)
		sent := l.sess.asked.Load()
		resp := l.serve(ctx, env, msg, dup)
		if !dup {
			l.forget(key) // before the answer: once answered, the id is the client's to use again
		}
		if context.Cause(ctx) == ErrCancelledByClient && env.Method != string(mcp.MethodInitialize) {
			return // the client gave it up: it is not answered (a client must not cancel initialize)
		}
		if l.sess.asked.Load() != sent {
			l.out.sync(l.done) // its progress first
		}
		l.reply(resp)
	})
}

// serve answers one request, a plain tool call directly when it can; a
// panic in a handler becomes an internal error for that request, not the
// end of the process. A request whose id a running one holds is refused
// here, as mcp-go refuses it: mcp-go knows only the calls it runs.
func (l *loop) serve(ctx context.Context, env envelope, msg []byte, dup bool) (resp mcp.JSONRPCMessage) {
	defer func() {
		if r := recover(); r != nil {
			l.log.Error("stdio: a handler panicked", "panic", fmt.Sprint(r))
			resp = mcp.NewJSONRPCError(mcp.NewRequestId(env.ID), mcp.INTERNAL_ERROR, "internal error", nil)
		}
	}()
	if dup {
		// No id: an answer with it could be taken for the running call's.
		return mcp.NewJSONRPCError(mcp.NewRequestId(nil), mcp.INVALID_REQUEST, "Request ID is already in use", nil)
	}
	if resp, ok := callDirect(ctx, l.s, l.direct, env, msg, nil, sessionVersion(ctx)); ok {
		return resp
	}
	return l.s.HandleMessage(ctx, msg)
}

// reply writes an answer, after the notifications queued before it.
func (l *loop) reply(resp mcp.JSONRPCMessage) {
	if resp == nil {
		return
	}
	b, err := Encode(resp)
	if err != nil {
		l.log.Error("stdio: an answer could not be encoded", "error", err)
		return
	}
	if err := l.out.send(b, l.sess.notes); err != nil {
		l.log.Debug("stdio: an answer could not be written", "error", err)
	}
}

func (l *loop) cancel(rawID json.RawMessage) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if cancel, ok := l.cancels[IDKey(rawID)]; ok {
		cancel(ErrCancelledByClient)
	}
}

func (l *loop) forget(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.cancels, key)
}

// stop takes no more requests and waits for those running.
func (l *loop) stop() {
	l.mu.Lock()
	l.stopped = true
	l.mu.Unlock()
	l.calls.Wait()
	l.workers.close()
}

// IDKey is a request id as text: a string's value, or a number as
// written; a request and the notifications/cancelled naming it give the
// same key.
func IDKey(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	switch {
	case plainString(raw):
		return "s:" + string(raw[1:len(raw)-1])
	case len(raw) > 0 && (raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9'):
		return "n:" + string(raw) // not a string: decoding it as one only builds an error
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return "s:" + s
	}
	return "n:" + string(raw)
}
