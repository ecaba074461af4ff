package hosting

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/basiq-mcp/basiq-mcp/tools"
)

// ToolsetsHeader and ToolsetsQuery let an HTTP client narrow the tools it
// sees to some toolsets, per request, as github-mcp-server's remote server
// does: "X-MCP-Toolsets: users,data" or "?toolsets=users,data".
const (
	ToolsetsHeader = "X-MCP-Toolsets"
	ToolsetsQuery  = "toolsets"
)

// requestToolsets reads a request's toolset choice, lower-cased.
func requestToolsets(r *http.Request) []string {
	raw := r.Header.Get(ToolsetsHeader)
	if raw == "" {
		raw = r.URL.Query().Get(ToolsetsQuery)
	}
	var sets []string
	for _, s := range strings.Split(raw, ",") {
		if s = strings.TrimSpace(strings.ToLower(s)); s != "" {
			sets = append(sets, s)
		}
	}
	return sets
}

// toolsetsContext is the mcp-go HTTP context function that carries a
// request's toolsets to the tool filter.
func toolsetsContext(ctx context.Context, r *http.Request) context.Context {
	return tools.WithToolsets(ctx, requestToolsets(r))
}

// CheckToolsets answers 400 to a request naming a toolset that does not
// exist, so a client learns of its typo instead of seeing an empty list.
func CheckToolsets() Middleware {
	known := tools.Toolsets()
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			for _, s := range requestToolsets(r) {
				if s != "all" && !slices.Contains(known, s) {
					http.Error(w, fmt.Sprintf("no toolset %q: there are %s, or all", s, strings.Join(known, ", ")), http.StatusBadRequest)
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}
