package tools

import (
	"context"
	"slices"

	"github.com/basiq-mcp/basiq-mcp/tools/guard"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// Scopes lists the OAuth scopes, for the protected-resource metadata.
var Scopes = guard.Scopes

// defaultScope is the scope a tool needs unless its spec names one: purges
// and deletes need basiq:destructive, refreshes basiq:refresh, other writes
// basiq:write, and reads basiq:read.
func defaultScope(name string, h hints) string {
	switch {
	case h.destructive:
		return guard.ScopeDestructive
	case name == "refresh_connection" || name == "refresh_all_connections":
		return guard.ScopeRefresh
	case !h.readOnly:
		return guard.ScopeWrite
	}
	return guard.ScopeRead
}

// admit puts every tools/call through the caller policy (guard.Access)
// before the tool runs: the tool's scope and the customers its arguments
// name, with jobs and reports resolved to their customers. A refusal is a
// tool error that says why; nothing reaches Basiq.
func admit(access *guard.Access, v *visibility) server.ToolHandlerMiddleware {
	return func(next server.ToolHandlerFunc) server.ToolHandlerFunc {
		return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			t, ok := v.tools[req.Params.Name]
			if !ok {
				return next(ctx, req)
			}
			if why := v.refusal(ctx, t.Def.Name); why != "" {
				return mcp.NewToolResultError(why), nil
			}
			args := req.GetArguments()
			id := func(k string) string { v, _ := args[k].(string); return v }
			ask := guard.Ask{Entry: t.Def.Name, Scope: t.Scope, Reach: t.Reach, UserID: id("user_id"), JobID: id("job_id"), ReportID: id("report_id")}
			if err := access.Admit(ctx, ask); err != nil {
				return mcp.NewToolResultError(explain(err)), nil
			}
			// A refresh counts for the bulk rule by its caller, else its MCP
			// session; sessionless callerless requests share one scope.
			if s := server.ClientSessionFromContext(ctx); s != nil && s.SessionID() != "" {
				ctx = guard.WithRefreshScope(ctx, "session:"+s.SessionID())
			}
			return next(ctx, req)
		}
	}
}

// mayReach reports whether ctx's caller may see an object of these
// customers: always without a caller or a binding; for a bound caller, only
// when it names customers and all are the caller's.
func mayReach(ctx context.Context, users ...string) bool {
	c, ok := guard.CallerFrom(ctx)
	if !ok || !c.Bound {
		return true
	}
	return len(users) > 0 && !slices.ContainsFunc(users, func(u string) bool { return !c.MayReach(u) })
}
