// Package tools holds every MCP tool of basiq-mcp: one inventory, one generic
// adapter (schema, decoding, validation, errors, logging) and one file per
// Basiq area. A tool is a Params struct, a result struct and a small handler;
// the adapter turns the Params struct into the input schema and the result
// struct into the output schema, so the two can never drift apart.
package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/basiq/text"
	"github.com/basiq-mcp/basiq-mcp/tools/guard"
	"github.com/invopop/jsonschema"
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

// idMarker in a field's tag ("pattern=id") makes it a Basiq id: advertised
// with basiq.IDPattern and checked by basiq.ValidateID, the one id check.
const idMarker = "id"

// reflector turns Params and result structs into JSON Schema: inline (no
// $defs), closed objects, required unless the field has omitempty.
var reflector = &jsonschema.Reflector{DoNotReference: true, ExpandedStruct: true, Anonymous: true}

// reflected holds each parameter or result type's schema: reflection was
// a quarter of start-up, so it is done once (WarmSchemas does it beside the
// rest of the start). The schemas are only read once built.
var reflected sync.Map // reflect.Type -> reflectedSchema

type reflectedSchema struct {
	schema *jsonschema.Schema
	raw    json.RawMessage
}

// schemaOf reflects T once, at start-up. A struct that does not reflect to an
// object schema is a programming error, so it panics there, never at call time.
func schemaOf[T any]() (*jsonschema.Schema, json.RawMessage) {
	if r, ok := reflected.Load(reflect.TypeFor[T]()); ok {
		return r.(reflectedSchema).schema, r.(reflectedSchema).raw
	}
	s, raw := reflectSchema[T]()
	reflected.Store(reflect.TypeFor[T](), reflectedSchema{s, raw})
	return s, raw
}

// outputs holds each result type's output schema as tools/list sends it
// (lean): encoding it is most of what building the inventory costs.
var outputs sync.Map // reflect.Type -> json.RawMessage

func outputSchemaOf[R any](tool string) json.RawMessage {
	if raw, ok := outputs.Load(reflect.TypeFor[R]()); ok {
		return raw.(json.RawMessage)
	}
	// Only the lean form is sent: encoding the full schema as well (deep
	// row types, every description) was most of the start's CPU.
	raw, err := json.Marshal(lean(reflectObject[R](), outputDepth+1))
	if err != nil {
		panic(fmt.Sprintf("tools: %s output schema: %v", tool, err))
	}
	outputs.Store(reflect.TypeFor[R](), json.RawMessage(raw))
	return raw
}

// WarmSchemas reflects and encodes every tool's schemas, so that the
// server's start, run meanwhile, finds them done: call it on its own
// goroutine first thing.
func WarmSchemas() {
	Inventory(&Deps{SearchDocs: func(string, int) []DocHit { return nil },
		SandboxConsent: func(context.Context, string, SandboxLogin) (string, []string, error) { return "", nil, nil }})
}

// reflectObject reflects T, which must be an object schema.
func reflectObject[T any]() *jsonschema.Schema {
	s := reflector.Reflect(new(T))
	if s.Type != "object" {
		panic(fmt.Sprintf("tools: %s must reflect to an object schema, got %q", reflect.TypeFor[T](), s.Type))
	}
	if s.Properties == nil || s.Properties.Len() == 0 {
		s.Properties = jsonschema.NewProperties() // MCP clients expect "properties" even when empty
	}
	s.Version = "" // MCP reads a schema without $schema as 2020-12, which this is; 58 bytes a tool saved
	return s
}

// reflectSchema reflects an argument type T and encodes the schema a
// client reads.
func reflectSchema[T any]() (*jsonschema.Schema, json.RawMessage) {
	s := reflectObject[T]()
	// An id ("pattern=id") is checked by basiq.ValidateID alone; the schema a
	// client reads leaves the pattern out (about 700 bytes of tools/list).
	// A long length limit on free text (a name, a query, a cursor) guards
	// the server and tells a model nothing; decoding enforces it, and the
	// schema a client reads leaves it out too (about 240 bytes).
	var ids []*jsonschema.Schema
	guards := map[*jsonschema.Schema]*uint64{}
	for p := s.Properties.Oldest(); p != nil; p = p.Next() {
		v := p.Value
		if v.Pattern == idMarker {
			v.Pattern = ""
			ids = append(ids, v)
		}
		if v.Type == "string" && v.MaxLength != nil && *v.MaxLength >= freeTextLimit && v.Pattern == "" && len(v.Enum) == 0 && v.Format == "" {
			guards[v], v.MaxLength = v.MaxLength, nil
		}
	}
	raw, err := json.Marshal(s)
	if err != nil {
		panic(fmt.Sprintf("tools: %s: %v", reflect.TypeFor[T](), err))
	}
	for _, id := range ids {
		id.Pattern = basiq.IDPattern // decoding still knows it is an id
	}
	for v, limit := range guards {
		v.MaxLength = limit
	}
	return s, raw
}

// freeTextLimit is the shortest length limit on free text that guards the
// server rather than shapes an argument (a report title's 50 does).
const freeTextLimit = 64

// outputDepth is how many levels of nesting an output schema spells out.
// Every byte of tools/list is taken from the model's context, and a model
// learns the fields of a list item from the first result it reads, so an
// output schema names and types the top-level fields and the fields of
// objects directly under them; arrays of objects are typed, not spelled out.
const outputDepth = 0

// lean trims an output schema for tools/list to field names and types: no
// descriptions, no required lists, no closed objects, nothing below depth
// but the type (an array is typed, its items are not).
func lean(s *jsonschema.Schema, depth int) *jsonschema.Schema {
	if s == nil {
		return nil
	}
	out := &jsonschema.Schema{Type: s.Type} // a result's values are read in the result; their vocabulary costs every context
	if s.Items != nil && depth > 1 {        // an array is typed, its items are learnt from a result
		out.Items = lean(s.Items, max(depth-1, 0))
	}
	if s.Properties != nil && depth > 0 {
		out.Properties = jsonschema.NewProperties()
		for p := s.Properties.Oldest(); p != nil; p = p.Next() {
			out.Properties.Set(p.Key, lean(p.Value, depth-1))
		}
	}
	return out
}

// define binds a spec to its dependencies and builds the MCP tool.
func define[P, R any](d *Deps, s spec[P, R]) Tool {
	in, inRaw := schemaOf[P]()
	outRaw := outputSchemaOf[R](s.name)
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
