package stdio

import (
	"bufio"
	"encoding/json"
	"io"
	"sync"
	"sync/atomic"

	"github.com/mark3labs/mcp-go/mcp"
)

// lines writes JSON-RPC messages to the client, one per line, answers
// ready together sharing one write (see write).
type lines struct {
	syncs   chan chan struct{} // to the notify goroutine: write what you hold, then answer
	waiting atomic.Int32
	mu      sync.Mutex
	w       *bufio.Writer
	err     error
}

func newLines(w io.Writer) *lines {
	return &lines{w: bufio.NewWriterSize(w, 64<<10), syncs: make(chan chan struct{})}
}

// send writes msg as one line. notes, when not nil, are the session's
// queued notifications: those queued before msg (a call's progress) are
// written first, so the client never sees a response before what its
// handler sent while it ran.
func (l *lines) send(msg []byte, notes chan mcp.JSONRPCNotification) error {
	return l.write(func() {
		if notes != nil {
			l.drain(notes)
		}
		l.put(msg)
	})
}

// write runs put under the lock and flushes, unless another writer is
// queued behind it: the last writer out flushes for all, so answers that
// come together share a write, and no answer waits for one still being
// made. (Yielding first, to gather more answers into each write, cost a
// quarter of the calls a second at 16 in flight once calls became cheap:
// the client then got answers in bursts and sent its next requests in
// bursts, and each side waited on the other.)
func (l *lines) write(put func()) error {
	l.waiting.Add(1)
	l.mu.Lock()
	l.waiting.Add(-1)
	put()
	l.mu.Unlock()
	if l.waiting.Load() > 0 {
		return nil // a writer behind this one flushes
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err == nil && l.w.Buffered() > 0 {
		l.err = l.w.Flush()
	}
	return l.err
}

// drain writes the notifications queued now; the lock is held.
func (l *lines) drain(notes chan mcp.JSONRPCNotification) {
	for {
		select {
		case n := <-notes:
			if b, err := json.Marshal(n); err == nil {
				l.put(b)
			}
		default:
			return
		}
	}
}

// put buffers one line; the lock is held.
func (l *lines) put(msg []byte) {
	if l.err != nil {
		return
	}
	if _, err := l.w.Write(msg); err != nil {
		l.err = err
		return
	}
	l.err = l.w.WriteByte('\n')
}

// notify writes the session's notifications as they come, until done. A
// notification handed to it is written before it answers a sync, so a
// call's answer never overtakes what the call sent while it ran.
func (l *lines) notify(notes chan mcp.JSONRPCNotification, done <-chan struct{}) {
	for {
		select {
		case ack := <-l.syncs:
			_ = l.write(func() { l.drain(notes) })
			close(ack)
		case n := <-notes:
			_ = l.write(func() { // n first, then any queued after it
				if b, err := json.Marshal(n); err == nil {
					l.put(b)
				}
				l.drain(notes)
			})
		case <-done:
			return
		}
	}
}

// sync waits until every notification sent so far is written, unless
// done.
func (l *lines) sync(done <-chan struct{}) {
	ack := make(chan struct{})
	select {
	case l.syncs <- ack:
		<-ack
	case <-done:
	}
}
