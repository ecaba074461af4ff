package tools_test

import (
	"context"
	"encoding/json"
	"flag"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/basiq-mcp/basiq-mcp/testdata/mcptest"
	"github.com/basiq-mcp/basiq-mcp/tools"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// toolName is a verb and what it acts on; support_queue, a name the
// support team asked for by name, is the one noun phrase.
var toolName = regexp.MustCompile(`^((list|get|create|refresh|check|purge|delete|search|answer|diagnose|complete)_[a-z]+(_[a-z]+)*|support_queue)$`)

// TestEveryToolIsWellFormed asserts the invariants over tools/list as a
// client sees it: names, titles, the hints, closed input schemas and
// output schemas that compile.
func TestEveryToolIsWellFormed(t *testing.T) {
	listed := newHarness(t, tools.Options{AllowDestructive: true}).listTools(t)
	require.Len(t, listed, countTools(t, tools.Options{Toolsets: []string{"all"}, AllowDestructive: true}), "every tool")
	for _, tl := range listed {
		t.Run(tl.Name, func(t *testing.T) {
			assert.Regexp(t, toolName, tl.Name)
			assert.NotEmpty(t, tl.Title)
			assert.Empty(t, tl.Annotations.Title, "the title is sent once, as the tool title")
			assert.GreaterOrEqual(t, len(tl.Description), 40, "a description written for a model")
			a := tl.Annotations
			require.NotNil(t, a.ReadOnlyHint)
			require.NotNil(t, a.DestructiveHint)
			assert.Equal(t, *a.ReadOnlyHint, a.IdempotentHint == nil, "idempotentHint on every tool that changes something, and only there (the spec gives it no meaning on a read)")
			require.NotNil(t, a.OpenWorldHint)
			assert.Equal(t, tl.Name != "search_docs", *a.OpenWorldHint, "every tool but search_docs talks to Basiq")
			assert.False(t, *a.ReadOnlyHint && *a.DestructiveHint)
			in := schemaMap(t, tl, "inputSchema")
			assert.Equal(t, "object", in["type"])
			assert.Equal(t, false, in["additionalProperties"], "unknown arguments are refused")
			outputSchema(t, tl)
		})
	}
}

func schemaMap(t *testing.T, tl mcp.Tool, key string) map[string]any {
	raw, err := json.Marshal(tl)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	s, ok := m[key].(map[string]any)
	require.True(t, ok, "%s has %s", tl.Name, key)
	return s
}

// outputSchema compiles a tool's output schema for validation.
func outputSchema(t *testing.T, tl mcp.Tool) *openapi3.Schema {
	t.Helper()
	raw, err := json.Marshal(schemaMap(t, tl, "outputSchema"))
	require.NoError(t, err)
	var s openapi3.Schema
	require.NoError(t, json.Unmarshal(raw, &s), tl.Name)
	require.Equal(t, "object", s.Type.Slice()[0])
	return &s
}

// validateResult checks structured content against the declared schema.
func validateResult(t *testing.T, h *harness, name string, structured any) {
	t.Helper()
	for _, tl := range h.listTools(t) {
		if tl.Name == name {
			raw, _ := json.Marshal(structured)
			var v any
			require.NoError(t, json.Unmarshal(raw, &v))
			require.NoError(t, outputSchema(t, tl).VisitJSON(v, openapi3.MultiErrors()), "%s result matches its output schema", name)
			return
		}
	}
	t.Fatalf("no tool %s", name)
}

func TestToolListGolden(t *testing.T) {
	listed := newHarness(t, tools.Options{AllowDestructive: true}).listTools(t)
	mcptest.Golden(t, filepath.Join("..", "testdata", "tools.golden.json"), listed, *update, "go test ./tools -update")
}

func TestExposureOptions(t *testing.T) {
	names := func(o tools.Options) map[string]bool {
		out := map[string]bool{}
		for _, tl := range newHarness(t, o).listTools(t) {
			out[tl.Name] = true
		}
		return out
	}
	def := names(tools.Options{})
	assert.Len(t, def, countTools(t, tools.Options{Toolsets: []string{"all"}}), "every toolset (the harness asks for all)")
	assert.True(t, def["refresh_connection"])
	assert.False(t, def["purge_connection"], "destructive tools are off by default")
	ro := names(tools.Options{ReadOnly: true, AllowDestructive: true})
	assert.False(t, ro["create_user"] || ro["refresh_connection"] || ro["delete_user"], "read-only wins")
	assert.True(t, ro["list_transactions"])
	all := names(tools.Options{AllowDestructive: true})
	assert.True(t, all["purge_connection"] && all["delete_user"] && all["delete_connection"] && all["delete_auth_link"] && all["delete_consent"] && all["delete_report"])
	sets := names(tools.Options{Toolsets: []string{"reports"}, AllowDestructive: true})
	assert.Equal(t, map[string]bool{"list_report_types": true, "create_report": true, "get_report": true, "list_reports": true, "delete_report": true}, sets)
	picked := names(tools.Options{Tools: []string{"get_user", "list_users"}})
	assert.Len(t, picked, 2)
	excluded := names(tools.Options{ExcludeTools: []string{"refresh_connection", "refresh_all_connections"}})
	assert.False(t, excluded["refresh_connection"] || excluded["refresh_all_connections"])
	assert.Len(t, excluded, len(def)-2)
	_, err := tools.Select(tools.Inventory(&tools.Deps{}), tools.Options{Toolsets: []string{"userz"}})
	assert.ErrorContains(t, err, `no toolset "userz"`)
	_, err = tools.Select(tools.Inventory(&tools.Deps{}), tools.Options{ExcludeTools: []string{"purge"}})
	assert.ErrorContains(t, err, `no tool named "purge"`)
}

// countTools is how many tools the options select from the inventory, so
// that no test hard-codes a count that every new tool would break.
func countTools(t *testing.T, o tools.Options) int {
	t.Helper()
	chosen, err := tools.Select(tools.Inventory(&tools.Deps{SearchDocs: fakeSearch}), o)
	require.NoError(t, err)
	return len(chosen)
}

// TestToolsetsNameTheInventorys: the toolset names written out for the
// flags' help are exactly the inventory's, sorted.
func TestToolsetsNameTheInventorys(t *testing.T) {
	sets := map[string]bool{}
	all := tools.Inventory(&tools.Deps{SearchDocs: func(string, int) []tools.DocHit { return nil },
		SandboxConsent: func(context.Context, string, tools.SandboxLogin) (string, []string, error) { return "", nil, nil }})
	for _, tl := range all {
		sets[tl.Toolset] = true
	}
	assert.Equal(t, slices.Sorted(maps.Keys(sets)), tools.Toolsets())
}

// TestSchemasWarmedBesideTheStartAreTheSame: warming the schemas on
// another goroutine while the server builds its inventory gives the same
// tools (run under -race in CI).
func TestSchemasWarmedBesideTheStartAreTheSame(t *testing.T) {
	deps := &tools.Deps{SearchDocs: func(string, int) []tools.DocHit { return nil }}
	done := make(chan struct{})
	go func() { tools.WarmSchemas(); close(done) }()
	first := tools.Inventory(deps)
	<-done
	again := tools.Inventory(deps)
	require.Equal(t, len(first), len(again))
	for i := range first {
		a, _ := json.Marshal(first[i].Def)
		b, _ := json.Marshal(again[i].Def)
		assert.JSONEq(t, string(a), string(b), first[i].Def.Name)
	}
}
