package tools

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/basiq-mcp/basiq-mcp/tools/guard"
	"github.com/mark3labs/mcp-go/mcp"
)

// wantedToolsets are the toolsets the options keep (nil: every one).
func wantedToolsets(all []Tool, o Options) []string {
	sets := map[string]bool{}
	for _, t := range all {
		sets[t.Toolset] = true
	}
	var wanted []string
	for _, s := range o.Toolsets {
		switch {
		case s == "all":
			return nil
		case sets[s]:
			wanted = append(wanted, s)
		}
	}
	return wanted
}

// leftOut says which setting leaves t out of a server with these options,
// and what enables it; "" when t is exposed.
func leftOut(t Tool, o Options, wanted []string) string {
	name := t.Def.Name
	switch {
	case o.ReadOnly && !t.ReadOnly:
		return fmt.Sprintf("%s changes data, and this server runs read-only (--read-only, BASIQ_MCP_READ_ONLY), which the operator sets", name)
	case t.Destructive && !o.AllowDestructive:
		return fmt.Sprintf("%s is a destructive tool, off by design: the operator enables purges and deletes with --allow-destructive (BASIQ_MCP_ALLOW_DESTRUCTIVE). Tell the person who runs this server if they want it", name)
	case len(wanted) > 0 && !slices.Contains(wanted, t.Toolset):
		return fmt.Sprintf("%s is in the %s toolset, which this server's --toolsets (BASIQ_MCP_TOOLSETS) leaves out", name, t.Toolset)
	case len(o.Tools) > 0 && !slices.Contains(o.Tools, name):
		return fmt.Sprintf("%s is not among the tools this server's --tools (BASIQ_MCP_TOOLS) lists", name)
	case slices.Contains(o.ExcludeTools, name):
		return fmt.Sprintf("%s is hidden by this server's --exclude-tools (BASIQ_MCP_EXCLUDE_TOOLS)", name)
	}
	return ""
}

// visibility is what the configuration exposes, for the list filter and
// the admit middleware.
type visibility struct {
	tools  map[string]Tool   // every tool registered
	hidden map[string]string // why the configuration leaves a tool out
}

// filter decides what each tools/list shows: not what the configuration
// leaves out, only the request's toolsets (when it chose some), and only
// what the caller's scopes allow. mcp-go also runs filters on tools/call,
// with the one tool called (every tool of the inventory is registered, so
// a list is never that short): a call passes, and admit refuses it with the
// reason, instead of "tool not found".
func (v *visibility) filter(ctx context.Context, list []mcp.Tool) []mcp.Tool {
	if len(list) == 1 && len(v.tools) > 1 {
		return list
	}
	sets, _ := ctx.Value(toolsetsKey{}).([]string)
	caller, hasCaller := guard.CallerFrom(ctx)
	apps := AppsClient(ctx)
	out := make([]mcp.Tool, 0, len(list))
	for _, t := range list {
		tool := v.tools[t.Name]
		switch {
		case v.hidden[t.Name] != "",
			len(sets) > 0 && !slices.Contains(sets, tool.Toolset),
			hasCaller && !caller.HasScope(tool.Scope):
			continue
		}
		if apps {
			t = withView(t)
		}
		out = append(out, t)
	}
	return out
}

// refusal is why a tools/call may not run before the caller policy is
// asked: the configuration leaves the tool out, or the request's toolsets do.
func (v *visibility) refusal(ctx context.Context, name string) string {
	if why := v.hidden[name]; why != "" {
		return why + "; nothing was sent."
	}
	sets, _ := ctx.Value(toolsetsKey{}).([]string)
	if t, ok := v.tools[name]; ok && len(sets) > 0 && !slices.Contains(sets, t.Toolset) {
		return fmt.Sprintf("%s is in the %s toolset, and this request chose only %s (the X-MCP-Toolsets header or toolsets query); nothing was sent.",
			name, t.Toolset, strings.Join(slices.Sorted(slices.Values(sets)), ", "))
	}
	return ""
}
