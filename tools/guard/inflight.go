package guard

import (
	"sync"
	"time"
)

// Inflight keeps the writes that were sent and have no outcome yet, so a
// process stopping before they answer can say so in the audit (unknown)
// rather than leave an attempt line with nothing after it.
type Inflight struct {
	mu     sync.Mutex
	writes map[string]Entry // attempt id: its attempt line
}

// Add notes a write sent under attempt line e.
func (f *Inflight) Add(e Entry) {
	if f == nil || e.Attempt == "" {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.writes == nil {
		f.writes = map[string]Entry{}
	}
	f.writes[e.Attempt] = e
}

// Done notes that the write with attempt id has its outcome recorded.
func (f *Inflight) Done(attempt string) {
	if f == nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.writes, attempt)
}

// pending takes the writes still without an outcome.
func (f *Inflight) pending() []Entry {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Entry
	for _, e := range f.writes {
		out = append(out, e)
	}
	return out
}

// Abandon records "unknown" for every write still without an outcome, as
// the process stops before their answers came: Basiq may have carried
// them out. It returns how many there were.
func (a *Audit) Abandon() int {
	if a == nil {
		return 0
	}
	left := a.inflight.pending()
	for _, e := range left {
		e.Time, e.Decision, e.Reason = time.Now().UTC(), StateUnknown, "the server stopped before Basiq answered; it may have been carried out"
		_ = a.Record(e)
	}
	return len(left)
}

// track notes an audit line's part in a write: an attempt is in flight
// until a line with its id records the outcome.
func (f *Inflight) track(e Entry) {
	switch {
	case e.Attempt == "":
	case e.Decision == "attempt":
		f.Add(e)
	default:
		f.Done(e.Attempt)
	}
}
