package resources

import (
	"context"
	_ "embed"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// AppMIMEType is the MIME type of an MCP Apps view.
const AppMIMEType = "text/html;profile=mcp-app"

// View is one of the views shipped as an MCP App: a ui:// page a client
// with Apps shows for a tool's result, drawn from its structuredContent.
type View struct {
	URI, Name, Title, Description string
}

// Views are the views, each named for what it shows. tools links each to
// its tool (tools.ViewOf); a test checks the two agree.
var Views = []View{
	{"ui://basiq-mcp/affordability.html", "affordability", "Affordability report", "get_report's affordability report: income and expense groups over the period as charts, with the numbers and metrics."},
	{"ui://basiq-mcp/spending.html", "spending", "Spending by category", "list_transactions with by_category: money out per category as a chart and a table."},
	{"ui://basiq-mcp/diagnosis.html", "diagnosis", "Connection diagnosis", "diagnose_connection's verdict and next step, with each connection's status, bank and last job."},
	{"ui://basiq-mcp/queue.html", "queue", "Support queue", "support_queue: who needs attention by reason, the banks involved, and each customer's next step."},
}

// The page every view shares, and the one script built from views/src by
// testdata/apps (npm run build; CI checks the two agree).
var (
	//go:embed views/view.html
	viewPage string
	//go:embed views/views.js
	viewScript string
)

var (
	viewPagesOnce sync.Once
	viewPages     map[string]string // by URI
)

// viewHTML is a view's page: the shared page with its name and the script.
func viewHTML(uri string) (string, bool) {
	viewPagesOnce.Do(func() {
		viewPages = map[string]string{}
		for _, v := range Views {
			viewPages[v.URI] = strings.NewReplacer("{{VIEW}}", v.Name, "{{TITLE}}", v.Title, "{{SCRIPT}}", viewScript).Replace(viewPage)
		}
	})
	page, ok := viewPages[uri]
	return page, ok
}

// registerViews adds each view as a resource, listed only to a client
// that shows them (apps): to any other, a view is a large page a model
// would read for nothing. Read by its URI, it is served to anyone.
func registerViews(s *server.MCPServer, hooks *server.Hooks, apps func(context.Context) bool) {
	hooks.AddAfterListResources(func(ctx context.Context, _ any, _ *mcp.ListResourcesRequest, res *mcp.ListResourcesResult) {
		if res == nil || apps != nil && apps(ctx) {
			return
		}
		res.Resources = slices.DeleteFunc(res.Resources, func(r mcp.Resource) bool { return strings.HasPrefix(r.URI, "ui://") })
	})
	for _, v := range Views {
		s.AddResource(mcp.NewResource(v.URI, v.Name, mcp.WithResourceTitle(v.Title), mcp.WithResourceDescription(v.Description), mcp.WithMIMEType(AppMIMEType)),
			func(_ context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
				page, ok := viewHTML(req.Params.URI)
				if !ok {
					return nil, missing{fmt.Errorf("no view %q", req.Params.URI)}
				}
				return []mcp.ResourceContents{mcp.TextResourceContents{URI: req.Params.URI, MIMEType: AppMIMEType, Text: page}}, nil
			})
	}
}
