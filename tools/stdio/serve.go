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
	return serve(ctx, s, in, out, log, direct, nil)
}

// serve is Serve; made, when not nil, is handed the loop (tests look at
// its workers).
func serve(ctx context.Context, s *server.MCPServer, in io.Reader, out io.Writer, log *slog.Logger, direct DirectTool, made func(*loop)) error {
	w := newLines(out)
	sess := newSession(w)
	if err := s.RegisterSession(ctx, sess); err != nil {
		return fmt.Errorf("%w: %v", errNoSession, err)
	}
	defer s.UnregisterSession(ctx, sess.SessionID())
	reqCtx, cancelCalls := context.WithCancel(s.WithContext(ctx, sess))
	defer cancelCalls()
	done := make(chan struct{})
	read := make(chan error, 1)
	l := &loop{s: s, sess: sess, out: w, log: log, ctx: reqCtx, direct: direct, cancels: map[string]context.CancelCauseFunc{}, done: done, workers: newWorkers(),
		in: bufio.NewReaderSize(in, 64<<10), ended: read}
	if made != nil {
		made(l)
	}
	go w.notify(sess.notes, done)
	defer close(done)

	go l.read()
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

	// The reading side: one goroutine at a time reads in (see runHere),
	// and the one that meets its end or a failure sends it to ended.
	in    *bufio.Reader
	long  []byte
	ended chan<- error

	mu      sync.Mutex
	stopped bool
	calls   sync.WaitGroup
	workers *workers
	cancels map[string]context.CancelCauseFunc // running requests by id, for notifications/cancelled
}

// read hands each line of in to handle, until in ends or fails, or until
// handle hands the reading to another goroutine; a line longer than the
// buffer is gathered first.
func (l *loop) read() {
	for {
		line, err := l.in.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			l.long = append(l.long[:0], line...)
			for err == bufio.ErrBufferFull {
				line, err = l.in.ReadSlice('\n')
				l.long = append(l.long, line...)
			}
			line = l.long
		}
		if len(bytes.TrimSpace(line)) > 0 && !l.handle(line, err == nil) {
			return
		}
		switch {
		case err == io.EOF:
			l.ended <- nil
			return
		case err != nil:
			l.ended <- err
			return
		}
	}
}

// handle routes one message: a response to the request waiting for it, a
// request to a worker or to runHere, anything else (notifications, and
// what does not parse, which the server answers with its error) in order.
// line is only valid until handle returns. more says whether reading goes
// on after line (it ended with a newline); handle reports whether this
// goroutine still reads.
func (l *loop) handle(line []byte, more bool) bool {
	env, ok := route(line)
	hasID := ok && len(env.ID) > 0 && !bytes.Equal(env.ID, []byte("null"))
	switch {
	case !ok:
	case env.Method == "" && hasID:
		if l.answer(env, line) {
			return true
		}
	case env.Method != "" && hasID:
		msg := bytes.Clone(line) // line is the reader's; the request outlives it
		env, _ = route(msg)
		job := l.start(env, msg)
		switch {
		case job == nil:
		case more && l.in.Buffered() == 0:
			return l.runHere(job)
		default:
			l.workers.run(job)
		}
		return true
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
	return true
}

// handOverAfter is how long the reading goroutine runs a request itself
// before another goroutine takes the reading over: longer than a cheap
// call takes, short enough that a ping or a cancellation sent during a
// slow call (a Basiq request, a question for the human) waits at most
// about this long, or the runtime's timer grain (a millisecond when the
// process is idle).
const handOverAfter = 200 * time.Microsecond

// runHere runs job on the reading goroutine, when nothing else is waiting
// to be read. Handing it to a worker wakes a second thread for every
// request where Go runs more than one (a server started on every core,
// as clients start it): sequential calls of check_connector_status went
// from 0.8x the TypeScript server's to 1.1-1.25x (bench, "stdio, every
// core"), with a quarter less CPU per call. If job takes longer than handOverAfter, a new goroutine
// takes the reading over, so a slow or waiting call never holds up the
// next message (an elicitation's answer among them). It reports whether
// this goroutine still reads: false when the reading was handed over.
func (l *loop) runHere(job func()) bool {
	t := time.AfterFunc(handOverAfter, l.read)
	job()
	return t.Stop() // false: l.read has started, and reads from now on
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

// start makes the job that answers one request, cancellable by id from
// the moment it is read; nil once the loop has stopped.
func (l *loop) start(env envelope, msg []byte) func() {
	l.mu.Lock()
	if l.stopped {
		l.mu.Unlock()
		return nil
	}
	key := IDKey(env.ID)
	ctx, cancel := context.WithCancelCause(l.ctx)
	_, dup := l.cancels[key]
	if !dup {
		l.cancels[key] = cancel
	}
	l.calls.Add(1)
	l.mu.Unlock()
	return func() {
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
	}
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
