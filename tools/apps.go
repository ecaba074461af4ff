package tools

import (
	"context"
	"slices"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// AppsExtension is the capability key under which a client announces it
// shows MCP Apps views (capabilities.extensions), and AppsMIMEType the
// page type it must list there for ours.
const (
	AppsExtension = "io.modelcontextprotocol/ui"
	AppsMIMEType  = "text/html;profile=mcp-app"
)

// ViewOf names the view (a ui:// resource, see resources.Views) a client
// with Apps shows for each tool's result.
var ViewOf = map[string]string{
	"get_report":          "ui://basiq-mcp/affordability.html",
	"list_transactions":   "ui://basiq-mcp/spending.html",
	"diagnose_connection": "ui://basiq-mcp/diagnosis.html",
	"support_queue":       "ui://basiq-mcp/queue.html",
}

// AppsClient reports whether the client of ctx's session announced the
// Apps extension with our page type (or without a list of types). Only
// such a client gets a tool's _meta.ui and the views in resources/list:
// to any other they are bytes a model would read for nothing.
func AppsClient(ctx context.Context) bool {
	s, ok := server.ClientSessionFromContext(ctx).(server.SessionWithClientInfo)
	if !ok {
		return false
	}
	ext, ok := s.GetClientCapabilities().Extensions[AppsExtension]
	if !ok {
		return false
	}
	settings, _ := ext.(map[string]any)
	types, listed := settings["mimeTypes"].([]any)
	return !listed || slices.Contains(types, any(AppsMIMEType))
}

// withView returns t with _meta.ui naming its view, when it has one; the
// tool's own _meta is copied, not changed.
func withView(t mcp.Tool) mcp.Tool {
	uri, ok := ViewOf[t.Name]
	if !ok {
		return t
	}
	meta := map[string]any{}
	if t.Meta != nil {
		for k, v := range t.Meta.AdditionalFields {
			meta[k] = v
		}
	}
	meta["ui"] = map[string]any{"resourceUri": uri}
	t.Meta = &mcp.Meta{AdditionalFields: meta}
	return t
}
