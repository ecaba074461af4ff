package tools

import (
	"context"
	"fmt"
	"slices"

	"github.com/basiq-mcp/basiq-mcp/basiq/text"
	"github.com/basiq-mcp/basiq-mcp/tools/guard"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// OAuth scopes, each allowing one kind of tool. A caller without an OAuth
// token (stdio, the static bearer token) is not limited by scopes; server
// flags such as --read-only still apply to everyone.
const (
	ScopeRead        = "basiq:read"        // every read tool
	ScopeWrite       = "basiq:write"       // creates: users, consent links, reports, MFA answers
	ScopeRefresh     = "basiq:refresh"     // refresh_connection, refresh_all_connections
	ScopeDestructive = "basiq:destructive" // purges and deletes
)

// Scopes lists the scopes, for the protected-resource metadata.
var Scopes = []string{ScopeRead, ScopeWrite, ScopeRefresh, ScopeDestructive}

// Scope is the scope a caller needs to list and call the tool.
func (t Tool) Scope() string {
	switch {
	case t.Destructive:
		return ScopeDestructive
	case t.Def.Name == "refresh_connection" || t.Def.Name == "refresh_all_connections":
		return ScopeRefresh
	case !t.ReadOnly:
		return ScopeWrite
	}
	return ScopeRead
}

// scopeFilter hides from tools/list the tools a caller's token does not
// allow. mcp-go also runs filters on tools/call, with the one tool called:
// that case is left to scopeCheck, so the caller gets a tool error naming
// the scope instead of "tool not found".
func scopeFilter(scopeOf map[string]string) func(context.Context, []mcp.Tool) []mcp.Tool {
	return func(ctx context.Context, list []mcp.Tool) []mcp.Tool {
		caller, ok := guard.CallerFrom(ctx)
		if !ok || len(list) <= 1 {
			return list
		}
		out := make([]mcp.Tool, 0, len(list))
		for _, t := range list {
			if slices.Contains(caller.Scopes, scopeOf[t.Name]) {
				out = append(out, t)
			}
		}
		return out
	}
}

// scopeCheck refuses a call the caller's token does not allow, as a tool
// error that names the scope; it is the enforcement, the filter only hides.
func scopeCheck(scopeOf map[string]string) server.ToolHandlerMiddleware {
	return func(next server.ToolHandlerFunc) server.ToolHandlerFunc {
		return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			caller, ok := guard.CallerFrom(ctx)
			if need := scopeOf[req.Params.Name]; ok && !slices.Contains(caller.Scopes, need) {
				return mcp.NewToolResultError(fmt.Sprintf("%s needs the OAuth scope %s, which this access token does not carry; ask the administrator for a token with it", req.Params.Name, need)), nil
			}
			if ok && caller.Bound {
				if msg := outsideCustomers(caller, req); msg != "" {
					return mcp.NewToolResultError(msg), nil
				}
			}
			return next(ctx, req)
		}
	}
}

// customerNeutral tools read nothing of any customer, so a caller bound to
// some customers may still use them.
var customerNeutral = []string{"list_connectors", "check_connector_status", "list_report_types", "search_docs"}

// outsideCustomers refuses, before anything reaches Basiq, a call of a
// caller bound to some customers (guard.CustomersClaim) that names another
// customer, or that could reach any customer without naming one.
func outsideCustomers(caller guard.Caller, req mcp.CallToolRequest) string {
	if slices.Contains(customerNeutral, req.Params.Name) {
		return ""
	}
	user, _ := req.GetArguments()["user_id"].(string)
	switch {
	case user == "":
		return fmt.Sprintf("this access token is bound to %d customers, and %s does not name one (user_id): use a tool that takes user_id, with one of theirs", len(caller.Customers), req.Params.Name)
	case !slices.Contains(caller.Customers, user):
		return fmt.Sprintf("this access token is not allowed to reach customer %q: it is bound to %d other customers", text.Truncate(user, 64), len(caller.Customers))
	}
	return ""
}
