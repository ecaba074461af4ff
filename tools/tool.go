// Package tools holds every MCP tool of basiq-mcp: one inventory, one generic
// adapter (schema, decoding, validation, errors, logging) and one file per
// Basiq area. A tool is a Params struct, a result struct and a small handler;
// the adapter turns the Params struct into the input schema and the result
// struct into the output schema, so the two can never drift apart.
package tools

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/basiq/text"
	"github.com/basiq-mcp/basiq-mcp/tools/guard"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"golang.org/x/sync/singleflight"
)

// Deps is what tool handlers use: the Basiq client, the guards, a logger
// and timing.
type Deps struct {
	Client *basiq.Client
	Log    *slog.Logger
	// Governor decides every refresh; Confirm seals confirmations for
	// destructive tools; Idem makes creates retry-safe; Audit records writes.
	Governor *guard.Governor
	Confirm  *guard.Confirmer
	Idem     *guard.Idempotency
	Audit    *guard.Audit
	// AuditReads also audits reads of customer data (who read whose
	// accounts, transactions, reports), never the data itself.
	AuditReads bool
	// ReportQuota bounds each OAuth caller's reports; nil: none.
	ReportQuota *guard.Quota
	// Users remembers the customers this deployment created or read, for
	// list_users where Basiq has no user search; nil keeps no directory.
	Users *guard.Directory
	// SandboxConsent, set only on the offline simulator, adds
	// complete_sandbox_consent.
	SandboxConsent SandboxConsent
	// SimulatorURL is the offline simulator's base URL when the server runs
	// on it: its consent pages may be offered to a human as Basiq's are.
	SimulatorURL string
	// Access is the caller policy every call passes (nil: one on Client).
	Access *guard.Access
	// SearchDocs finds guide sections by keywords (the guides live in the
	// resources package, which tools does not import); nil leaves
	// search_docs out.
	SearchDocs func(query string, limit int) []DocHit
	// CustomerChanged, when set, is told of a customer that changed (an
	// event, or a write through a tool); resource subscribers hear of it.
	CustomerChanged func(userID string)
	// TriageMaxAge is how old a customer's kept triage may be and still
	// answer list_users (and the support queue) without asking Basiq; 0
	// always asks Basiq.
	TriageMaxAge time.Duration
	// PollInterval is how often get_job, when waiting, asks Basiq for the job
	// (default 1 s; tests against a fast simulator use less).
	PollInterval time.Duration

	// visible is what Register decided each tool shows (DirectTool).
	visible *visibility
	// triages shares one live read of a customer among the queues that
	// ask for them at once, so twenty agents opening the queue together
	// cost Basiq what one does.
	triages singleflight.Group
}

// call is what the adapter hands a handler for one tools/call: the
// dependencies, the tool's name and the request as the client sent it
// (progress token, the answers of a multi round trip). A handler that must
// ask the human first leaves the question in ask; the adapter sends it in
// place of a result.
type call struct {
	*Deps
	tool    string
	req     *mcp.CallToolRequest
	skipped skippedNotes
	ask     *mcp.CallToolResult
	ctx     context.Context // the call's, for who asked (guard.CallerFrom)
	attempt string          // the write's attempt id, repeated on its audit lines
	// A keyed create's outcome line waits (held) until its record is done
	// (see once); found says a look at Basiq, not this call, made it.
	holdOutcome, found bool
	held               *guard.Entry
}

// Tool is one tool: its MCP definition, its handler and how it is classed.
type Tool struct {
	Def         mcp.Tool
	Handler     server.ToolHandlerFunc
	Toolset     string
	ReadOnly    bool
	Destructive bool
	// Scope is the OAuth scope a caller needs to list and call the tool;
	// Reach says how it reaches customers (the caller policy's data).
	Scope string
	Reach guard.Reach
}

// hints are the four MCP annotations; every tool sets each deliberately,
// because mcp-go's defaults claim "destructive" for everything.
type hints struct{ readOnly, destructive, idempotent, openWorld bool }

var (
	readHints  = hints{readOnly: true, idempotent: true, openWorld: true}
	writeHints = hints{openWorld: true}
)

// spec describes a tool before it is bound to its dependencies.
type spec[P, R any] struct {
	name, title, toolset, description string
	hints                             hints
	// scope overrides the scope the hints imply (defaultScope); reach is
	// how the tool reaches customers: by the ids it is given, unless it
	// says otherwise.
	scope string
	reach guard.Reach
	run   func(ctx context.Context, d *call, p P) (R, error)
}

// define binds a spec to its dependencies and builds the MCP tool.
func define[P, R any](d *Deps, s spec[P, R]) Tool {
	in, inRaw := schemaOf[P]()
	outRaw := outputSchemaOf[R]()
	def := mcp.Tool{
		Name: s.name, Title: s.title, Description: s.description,
		RawInputSchema: inRaw, RawOutputSchema: outRaw,
		Annotations: mcp.ToolAnnotation{ReadOnlyHint: &s.hints.readOnly, DestructiveHint: &s.hints.destructive, OpenWorldHint: &s.hints.openWorld},
	}
	if !s.hints.readOnly {
		// The spec gives idempotentHint a meaning only for tools that
		// change something; on a read it is bytes of every model's context.
		def.Annotations.IdempotentHint = &s.hints.idempotent
	}
	handler := func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		began := time.Now()
		var p P
		args := req.GetArguments()
		if err := decodeArgs(args, req.Params.RawArguments, in, &p); err != nil {
			d.logCall(ctx, s.name, began, args, "invalid-arguments", err)
			return mcp.NewToolResultError(explain(err)), nil
		}
		c := &call{Deps: d, tool: s.name, req: &req, ctx: ctx}
		r, err := s.run(ctx, c, p)
		if c.ask != nil { // the tool needs the human first (multi round trip)
			d.logCall(ctx, s.name, began, args, "input-required", nil)
			return c.ask, nil
		}
		if s.hints.readOnly && d.AuditReads {
			if aerr := d.auditRead(ctx, s.name, args, err); aerr != nil {
				d.logCall(ctx, s.name, began, args, "not-audited", aerr)
				return mcp.NewToolResultError("the read could not be written to the audit, so its result is withheld; try again, and tell the operator if it persists"), nil
			}
		}
		if err != nil {
			d.logCall(ctx, s.name, began, args, "tool-error", err)
			return mcp.NewToolResultError(explain(err)), nil
		}
		res, err := resultOf(r, &c.skipped)
		if err != nil {
			return nil, fmt.Errorf("tools: %s: encoding result: %w", s.name, err) // a bug, not a user error
		}
		d.logCall(ctx, s.name, began, args, "ok", nil)
		if !s.hints.readOnly {
			d.wroteCustomer(ctx, args)
		}
		return res, nil
	}
	scope := s.scope
	if scope == "" {
		scope = defaultScope(s.name, s.hints)
	}
	return Tool{Def: def, Handler: handler, Toolset: s.toolset, ReadOnly: s.hints.readOnly, Destructive: s.hints.destructive, Scope: scope, Reach: s.reach}
}

// logCall writes one line per call: tool, duration, outcome and the ids that
// tie it to Basiq. Argument values other than ids are never logged.
func (d *Deps) logCall(ctx context.Context, tool string, began time.Time, args map[string]any, outcome string, err error) {
	level := slog.LevelInfo
	if err != nil {
		level = slog.LevelWarn
	}
	if !d.Log.Enabled(ctx, level) {
		return
	}
	attrs := []any{"tool", tool, "duration", time.Since(began).Round(time.Microsecond), "outcome", outcome}
	for _, k := range []string{"user_id", "connection_id", "job_id", "report_id"} {
		if v, ok := args[k].(string); ok && v != "" {
			attrs = append(attrs, k, text.Truncate(v, 64))
		}
	}
	if c, ok := guard.CallerFrom(ctx); ok {
		attrs = append(attrs, "subject", text.Clean(c.Subject, 128), "client_id", text.Clean(c.ClientID, 128))
	}
	if err != nil {
		attrs = append(attrs, "error", err.Error())
		if e, ok := basiq.AsError(err); ok && e.CorrelationID != "" {
			attrs = append(attrs, "correlationId", e.CorrelationID)
		}
	}
	d.Log.Log(ctx, level, "tool call", attrs...)
}

// auditRead records that a tool read customer data: the tool, the customer
// and the object read, and whether it worked. Reads that name no customer
// (connectors, report types, guides) are not customer data and are skipped.
func (d *Deps) auditRead(ctx context.Context, tool string, args map[string]any, failed error) error {
	id := func(k string) string { v, _ := args[k].(string); return text.Truncate(v, 64) }
	e := guard.Entry{Tool: tool, UserID: id("user_id"), ConnectionID: id("connection_id"), JobID: id("job_id"), Decision: "read"}
	for _, k := range []string{"report_id", "account_id", "transaction_id"} {
		if v := id(k); v != "" {
			e.Target = strings.TrimSuffix(k, "_id") + ":" + v
		}
	}
	if tool == "list_users" {
		e.Target = "customer-search" // the query itself may be an email: not kept
	}
	if e.UserID == "" && e.Target == "" && e.JobID == "" {
		return nil
	}
	if failed != nil {
		e.Decision = "read-failed"
	}
	return d.Audit.Record(e.By(ctx))
}
