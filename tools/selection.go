package tools

import (
	"context"
	"slices"
)

type toolsetsKey struct{}

// WithToolsets returns ctx narrowing the tools a request sees to some
// toolsets (the HTTP edge reads them from each request, see
// hosting.ToolsetsHeader). No session is needed, so it works for stateless
// 2026-07-28 clients and for clients that never re-list tools. It only
// narrows what the server's configuration allows, never widens it; an
// unknown name is kept, so the request sees no tool of it. Empty or "all"
// leaves ctx as it is.
func WithToolsets(ctx context.Context, sets []string) context.Context {
	if len(sets) == 0 || slices.Contains(sets, "all") {
		return ctx
	}
	return context.WithValue(ctx, toolsetsKey{}, sets)
}
