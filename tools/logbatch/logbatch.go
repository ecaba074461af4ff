// Package logbatch gathers log lines and writes them to their destination in
// batches, so a server logging a line per tool call does not pay a write
// system call per line. On the 2-core machines we measure on, that system
// call was most of what the per-call log line cost (8% of the server's CPU
// per call for the cheapest tool over stdio).
//
// A line waits at most the batch delay (milliseconds) before it is written,
// and Close writes whatever is left, so nothing is lost on an orderly exit. A
// crash loses at most the last delay's lines; the Go runtime's own panic
// report goes to stderr directly and is never held here. Audit records do not
// go through this package: they are written when they happen.
package logbatch

import (
	"io"
	"os"
	"sync"
	"time"
)

// maxPending bounds the bytes held: a writer that finds this much waiting
// writes it out itself, which also slows a runaway logger down.
const maxPending = 256 << 10

// Writer is an io.Writer that batches. It is safe for concurrent use; each
// Write must be whole lines (slog handlers write one record per call).
type Writer struct {
	out   io.Writer
	delay time.Duration

	mu      sync.Mutex
	pending []byte
	spare   []byte // the last batch's buffer, reused
	closed  bool
	outMu   sync.Mutex // keeps batches in order when a writer flushes itself
	kick    chan struct{}
	stop    chan struct{} // closed by Close: a waiting batch goes out now
	done    chan struct{}
}

// New starts a Writer that writes to out at most delay after a line arrives.
func New(out io.Writer, delay time.Duration) *Writer {
	w := &Writer{out: out, delay: delay, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go w.loop()
	return w
}

// Write queues p. It never fails: a log line that cannot be written has
// nowhere better to go.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		w.writeOut(p)
		return len(p), nil
	}
	w.pending = append(w.pending, p...)
	full := len(w.pending) >= maxPending
	if !full && len(w.pending) == len(p) { // the first line of a batch wakes the loop
		select {
		case w.kick <- struct{}{}:
		default:
		}
	}
	w.mu.Unlock()
	if full {
		w.flush()
	}
	return len(p), nil
}

func (w *Writer) loop() {
	defer close(w.done)
	for range w.kick {
		t := time.NewTimer(w.delay)
		select {
		case <-t.C:
		case <-w.stop:
			t.Stop()
		}
		w.flush()
	}
}

// flush writes everything pending in one call.
func (w *Writer) flush() {
	w.outMu.Lock()
	defer w.outMu.Unlock()
	w.mu.Lock()
	batch := w.pending
	w.pending, w.spare = w.spare[:0], nil
	w.mu.Unlock()
	if len(batch) > 0 {
		w.out.Write(batch)
	}
	if cap(batch) <= maxPending*2 {
		w.mu.Lock()
		w.spare = batch[:0]
		w.mu.Unlock()
	}
}

func (w *Writer) writeOut(p []byte) {
	w.outMu.Lock()
	defer w.outMu.Unlock()
	w.out.Write(p)
}

// Close writes what is pending and stops batching: later lines are written
// straight through.
func (w *Writer) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	close(w.stop)
	close(w.kick)
	w.mu.Unlock()
	<-w.done
	w.flush()
	return nil
}

// ForLog is what a server logs to: w itself when w is a terminal (a person
// reads the lines as they come), a batching Writer otherwise; the func
// writes what is pending and must be called before exit.
func ForLog(w io.Writer, delay time.Duration) (io.Writer, func()) {
	if IsTerminal(w) {
		return w, func() {}
	}
	b := New(w, delay)
	return b, func() { b.Close() }
}

// IsTerminal reports whether w is a character device, such as a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
