package basiqtest

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// FaultKind is what an injected fault does to a matching request.
type FaultKind int

const (
	// FaultStatus answers with Status (default 503): Basiq's envelope for
	// 429, 500 and 503 (with Retry-After when set), a gateway's plain text
	// page for 502 and 504.
	FaultStatus FaultKind = iota
	// FaultMalformed answers 200 with a truncated JSON body.
	FaultMalformed
	// FaultDrop closes the connection without answering.
	FaultDrop
	// FaultLatency delays the request by Latency, then serves it normally.
	FaultLatency
	// FaultExpireToken expires every issued token, then serves the request,
	// which therefore meets 403 access-denied "Token has expired".
	FaultExpireToken
	// FaultLoseAnswer carries the request out, then throws its answer away
	// and answers Status (default 502) as a failing gateway would: the
	// write happened, the client cannot know. With Latency it first holds
	// the connection that long (or until the client goes): a process
	// killed meanwhile never learns what it made.
	FaultLoseAnswer
)

// Fault describes requests to disturb and how.
type Fault struct {
	Kind       FaultKind
	Method     string        // only this method; "" for any
	Path       string        // only paths starting with this; "" for any
	Status     int           // for FaultStatus; 0 means 503
	RetryAfter time.Duration // for FaultStatus: sent as Retry-After seconds
	Latency    time.Duration // for FaultLatency, and FaultLoseAnswer's wait
	// Times is how many matching requests are disturbed; 0 or less means
	// every matching request until ClearFaults.
	Times int
}

// InjectFault adds a fault; faults are checked in the order added and the
// first match applies.
func (s *Simulator) InjectFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// ClearFaults removes every fault.
func (s *Simulator) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// takeFault finds and consumes the fault for r. Token expiry is applied here,
// under the lock; the caller applies the rest.
func (s *Simulator) takeFault(r *http.Request) *Fault {
	for i, f := range s.faults {
		if f.Method != "" && f.Method != r.Method || !strings.HasPrefix(r.URL.Path, f.Path) {
			continue
		}
		if f.Times > 0 {
			f.Times--
			if f.Times == 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
		}
		if f.Kind == FaultExpireToken {
			s.expireTokensLocked()
			return nil
		}
		return f
	}
	return nil
}

// delay waits out an injected latency; false means the client went away
// meanwhile.
func (s *Simulator) delay(r *http.Request, f *Fault) bool {
	if f == nil || f.Kind != FaultLatency || f.Latency <= 0 {
		return true
	}
	d := f.Latency
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// apply writes the fault's response; false means serve the request normally.
func (f *Fault) apply(w http.ResponseWriter) bool {
	switch f.Kind {
	case FaultLoseAnswer:
		return false // served, then lost: see handle
	case FaultMalformed:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		fmt.Fprint(w, `{"type":"list","data":[{"type":`)
		return true
	case FaultDrop:
		panic(http.ErrAbortHandler) // net/http closes the connection, no answer
	case FaultStatus:
		status := f.Status
		if status == 0 {
			status = http.StatusServiceUnavailable
		}
		if f.RetryAfter > 0 {
			w.Header().Set("Retry-After", fmt.Sprint(int(f.RetryAfter.Seconds()+0.999)))
		}
		switch status {
		case http.StatusTooManyRequests:
			writeError(w, status, "too-many-requests", "Too many requests", "Query limit reached.", nil)
		case http.StatusInternalServerError:
			writeError(w, status, "internal-server-error", "Internal Server Error", "Internal server error. Please contact support.", nil)
		case http.StatusServiceUnavailable:
			writeError(w, status, "service-unavailable", "Service Unavailable", "Service is currently unavailable. Please try again later.", nil)
		default:
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(status)
			fmt.Fprintf(w, "%d %s\n", status, http.StatusText(status))
		}
		return true
	}
	return false
}

// discard is a ResponseWriter that throws the answer away.
type discard struct{ header http.Header }

func (d discard) Header() http.Header         { return d.header }
func (d discard) Write(b []byte) (int, error) { return len(b), nil }
func (d discard) WriteHeader(int)             {}
