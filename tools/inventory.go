package tools

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/basiq-mcp/basiq-mcp/tools/guard"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// Toolsets group tools by Basiq area.
const (
	SetUsers       = "users"
	SetConnections = "connections"
	SetJobs        = "jobs"
	SetConnectors  = "connectors"
	SetData        = "data"
	SetReports     = "reports"
	SetConsents    = "consents"
	SetDocs        = "docs"
)

var (
	localReadHints   = hints{readOnly: true, idempotent: true} // reads this server's own guides, not Basiq
	destructiveHints = hints{destructive: true, idempotent: true, openWorld: true}
	refreshHints     = hints{openWorld: true}
)

// Inventory returns every tool, read and write side by side, in the order
// tools/list shows them.
func Inventory(d *Deps) []Tool {
	all := []Tool{
		define(d, supportQueueTool),
		define(d, listUsersTool),
		define(d, getUserTool),
		define(d, createUserTool),
		define(d, createAuthLinkTool),
		define(d, getAuthLinkTool),

		define(d, listConnectionsTool),
		define(d, diagnoseConnectionTool),
		define(d, getConnectionTool),
		define(d, refreshConnectionTool),
		define(d, refreshAllConnectionsTool),

		define(d, getJobTool),
		define(d, answerMfaTool),
		define(d, listUserJobsTool),

		define(d, listConnectorsTool),
		define(d, checkConnectorStatusTool),

		define(d, listAccountsTool),
		define(d, listTransactionsTool),
		define(d, getTransactionTool),

		define(d, listReportTypesTool),
		define(d, createReportTool),
		define(d, getReportTool),
		define(d, listReportsTool),

		define(d, listConsentsTool),

		define(d, purgeConnectionTool),
		define(d, deleteConnectionTool),
		define(d, deleteUserTool),
		define(d, deleteAuthLinkTool),
		define(d, deleteConsentTool),
		define(d, deleteReportTool),
	}
	if d.SearchDocs != nil {
		all = append(all, define(d, searchDocsTool))
	}
	if d.SandboxConsent != nil {
		all = append(all, define(d, completeSandboxConsentTool))
	}
	return all
}

// Toolsets names every toolset of the inventory, sorted.
func Toolsets() []string { return slices.Clone(toolsetNames) }

// toolsetNames is every toolset, sorted, written out rather than found by
// building the inventory: that reflects every schema, and the flags' help
// needs the names at every start (TestToolsetsNameTheInventorys checks
// that they agree).
var toolsetNames = []string{SetConnections, SetConnectors, SetConsents, SetData, SetDocs, SetJobs, SetReports, SetUsers}

// Options choose which tools a server exposes.
type Options struct {
	// ReadOnly keeps only read tools; it wins over everything else.
	ReadOnly bool
	// AllowDestructive adds purge and delete tools, which are off by default.
	AllowDestructive bool
	// Toolsets keeps only tools of these toolsets ("all", or empty, for
	// every toolset). An HTTP request may narrow it further (see
	// ToolsetsHeader).
	Toolsets []string
	// Tools keeps only these tools (all when empty); ExcludeTools drops these.
	Tools, ExcludeTools []string
	// Wrap is middleware around every tool's handler (metrics, tracing),
	// the first outermost, outside the caller policy.
	Wrap []server.ToolHandlerMiddleware
}

// Select returns the tools the options allow, in inventory order. Unknown
// toolset or tool names are an error, so a typo cannot widen exposure.
func Select(all []Tool, o Options) ([]Tool, error) {
	sets, names := map[string]bool{}, map[string]bool{}
	for _, t := range all {
		sets[t.Toolset], names[t.Def.Name] = true, true
	}
	for _, list := range [][]string{o.Tools, o.ExcludeTools} {
		for _, n := range list {
			if !names[n] {
				return nil, fmt.Errorf("tools: no tool named %q", n)
			}
		}
	}
	for _, s := range o.Toolsets {
		if s != "all" && !sets[s] {
			return nil, fmt.Errorf("tools: no toolset %q (there are %s, or all)", s, strings.Join(slices.Sorted(maps.Keys(sets)), ", "))
		}
	}
	wanted := wantedToolsets(all, o)
	var out []Tool
	for _, t := range all {
		if leftOut(t, o, wanted) == "" {
			out = append(out, t)
		}
	}
	return out, nil
}

// Register adds every tool of the inventory to an MCP server. The tools
// the options allow are listed from the start (clients that never re-list
// tools see them all); the others are never listed, and a call of one is a
// tool error naming the setting that enables it, instead of "tool not found".
// One filter decides what each tools/list shows (configuration, the
// request's toolsets, the caller's scopes), and the admit middleware what
// each tools/call may do.
func Register(s *server.MCPServer, d *Deps, o Options) ([]Tool, error) {
	all := Inventory(d)
	chosen, err := Select(all, o)
	if err != nil {
		return nil, err
	}
	wanted := wantedToolsets(all, o)
	v := &visibility{tools: map[string]Tool{}, hidden: map[string]string{}}
	access := d.Access
	if access == nil {
		access = guard.NewAccess(&guard.BasiqOwners{Client: d.Client})
	}
	// Each handler is registered whole, its middleware around it, so a
	// tool's registered handler is the call (see DirectTool).
	chain := append(slices.Clone(o.Wrap), admit(access, v))
	wrap := func(h server.ToolHandlerFunc) server.ToolHandlerFunc {
		for _, m := range slices.Backward(chain) {
			h = m(h)
		}
		return h
	}
	for _, t := range all {
		v.tools[t.Def.Name] = t
		why := leftOut(t, o, wanted)
		if why == "" {
			s.AddTool(t.Def, wrap(t.Handler))
			continue
		}
		// A tool left out never gets its handler: whatever the filters and
		// middleware do, a call of it cannot reach Basiq.
		v.hidden[t.Def.Name] = why
		s.AddTool(t.Def, wrap(func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return mcp.NewToolResultError(why + "; nothing was sent."), nil
		}))
	}
	server.WithToolFilter(v.filter)(s)
	d.visible = v
	return chosen, nil
}
