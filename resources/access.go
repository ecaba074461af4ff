package resources

import (
	"context"
	"fmt"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/tools/guard"
	"github.com/basiq-mcp/basiq-mcp/tools/jsonrpc"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// customerArgs are the template variables that name customer data, and
// what each names: a resource with any of them needs basiq:read and is
// answered only for the caller's own customers (a job or a report is first
// resolved to its customers). Templates without them (guides, Basiq's pages,
// institutions) read nothing of any customer.
var customerArgs = map[string]func(*guard.Ask, string){
	"userId":   func(a *guard.Ask, v string) { a.UserID = v },
	"jobId":    func(a *guard.Ask, v string) { a.JobID = v },
	"reportId": func(a *guard.Ask, v string) { a.ReportID = v },
}

// askOf is what a resources/read asks of the caller policy.
func askOf(req mcp.ReadResourceRequest) (guard.Ask, bool) {
	ask := guard.Ask{Entry: "resource " + req.Params.URI, Reach: guard.ReachNone}
	customer := false
	for name, set := range customerArgs {
		if v := argString(req.Params.Arguments[name]); v != "" {
			set(&ask, v)
			customer = true
		}
	}
	if customer {
		ask.Scope, ask.Reach = guard.ScopeRead, guard.ReachNamed
	}
	if req.Params.URI == QueueURI { // customers' states, each row kept only where the caller may reach
		ask.Scope, ask.Reach, customer = guard.ScopeRead, guard.ReachFiltered, true
	}
	return ask, customer
}

func argString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []string:
		if len(v) == 1 {
			return v[0]
		}
	}
	return ""
}

// admit is the resource middleware: every resources/read passes the caller
// policy before its handler runs, and a read of customer data is audited
// (with --audit-reads) like a tool's: who read whose object, never the data.
func (set *Set) admit(next server.ResourceHandlerFunc) server.ResourceHandlerFunc {
	return func(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
		ask, customer := askOf(req)
		if err := set.access.Admit(ctx, ask); err != nil {
			if guard.IsRefusal(err) {
				return nil, jsonrpc.InvalidParams(err)
			}
			if e, ok := basiq.AsError(err); ok && e.StatusCode == 404 {
				return nil, jsonrpc.NotFound(ctx, fmt.Errorf("%s names nothing at Basiq", req.Params.URI))
			}
			return nil, failed(err)
		}
		contents, err := next(ctx, req)
		if !customer || !set.auditReads {
			return contents, err
		}
		e := guard.Entry{Tool: "resources/read", UserID: ask.UserID, JobID: ask.JobID, Decision: "read"}
		if ask.ReportID != "" {
			e.Target = "report:" + ask.ReportID
		}
		if err != nil {
			e.Decision = "read-failed"
		}
		if aerr := set.audit.Record(e.By(ctx)); aerr != nil {
			return nil, fmt.Errorf("the read could not be written to the audit, so its contents are withheld; try again, and tell the operator if it persists")
		}
		return contents, err
	}
}

// mayComplete reports which customer ids a completion may offer ctx's
// caller: every one (all true) for the deployment or an unbound reader,
// only its own for a bound caller, none without basiq:read.
func mayComplete(ctx context.Context) (own []string, all bool) {
	c, ok := guard.CallerFrom(ctx)
	switch {
	case !ok:
		return nil, true
	case !c.HasScope(guard.ScopeRead):
		return nil, false
	case c.Bound:
		return c.Customers, false
	}
	return nil, true
}
