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

// scopeFilter hides from every tools/list the tools a caller's token does
// not allow, whatever the list's length. mcp-go runs the filters on
// tools/call too, with the one tool called: when the server has more than
// one tool, a one-tool list can only be that, and the call is left to
// admit, so the caller gets a tool error naming the scope rather than "tool
// not found". A server of one tool cannot tell the two apart and hides it.
func scopeFilter(scopeOf map[string]string) func(context.Context, []mcp.Tool) []mcp.Tool {
	return func(ctx context.Context, list []mcp.Tool) []mcp.Tool {
		caller, ok := guard.CallerFrom(ctx)
		if !ok || len(list) == 1 && len(scopeOf) > 1 {
			return list
		}
		out := make([]mcp.Tool, 0, len(list))
		for _, t := range list {
			if caller.HasScope(scopeOf[t.Name]) {
				out = append(out, t)
			}
		}
		return out
	}
}

// admit puts every tools/call through the caller policy (guard.Access)
// before the tool runs: the tool's scope and the customers its arguments
// name, with jobs and reports resolved to their customers. A refusal is a
// tool error that says why; nothing reaches Basiq.
func admit(access *guard.Access, byName map[string]Tool) server.ToolHandlerMiddleware {
	return func(next server.ToolHandlerFunc) server.ToolHandlerFunc {
		return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			t, ok := byName[req.Params.Name]
			if !ok {
				return next(ctx, req)
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
