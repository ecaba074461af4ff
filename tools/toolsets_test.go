package tools_test

import (
	"context"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/tools"
	"github.com/basiq-mcp/basiq-mcp/tools/guard"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// onDemandHarness is a server started as an operator would by default: the
// default toolsets listed, the others behind enable_toolset.
func onDemandHarness(t *testing.T, opts tools.Options) *harness {
	require.Nil(t, opts.Toolsets)
	require.Nil(t, opts.Tools)
	return newGuardedHarness(t, opts, guard.DefaultPolicy(), filepath.Join(t.TempDir(), "guard.db"))
}

func toolNames(list []mcp.Tool) []string {
	var out []string
	for _, tl := range list {
		out = append(out, tl.Name)
	}
	return out
}

// enableAll enables every on-demand toolset, so the session lists every tool.
func enableAll(t *testing.T, h *harness) []mcp.Tool {
	for _, set := range []string{tools.SetReports, tools.SetConsents, tools.SetDocs} {
		var res struct{ Tools []string }
		h.ok(t, tools.EnableToolset, obj{"toolset": set}, &res)
	}
	return h.listTools(t)
}

func TestOnDemandToolsets(t *testing.T) {
	h := onDemandHarness(t, tools.Options{})
	var changed atomic.Int32
	h.client.OnNotification(func(n mcp.JSONRPCNotification) {
		if n.Method == "notifications/tools/list_changed" {
			changed.Add(1)
		}
	})

	listed := toolNames(h.listTools(t))
	defaults := countTools(t, tools.Options{Toolsets: []string{"default"}})
	assert.Len(t, listed, defaults+1, "the default toolsets and enable_toolset")
	assert.Contains(t, listed, tools.EnableToolset)
	assert.NotContains(t, listed, "create_report", "reports wait for enable_toolset")
	_, err := h.client.CallTool(context.Background(), callReq("create_report", obj{}))
	assert.Error(t, err, "a tool the session has not enabled does not exist for it")

	var res struct {
		Toolset string
		Tools   []string
		Note    string
	}
	h.ok(t, tools.EnableToolset, obj{"toolset": "reports"}, &res)
	assert.Equal(t, []string{"list_report_types", "create_report", "get_report", "list_reports"}, res.Tools)
	assert.Contains(t, res.Note, "Enabled")
	require.Eventually(t, func() bool { return changed.Load() == 1 }, 2*time.Second, 5*time.Millisecond,
		"the client is told its tool list changed")
	listed = toolNames(h.listTools(t))
	assert.Len(t, listed, defaults+1+len(res.Tools))
	assert.Contains(t, listed, "create_report")
	assert.NotContains(t, listed, "list_consents", "only the toolset asked for")
	var types struct{ Types []struct{ ID string } }
	h.ok(t, "list_report_types", obj{}, &types)
	assert.NotEmpty(t, types.Types)

	h.ok(t, tools.EnableToolset, obj{"toolset": "reports"}, &res)
	assert.Contains(t, res.Note, "Already enabled")
	assert.Contains(t, h.fail(t, tools.EnableToolset, obj{"toolset": "data"}), `must be one of "consents", "docs", "reports"`)

	other := connect(t, h.server, "second")
	res2, err := other.ListTools(context.Background(), mcp.ListToolsRequest{})
	require.NoError(t, err)
	assert.Len(t, res2.Tools, defaults+1, "another session keeps its own list")
	assert.EqualValues(t, 1, changed.Load(), "enabling twice notifies once")
}

func TestOnDemandRespectsExposureOptions(t *testing.T) {
	h := onDemandHarness(t, tools.Options{ReadOnly: true, ExcludeTools: []string{"search_docs"}})
	var res struct{ Tools []string }
	h.ok(t, tools.EnableToolset, obj{"toolset": "reports"}, &res)
	assert.Equal(t, []string{"list_report_types", "get_report", "list_reports"}, res.Tools, "read-only holds for on-demand tools")
	assert.Contains(t, h.fail(t, tools.EnableToolset, obj{"toolset": "docs"}), "no tools on this server")

	chosen := newHarness(t, tools.Options{Toolsets: []string{"default"}})
	listed := toolNames(chosen.listTools(t))
	assert.Len(t, listed, countTools(t, tools.Options{Toolsets: []string{"default"}}), "an operator's choice of toolsets is final: no enable_toolset")
	assert.False(t, slices.Contains(listed, tools.EnableToolset))
}

// TestEnableToolsetMatchesInventory keeps the argument's enum in step with
// the toolsets that are not listed by default.
func TestEnableToolsetMatchesInventory(t *testing.T) {
	sets := map[string]bool{}
	for _, tl := range tools.Inventory(&tools.Deps{SearchDocs: fakeSearch}) {
		if !slices.Contains(tools.DefaultToolsets, tl.Toolset) {
			sets[tl.Toolset] = true
		}
	}
	h := onDemandHarness(t, tools.Options{})
	for _, tl := range h.listTools(t) {
		if tl.Name == tools.EnableToolset {
			enum := schemaMap(t, tl, "inputSchema")["properties"].(map[string]any)["toolset"].(map[string]any)["enum"]
			assert.Len(t, enum, len(sets))
			for _, s := range enum.([]any) {
				assert.True(t, sets[s.(string)], "%s is an on-demand toolset", s)
			}
		}
	}
}

func callReq(name string, args map[string]any) mcp.CallToolRequest {
	req := mcp.CallToolRequest{}
	req.Params.Name, req.Params.Arguments = name, args
	return req
}
