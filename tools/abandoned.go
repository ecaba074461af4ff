package tools

import (
	"context"
	"encoding/json"
	"time"

	"github.com/basiq-mcp/basiq-mcp/tools/guard"
)

// finder looks at Basiq for what a keyed create made, from the create's
// stored arguments, since a time.
type finder func(ctx context.Context, d *call, args json.RawMessage, since time.Time) (any, bool, error)

// finders are the creates whose outcome can be looked up without their
// caller: the same looks a retry with the key makes.
var finders = map[string]finder{
	"create_user": func(ctx context.Context, d *call, args json.RawMessage, since time.Time) (any, bool, error) {
		var p createUserParams
		if err := json.Unmarshal(args, &p); err != nil {
			return nil, false, err
		}
		return findCreatedUser(ctx, d, p, since)
	},
	"create_auth_link": func(ctx context.Context, d *call, args json.RawMessage, _ time.Time) (any, bool, error) {
		var p createAuthLinkParams
		if err := json.Unmarshal(args, &p); err != nil {
			return nil, false, err
		}
		return findAuthLink(ctx, d, p)
	},
	"create_report": func(ctx context.Context, d *call, args json.RawMessage, since time.Time) (any, bool, error) {
		var p createReportParams
		if err := json.Unmarshal(args, &p); err != nil {
			return nil, false, err
		}
		return findCreatedReport(ctx, d, p, since)
	},
}

// settleAbandoned looks up, at Basiq, every keyed create a process stopped
// without recording its outcome (killed mid-send, or its answer lost and
// never retried), and writes that outcome to the audit under the create's
// attempt id: "created" with what Basiq shows it made (a retry with the
// key replays it), or "not-created" when Basiq shows nothing (the claim
// is released, so a retry sends it). A create Basiq cannot be asked about
// now is left for the next pass.
func settleAbandoned(ctx context.Context, d *Deps) {
	if d.Idem == nil {
		return
	}
	left, err := d.Idem.Abandoned()
	if err != nil {
		d.Log.DebugContext(ctx, "abandoned creates could not be listed; the next pass tries again", "error", err)
		return
	}
	for _, a := range left {
		find := finders[a.Tool]
		if find == nil || ctx.Err() != nil {
			continue
		}
		c := &call{Deps: d, tool: a.Tool, ctx: ctx, attempt: attemptID(a.Tool, a.Key)}
		if a.Result != nil { // done at Basiq; only its line is missing
			c.outcome(ctx, a.Key, "written by the deployment: the process that made it stopped before writing it")
			continue
		}
		found, ok, err := find(ctx, c, a.Call, a.Since.Add(-time.Minute))
		if err != nil {
			continue
		}
		settled, err := d.Idem.Settle(a, found, ok)
		if err != nil || !settled {
			continue
		}
		if ok {
			c.outcome(ctx, a.Key, "found at Basiq after the process that sent it stopped")
		} else {
			c.audit(guard.Entry{Tool: a.Tool, Decision: "not-created", Reason: "Basiq shows nothing made after the process that sent it stopped; a retry with the key sends it"})
		}
	}
}

// writeUnwritten writes the outcome lines this process still owes (see
// guard.Idempotency.Unwritten), each under its create's attempt id.
func writeUnwritten(ctx context.Context, d *Deps) {
	for _, a := range d.Idem.Unwritten() {
		if ctx.Err() != nil {
			return
		}
		if time.Since(a.Since) < owedAfter {
			continue // its own call is writing it now
		}
		c := &call{Deps: d, tool: a.Tool, ctx: ctx, attempt: attemptID(a.Tool, a.Key)}
		c.outcome(ctx, a.Key, "written later by the process that made it: its first try found the key held elsewhere, or could not mark it")
	}
}

// outcome writes a done create's line once: the one this call made and
// held, else one from its record, with reason.
func (d *call) outcome(ctx context.Context, key, reason string) {
	_, err := d.Idem.Outcome(d.tool, key, d.attempt, func(result json.RawMessage) {
		e := d.held
		if e == nil {
			userID, jobID := madeBy(result)
			e = &guard.Entry{Tool: d.tool, UserID: userID, JobID: jobID, Decision: "created", Reason: reason}
		}
		d.audit(*e)
	})
	if err != nil {
		d.Log.ErrorContext(ctx, "a create's outcome could not be marked written; another process may write it again", "error", err)
	}
}

// owedAfter is how long after a create is done its line is taken for
// owed: its own call writes it within milliseconds.
const owedAfter = 5 * time.Second

// settleEvery is how often the background looks for abandoned creates: a
// claim's lease lapses within 15 s of its process stopping.
const settleEvery = 10 * time.Second

// runSettler settles abandoned creates at start and every settleEvery,
// in one process of the deployment at a time (a lease); and in every
// process, writes the outcome lines it owes, its own file's first.
func runSettler(ctx context.Context, d *Deps, startAfter time.Duration) {
	if d.Users == nil || d.Idem == nil {
		return
	}
	ctx = background(ctx)
	sleep(ctx, startAfter)
	holder := newHolder()
	defer d.Users.Release("settler", holder)
	adopted := false // the lines a process on this audit file left unmarked
	for ctx.Err() == nil {
		if !adopted {
			adopted = d.Idem.AdoptOwnLines() == nil
		}
		if d.Users.Lead("settler", holder, 2*settleEvery) {
			settleAbandoned(ctx, d)
		}
		writeUnwritten(ctx, d)
		sleep(ctx, settleEvery)
	}
}
