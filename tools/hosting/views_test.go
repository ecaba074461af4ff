package hosting_test

import (
	"strings"
	"testing"

	"github.com/basiq-mcp/basiq-mcp/testdata/mcptest"
	"github.com/stretchr/testify/assert"
)

// TestStatelessAppsClientGetsTheViews: a stateless 2026-07-28 client
// announces its capabilities with every request; one that announces MCP
// Apps gets each view's tool linked (_meta.ui) and the views listed, one
// that does not gets neither.
func TestStatelessAppsClientGetsTheViews(t *testing.T) {
	t.Parallel()
	base := mcptest.StartServer(t, binary, sandboxEnv(), "--transport", "http",
		"--state-dir", t.TempDir(), "--index-share", "0", "--events-poll", "0")
	apps := map[string]any{"extensions": map[string]any{"io.modelcontextprotocol/ui": map[string]any{"mimeTypes": []string{"text/html;profile=mcp-app"}}}}
	list := func(method string, caps map[string]any) map[string]any {
		return mcptest.StatelessResult(t, base+"/mcp", method, nil, caps)
	}
	for _, caps := range []map[string]any{nil, apps} {
		linked := map[string]any{}
		for _, tl := range list("tools/list", caps)["tools"].([]any) {
			tool := tl.(map[string]any)
			if meta, ok := tool["_meta"].(map[string]any); ok && meta["ui"] != nil {
				linked[tool["name"].(string)] = meta["ui"].(map[string]any)["resourceUri"]
			}
		}
		views := 0
		for _, r := range list("resources/list", caps)["resources"].([]any) {
			if strings.HasPrefix(r.(map[string]any)["uri"].(string), "ui://") {
				views++
			}
		}
		if caps == nil {
			assert.Empty(t, linked, "no _meta.ui without the extension")
			assert.Zero(t, views, "no views listed without the extension")
			continue
		}
		assert.Equal(t, map[string]any{"get_report": "ui://basiq-mcp/affordability.html", "list_transactions": "ui://basiq-mcp/spending.html",
			"diagnose_connection": "ui://basiq-mcp/diagnosis.html", "support_queue": "ui://basiq-mcp/queue.html"}, linked)
		assert.Equal(t, 4, views)
	}
}
