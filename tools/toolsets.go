package tools

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// DefaultToolsets are listed from the start when no toolsets are chosen: the
// work of connecting banks, diagnosing connections and reading the data.
// The other toolsets stay out of tools/list, and so out of the model's
// context, until a session asks for one with enable_toolset.
var DefaultToolsets = []string{SetUsers, SetConnections, SetJobs, SetConnectors, SetData}

// EnableToolset is the name of the tool that adds an on-demand toolset to a
// session; it exists only on servers with on-demand toolsets.
const EnableToolset = "enable_toolset"

// onDemandToolsets are the toolsets enable_toolset can add; the enum of its
// argument lists them, so a test keeps the two in step.
var onDemandToolsets = []string{SetReports, SetConsents, SetDocs}

// maxTrackedSessions bounds the sessions whose enabled toolsets are
// remembered; past it the oldest forget theirs (their tools are hidden
// again, nothing else is lost).
const maxTrackedSessions = 10_000

// onDemand hides the tools of the toolsets a session has not enabled. It is
// a tool filter, so mcp-go applies it to tools/list and tools/call alike.
type onDemand struct {
	setOf map[string]string   // tool name -> toolset, on-demand tools only
	tools map[string][]string // toolset -> its tool names, in inventory order

	mu      sync.Mutex
	enabled map[string]map[string]bool // session id -> toolsets; replaced, never changed in place
	order   []string                   // session ids, oldest first
}

func newOnDemand(hidden []Tool) *onDemand {
	o := &onDemand{setOf: map[string]string{}, tools: map[string][]string{}, enabled: map[string]map[string]bool{}}
	for _, t := range hidden {
		o.setOf[t.Def.Name] = t.Toolset
		o.tools[t.Toolset] = append(o.tools[t.Toolset], t.Def.Name)
	}
	return o
}

func sessionID(ctx context.Context) string {
	if s := server.ClientSessionFromContext(ctx); s != nil {
		return s.SessionID()
	}
	return ""
}

// filter keeps the tools that are always listed and those of the toolsets
// the calling session has enabled.
func (o *onDemand) filter(ctx context.Context, list []mcp.Tool) []mcp.Tool {
	o.mu.Lock()
	sets := o.enabled[sessionID(ctx)]
	o.mu.Unlock()
	out := make([]mcp.Tool, 0, len(list))
	for _, t := range list {
		if set, hidden := o.setOf[t.Name]; !hidden || sets[set] {
			out = append(out, t)
		}
	}
	return out
}

// enable records a toolset for a session and reports whether it was new.
func (o *onDemand) enable(session, set string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	old, known := o.enabled[session]
	if old[set] {
		return false
	}
	next := map[string]bool{set: true}
	for s := range old {
		next[s] = true
	}
	if !known {
		o.order = append(o.order, session)
		if len(o.order) > maxTrackedSessions {
			delete(o.enabled, o.order[0])
			o.order = o.order[1:]
		}
	}
	o.enabled[session] = next
	return true
}

type enableToolsetParams struct {
	Toolset string `json:"toolset" jsonschema:"required,enum=reports,enum=consents,enum=docs"`
}

type enableToolsetResult struct {
	Toolset string   `json:"toolset"`
	Tools   []string `json:"tools"`
	Note    string   `json:"note"`
}

// run is the enable_toolset handler: it shows the toolset's tools to this
// session and tells the client its tool list changed.
func (o *onDemand) run(ctx context.Context, _ *call, p enableToolsetParams) (enableToolsetResult, error) {
	names := o.tools[p.Toolset]
	if len(names) == 0 {
		return enableToolsetResult{}, fmt.Errorf("not done: toolset %q has no tools on this server (the operator's --read-only or --exclude-tools removed them)", p.Toolset)
	}
	session := sessionID(ctx)
	if session == "" {
		return enableToolsetResult{}, errors.New("not done: this request has no MCP session, so tools cannot be added to it. Ask the operator to start basiq-mcp with --toolsets all (or BASIQ_MCP_TOOLSETS=all)")
	}
	res := enableToolsetResult{Toolset: p.Toolset, Tools: names, Note: "Enabled; the tools are in your tool list now."}
	if !o.enable(session, p.Toolset) {
		res.Note = "Already enabled; the tools are in your tool list."
		return res, nil
	}
	if srv := server.ServerFromContext(ctx); srv == nil || srv.SendNotificationToClient(ctx, "notifications/tools/list_changed", nil) != nil {
		res.Note = "Enabled, but the client could not be told: list the tools again to see them."
	}
	return res, nil
}

// describe names every on-demand toolset and its tools, so the model knows
// what it can ask for without listing anything.
func (o *onDemand) describe() string {
	var parts []string
	for _, set := range onDemandToolsets {
		if names := o.tools[set]; len(names) > 0 {
			parts = append(parts, fmt.Sprintf("%s (%s)", set, strings.Join(names, ", ")))
		}
	}
	return "Add tools to your tool list when a task needs them: " + strings.Join(parts, "; ") + "."
}

// splitOnDemand separates the tools listed from the start from those that
// wait for enable_toolset. Only a server started without any toolset or
// tool choice has on-demand tools: an operator's explicit choice is final.
func splitOnDemand(chosen []Tool, o Options) (listed, hidden []Tool) {
	if len(o.Toolsets) > 0 || len(o.Tools) > 0 {
		return chosen, nil
	}
	for _, t := range chosen {
		if slices.Contains(DefaultToolsets, t.Toolset) {
			listed = append(listed, t)
		} else {
			hidden = append(hidden, t)
		}
	}
	return listed, hidden
}

// registerOnDemand adds the hidden tools, the enable_toolset tool and the
// filter that keeps the hidden ones out of each session's view.
func registerOnDemand(s *server.MCPServer, d *Deps, hidden []Tool) Tool {
	o := newOnDemand(hidden)
	enable := define(d, spec[enableToolsetParams, enableToolsetResult]{name: EnableToolset, title: "Enable a toolset",
		hints: localReadHints, run: o.run, description: o.describe()})
	for _, t := range hidden {
		s.AddTool(t.Def, t.Handler)
	}
	s.AddTool(enable.Def, enable.Handler)
	// Server options applied after construction: the filter needs the
	// tools, which are known only now, and enable_toolset tells clients
	// their list changed, which they may expect only when declared.
	server.WithToolCapabilities(true)(s)
	server.WithToolFilter(o.filter)(s)
	return enable
}
