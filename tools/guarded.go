package tools

import (
	"context"
	"encoding/json"
	"time"

	"github.com/basiq-mcp/basiq-mcp/tools/guard"
)

// idemParam is the optional idempotency key of a create tool.
type idemParam struct {
	IdempotencyKey string `json:"idempotency_key,omitempty" jsonschema:"minLength=8,maxLength=128,pattern=^[A-Za-z0-9._:-]+$" jsonschema_description:"A retry with the same key and arguments (24 h) returns the first result."`
}

// once runs create at most once per idempotency key (when one is given).
// args are the call's other arguments: a key reused with different ones
// is refused.
func once[R any](d *call, tool, key string, args any, create func() (R, error)) (R, error) {
	var zero R
	if key == "" {
		return create()
	}
	raw, replayed, err := d.Idem.Do(tool, key, args, func() (any, error) { return create() })
	if err != nil {
		return zero, err
	}
	if replayed {
		d.Log.Info("idempotent replay", "tool", tool)
		d.audit(guard.Entry{Tool: tool, Decision: "replayed", Reason: "idempotency_key reused within 24 h"})
	}
	var out R
	return out, json.Unmarshal(raw, &out)
}

// audit records a write; a failure to record is logged, not hidden.
func (d *Deps) audit(e guard.Entry) {
	if err := d.Audit.Record(e); err != nil {
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
	if answer := elicited(req); answer != nil {
		if msg := answerMismatch(answer, target); msg != "" {
			d.audit(guard.Entry{Tool: action, Target: target, Decision: "not-confirmed", Reason: msg})
			res.Status, res.Message = "not-confirmed", msg+" Nothing was deleted."
			return res, nil
		}
		token = req.Params.RequestState // our own sealed confirmation, handed out with the question
	}
	if token == "" {
		lose, err := inspect(ctx)
		if err != nil {
			return res, err
		}
		tok, expires := d.Confirm.Issue(action, target)
		d.audit(guard.Entry{Tool: action, Target: target, Decision: "previewed"})
		if canElicit(ctx) {
			d.askHuman(action, target, lose, tok)
			return res, nil
		}
		res.Status, res.WillLose, res.ConfirmationToken, res.ExpiresAt = "preview", lose, tok, expires.Format(time.RFC3339)
		res.Message = "Nothing was deleted. Show the human what would be lost; only if they agree, call " + action + " again with the same arguments and this confirmation_token."
		return res, nil
	}
	if err := d.Confirm.Redeem(token, action, target); err != nil {
		d.audit(guard.Entry{Tool: action, Target: target, Decision: "refused", Reason: err.Error()})
		return res, err
	}
	if _, err := inspect(ctx); err != nil {
		return res, err
	}
	msg, err := execute(ctx)
	if err != nil {
		d.audit(guard.Entry{Tool: action, Target: target, Decision: "failed", Reason: explain(err)})
		return res, err
	}
	d.audit(guard.Entry{Tool: action, Target: target, Decision: "done"})
	res.Status, res.Message = "done", msg
	return res, nil
}
