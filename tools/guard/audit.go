package guard

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/basiq/text"
)

// Entry is one audit record: who did what to which resource, and the
// guard's decision. It never holds secrets or transaction data.
type Entry struct {
	Time         time.Time `json:"time"`
	Tool         string    `json:"tool"`
	UserID       string    `json:"userId,omitempty"`
	ConnectionID string    `json:"connectionId,omitempty"`
	JobID        string    `json:"jobId,omitempty"`
	Target       string    `json:"target,omitempty"`
	Decision     string    `json:"decision"`
	Reason       string    `json:"reason,omitempty"`
	// Attempt ties a write's outcome, and any later replay or lookup of
	// it, to the attempt line written before it was sent: for a keyed
	// create, a digest of the tool and idempotency key (so a retry through
	// another replica repeats it); else random.
	Attempt string `json:"attempt,omitempty"`
	// Subject and ClientID say who asked, from the caller's OAuth access
	// token; both are empty without OAuth (stdio, the static token).
	Subject  string `json:"subject,omitempty"`
	ClientID string `json:"clientId,omitempty"`
}

// By fills in the caller ctx carries (CallerFrom), if any.
func (e Entry) By(ctx context.Context) Entry {
	if c, ok := CallerFrom(ctx); ok {
		e.Subject, e.ClientID = cleanIdentity(c.Subject), cleanIdentity(c.ClientID)
	}
	return e
}

// Audit appends entries as JSON lines to each of its sinks. It is safe for
// concurrent use.
type Audit struct {
	mu       sync.Mutex
	ws       []io.Writer
	f        *os.File
	path, id string   // the audit file, and its id (auditFileID)
	inflight Inflight // writes whose attempt is recorded and outcome not yet
}

// AuditSinks are the places an audit can go: the state directory's
// audit.jsonl, and the process's standard streams for log shippers.
var AuditSinks = []string{"file", "stderr", "stdout"}

// OpenAuditTo writes the audit to every sink named: "file" (audit.jsonl in
// dir), "stderr" or "stdout". An unknown sink, or none, is an error.
func OpenAuditTo(dir string, sinks []string, stdout, stderr io.Writer) (*Audit, error) {
	if len(sinks) == 0 {
		sinks = []string{"file"}
	}
	a := &Audit{}
	for _, s := range sinks {
		switch s {
		case "file":
			f, err := OpenAudit(filepath.Join(dir, "audit.jsonl"))
			if err != nil {
				return nil, err
			}
			a.f, a.path, a.id, a.ws = f.f, f.path, f.id, append(a.ws, f.f)
		case "stderr":
			a.ws = append(a.ws, stderr)
		case "stdout":
			a.ws = append(a.ws, stdout)
		default:
			a.Close()
			return nil, fmt.Errorf("guard: no audit sink %q (there are file, stderr and stdout)", s)
		}
	}
	return a, nil
}

// OpenAudit opens path for appending, creating it (and its directory).
func OpenAudit(path string) (*Audit, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("guard: audit directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("guard: audit log: %w", err)
	}
	id, err := auditFileID(path)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &Audit{ws: []io.Writer{f}, f: f, path: path, id: id}, nil
}

// NewAudit writes to w (tests, or a log pipeline).
func NewAudit(w io.Writer) *Audit { return &Audit{ws: []io.Writer{w}} }

// Record appends one entry. A write failure is returned, so the caller can
// refuse to act without a trace.
func (a *Audit) Record(e Entry) error {
	if a == nil {
		return nil
	}
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	line, err := json.Marshal(e)
	if err != nil {
		return err
	}
	a.inflight.track(e)
	a.mu.Lock()
	defer a.mu.Unlock()
	line = append(line, '\n')
	for _, w := range a.ws {
		if _, err := w.Write(line); err != nil {
			return fmt.Errorf("guard: writing the audit log: %w", err)
		}
	}
	if a.f != nil {
		return a.f.Sync()
	}
	return nil
}

// Close closes the audit file.
func (a *Audit) Close() error {
	if a == nil || a.f == nil {
		return nil
	}
	return a.f.Close()
}

// OutcomeOf names a failed write's outcome for the audit: "unknown" when
// Basiq may have carried it out, else "failed".
func OutcomeOf(err error) string {
	if basiq.MayHaveHappened(err) {
		return "unknown"
	}
	return "failed"
}

// AuditReason is a failure as the audit keeps it: Basiq's status and code
// and its text cleaned like transaction text (it is third-party text).
func AuditReason(err error) string {
	if e, ok := basiq.AsError(err); ok {
		msg := e.Detail
		if msg == "" {
			msg = e.Title
		}
		return text.Clean(fmt.Sprintf("%d %s: %s", e.StatusCode, e.Code, msg), 300)
	}
	return text.Clean(err.Error(), 300)
}
