package tools

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
)

// ToolsetsHeader and ToolsetsQuery let an HTTP client narrow the tools it
// sees to some toolsets, per request, as github-mcp-server's remote server
// does. No session is needed, so it works for stateless 2026-07-28 clients
// and for clients that never re-list tools: each request says what it wants.
// It only narrows what the server's configuration allows, never widens it.
const (
	ToolsetsHeader = "X-MCP-Toolsets"
	ToolsetsQuery  = "toolsets"
)

type toolsetsKey struct{}

// RequestToolsets reads a request's toolset choice into ctx; it is an
// mcp-go HTTP context function. An unknown toolset name is kept, so the
// request sees no tool of it (a typo never shows everything).
func RequestToolsets(ctx context.Context, r *http.Request) context.Context {
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
	if len(sets) == 0 || slices.Contains(sets, "all") {
		return ctx
	}
	return context.WithValue(ctx, toolsetsKey{}, sets)
}

// CheckToolsets refuses a request naming a toolset that does not exist, so
// a client learns of its typo instead of seeing an empty list.
func CheckToolsets(r *http.Request) error {
	ctx := RequestToolsets(r.Context(), r)
	sets, _ := ctx.Value(toolsetsKey{}).([]string)
	known := toolsets()
	for _, s := range sets {
		if !slices.Contains(known, s) {
			return fmt.Errorf("no toolset %q: there are %s, or all", s, strings.Join(known, ", "))
		}
	}
	return nil
}

// requestFilter keeps the tools of the toolsets the request chose; mcp-go
// applies it to tools/list and tools/call alike.
func requestFilter(setOf map[string]string) func(context.Context, []mcp.Tool) []mcp.Tool {
	return func(ctx context.Context, list []mcp.Tool) []mcp.Tool {
		sets, _ := ctx.Value(toolsetsKey{}).([]string)
		if len(sets) == 0 {
			return list
		}
		out := make([]mcp.Tool, 0, len(list))
		for _, t := range list {
			if slices.Contains(sets, setOf[t.Name]) {
				out = append(out, t)
			}
		}
		return out
	}
}
