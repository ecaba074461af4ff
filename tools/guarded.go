package tools

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/tools/guard"
)

// idemParam is the optional idempotency key of a create tool.
type idemParam struct {
	IdempotencyKey string `json:"idempotency_key,omitempty" jsonschema:"minLength=8,maxLength=128,pattern=^[A-Za-z0-9._:-]+$" jsonschema_description:"Same key and arguments within 24 h: the first result again."`
}

// createTimeout bounds a create once sent: the caller may give up, but a
// create already on its way is not abandoned half-way (its outcome would
// be unknown), so it runs on for up to this long.
const createTimeout = 30 * time.Second

// once runs create at most once per idempotency key (when one is given),
// across every process on the guard store. args are the call's other
// arguments: a key reused with different ones is refused. reconcile, when
// not nil, looks for what a first attempt with a lost answer made. The
// attempt is audited before it is sent and the outcome after.
func once[R any](ctx context.Context, d *call, key string, args any, create func(context.Context) (R, error),
	reconcile func(ctx context.Context, since time.Time) (R, bool, error)) (R, error) {
	var zero R
	if err := d.Idem.Ready(); err != nil {
		return zero, err
	}
	d.attempt = attemptID(d.tool, key)
	sent := func() (R, error) {
		d.audit(guard.Entry{Tool: d.tool, Decision: "attempt"})
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), createTimeout)
		defer cancel()
		r, err := create(cctx)
		if err != nil {
			d.audit(guard.Entry{Tool: d.tool, Decision: guard.OutcomeOf(err), Reason: guard.AuditReason(err)})
		}
		return r, err
	}
	if key == "" {
		r, err := sent()
		if err != nil && basiq.MayHaveHappened(err) {
			return zero, fmt.Errorf("%s; it was sent, but the answer was lost, so it may have been carried out: check before trying again (an idempotency_key makes a retry safe)", explain(err))
		}
		return r, err
	}
	var look func(time.Time) (any, bool, error)
	if reconcile != nil {
		look = func(since time.Time) (any, bool, error) {
			r, found, err := reconcile(ctx, since)
			d.found = err == nil && found
			return r, found, err
		}
	}
	d.holdOutcome = true
	raw, replayed, err := d.Idem.Do(d.tool, key, args, func() (any, error) { return sent() }, look)
	d.holdOutcome = false
	if err != nil {
		return zero, err
	}
	d.writeOutcome(ctx, key)
	if replayed {
		d.Log.Info("idempotent replay", "tool", d.tool)
		userID, jobID := madeBy(raw)
		d.audit(guard.Entry{Tool: d.tool, UserID: userID, JobID: jobID, Decision: "replayed",
			Reason: "idempotency_key reused within 24 h"})
	}
	var out R
	return out, json.Unmarshal(raw, &out)
}

// writeOutcome writes a keyed create's outcome line once its record is
// done, under the key's lease (guard.Idempotency.Outcome): the line this
// call made and held; or, when a look at Basiq found what an earlier
// attempt made, that; or, replaying a create whose process stopped before
// writing its line, that one's. A line already written is not written
// again.
func (d *call) writeOutcome(ctx context.Context, key string) {
	reason := "written by a retry: the process that made it stopped before writing it"
	if d.found {
		reason = "found at Basiq: the first attempt's answer was lost"
	}
	d.outcome(ctx, key, reason)
}

// madeBy names what a create made, from its result: a user, a link's
// user, a report's job.
func madeBy(result any) (userID, jobID string) {
	raw, ok := result.(json.RawMessage)
	if !ok {
		raw, _ = json.Marshal(result)
	}
	var made struct {
		ID     string `json:"id"`
		UserID string `json:"user_id"`
		JobID  string `json:"job_id"`
	}
	_ = json.Unmarshal(raw, &made)
	return cmp.Or(made.UserID, made.ID), made.JobID
}

// attemptID is what ties a write's audit lines together: for a keyed
// create, a digest of the tool and key, the same on every retry and
// replica; else random.
func attemptID(tool, key string) string {
	if key != "" {
		sum := sha256.Sum256([]byte(tool + "\x00" + key))
		return "k-" + hex.EncodeToString(sum[:8])
	}
	return guard.NewAttempt()
}

// audit records a write, with who asked; a failure to record is logged,
// not hidden.
func (d *call) audit(e guard.Entry) {
	if d.holdOutcome && e.Decision == "created" {
		d.held = &e // written by writeOutcome, after the key's record
		return
	}
	if e.Attempt == "" {
		e.Attempt = d.attempt
	}
	if err := d.Audit.Record(e.By(d.ctx)); err != nil {
		d.Log.Error("audit log", "error", err)
	}
}

// confirmParam is the second step of a destructive tool.
type confirmParam struct {
	ConfirmationToken string `json:"confirmation_token,omitempty" jsonschema:"maxLength=1000" jsonschema_description:"Leave it out at first: the call then only previews what would be lost and returns this token. Call again with it once the human has agreed; it works once, for this exact target, for 5 minutes."`
}

// destructiveResult is a preview (nothing done yet) or the done action.
type destructiveResult struct {
	Status            string `json:"status" jsonschema:"enum=preview,enum=done,enum=not-confirmed"`
	Action            string `json:"action"`
	Target            string `json:"target"`
	WillLose          string `json:"will_lose,omitempty" jsonschema_description:"what the action deletes, in plain words"`
	ConfirmationToken string `json:"confirmation_token,omitempty"`
	ExpiresAt         string `json:"expires_at,omitempty"`
	Message           string `json:"message"`
}

// twoStep runs the preview-then-confirm protocol of a destructive action.
// inspect reads the target and says what would be lost; it runs for the
// preview and again just before executing, so a target that changed in
// between (a purge needs an active connection) is caught. When the client
// supports elicitation, the human is asked to type the target's id instead
// of the model passing a token back.
func twoStep(ctx context.Context, d *call, action, target, token string,
	inspect func(context.Context) (string, error), execute func(context.Context) (string, error)) (destructiveResult, error) {
	res := destructiveResult{Action: action, Target: target}
	req := d.req
	answered := false
	if answer := elicited(req); answer != nil {
		answered = true
		if msg := answerMismatch(answer, target); msg != "" {
			d.audit(guard.Entry{Tool: action, Target: target, Decision: "not-confirmed", Reason: msg})
			res.Status, res.Message = "not-confirmed", msg+" Nothing was deleted."
			return res, nil
		}
		token = req.Params.RequestState // our own sealed confirmation, handed out with the question
	}
	lose, err := inspect(ctx)
	if basiq.IsNotFound(err) && d.Idem.WasSent(action, target) {
		res.Status, res.Message = "done", "It was already done: an earlier "+action+" on this target was sent and went through (its answer was lost)."
		d.audit(guard.Entry{Tool: action, Target: target, Decision: "done", Reason: "404 after our own delete was sent"})
		return res, nil
	}
	if err != nil {
		return res, err
	}
	if token == "" {
		d.audit(guard.Entry{Tool: action, Target: target, Decision: "previewed"})
		if canElicit(ctx) {
			sealed, _ := d.Confirm.Issue(ctx, action, target, guard.Digest(lose), guard.ForHuman)
			d.askHuman(action, target, lose, sealed)
			return res, nil
		}
		tok, expires := d.Confirm.Issue(ctx, action, target, guard.Digest(lose), guard.ForModel)
		res.Status, res.WillLose, res.ConfirmationToken, res.ExpiresAt = "preview", lose, tok, expires.Format(time.RFC3339)
		res.Message = "Nothing was deleted. Show the human what would be lost; only if they agree, call " + action + " again with the same arguments and this confirmation_token."
		return res, nil
	}
	purpose := guard.ForModel
	if answered {
		purpose = guard.ForHuman
	}
	if err := d.Confirm.Redeem(ctx, token, action, target, guard.Digest(lose), purpose); err != nil {
		d.audit(guard.Entry{Tool: action, Target: target, Decision: "refused", Reason: err.Error()})
		return res, err
	}
	if err := d.Idem.NoteSent(action, target); err != nil {
		return res, fmt.Errorf("the guard store could not record the %s, so it was not sent: %w", action, err)
	}
	d.attempt = attemptID(action, "")
	d.audit(guard.Entry{Tool: action, Target: target, Decision: "attempt"})
	xctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), createTimeout)
	defer cancel()
	msg, err := execute(xctx)
	if err != nil {
		d.audit(guard.Entry{Tool: action, Target: target, Decision: guard.OutcomeOf(err), Reason: guard.AuditReason(err)})
		if basiq.MayHaveHappened(err) {
			return res, fmt.Errorf("%s; the %s was sent but its answer was lost, so it may have been done, and it is not sent again automatically: call %s without a token to see where it stands", explain(err), action, action)
		}
		return res, err
	}
	d.audit(guard.Entry{Tool: action, Target: target, Decision: "done"})
	res.Status, res.Message = "done", msg
	return res, nil
}
