package stdio

import "sync/atomic"

// workers runs each request on a goroutine that stays for the next one.
// A fresh goroutine per request grew its stack from the smallest size on
// every call (runtime.newstack was 7% of a stdio call); a waiting worker
// already has the stack a handler needs. A request finding no worker
// waiting gets a new one, so a handler that blocks (a slow Basiq call, an
// elicitation) never holds up the next request.
type workers struct {
	idle    chan func()
	parked  atomic.Int32
	started atomic.Int64 // goroutines run started, for the tests
}

// keptWorkers is how many idle workers wait for requests; more run while
// requests need them and leave when done.
const keptWorkers = 32

func newWorkers() *workers { return &workers{idle: make(chan func())} }

// run hands job to a waiting worker, or to a new one. Only the read loop
// calls it.
func (w *workers) run(job func()) {
	select {
	case w.idle <- job:
	default:
		w.started.Add(1)
		go w.work(job)
	}
}

// work runs job, then waits for the next, unless enough others already
// wait, until close.
func (w *workers) work(job func()) {
	for job != nil {
		job()
		if w.parked.Add(1) > keptWorkers {
			w.parked.Add(-1)
			return
		}
		job = <-w.idle
		w.parked.Add(-1)
	}
}

// close sends the waiting workers away; run must not be called after.
func (w *workers) close() { close(w.idle) }
