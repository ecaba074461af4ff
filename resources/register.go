package resources

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/tools/guard"
	"github.com/basiq-mcp/basiq-mcp/tools/jsonrpc"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// Options configure the resources.
type Options struct {
	Client *basiq.Client
	// LiveDocsURL is where Basiq's published pages are read (default
	// DefaultLiveDocsURL); "off" serves the embedded guides only.
	LiveDocsURL string
	HTTPClient  *http.Client
	// Access is the caller policy every read passes (nil: one on Client).
	Access *guard.Access
	// Audit, with AuditReads, records each read of customer data.
	Audit      *guard.Audit
	AuditReads bool
	// SupportQueue answers basiq://support/queue for the caller in ctx
	// (nil: the resource is not offered).
	SupportQueue func(ctx context.Context) (any, error)
	// AppsClient reports whether ctx's client shows MCP Apps views; only
	// such a client finds the views in resources/list (nil: none does).
	AppsClient func(ctx context.Context) bool
}

// QueueURI is the support queue as a resource: subscribe to it to hear
// whenever a customer in it may have changed.
const QueueURI = "basiq://support/queue"

const (
	mimeMarkdown = "text/markdown"
	mimeJSON     = "application/json"
	mimePDF      = "application/pdf"
)

// Set is the resources of one server, ready to register.
type Set struct {
	queue      func(ctx context.Context) (any, error)
	subs       *subscriptions
	r          *reader
	completer  *Completer
	access     *guard.Access
	audit      *guard.Audit
	auditReads bool
	apps       func(ctx context.Context) bool
}

// New prepares the resources; the completer is needed before the MCP
// server is built (it is a server option), the registration after.
func New(o Options) (*Set, error) {
	r := &reader{client: o.Client}
	if o.LiveDocsURL != "off" {
		base := o.LiveDocsURL
		if base == "" {
			base = DefaultLiveDocsURL
		}
		var err error
		if r.live, err = newLiveDocs(base, o.HTTPClient); err != nil {
			return nil, err
		}
	}
	access := o.Access
	if access == nil {
		access = guard.NewAccess(&guard.BasiqOwners{Client: o.Client})
	}
	auditReads := o.AuditReads && o.Audit != nil
	completer := &Completer{client: o.Client, live: r.live}
	if auditReads {
		completer.audit = o.Audit
	}
	return &Set{r: r, completer: completer, access: access, audit: o.Audit, auditReads: auditReads, queue: o.SupportQueue, apps: o.AppsClient}, nil
}

// Completer completes resource template and prompt arguments.
func (set *Set) Completer() *Completer { return set.completer }

// Register adds every resource and template to s, behind the caller
// policy, and keeps each session's resource subscriptions through hooks
// (the server must offer the subscribe capability).
func (set *Set) Register(s *server.MCPServer, hooks *server.Hooks) {
	set.watch(s, hooks)
	r := set.r
	server.WithResourceHandlerMiddleware(set.admit)(s)
	for _, g := range guideHeads() {
		s.AddResource(mcp.NewResource(g.URI(), g.Slug, mcp.WithResourceTitle(g.Title), mcp.WithResourceDescription(g.Description),
			mcp.WithMIMEType(mimeMarkdown)), server.ResourceHandlerFunc(coded(r.guide)))
	}
	registerViews(s, hooks, set.apps)
	s.AddResource(mcp.NewResource("basiq://connectors", "connectors", mcp.WithResourceTitle("Institutions and their status"),
		mcp.WithResourceDescription("Every institution and access method Basiq supports, with its current status."), mcp.WithMIMEType(mimeJSON)),
		server.ResourceHandlerFunc(coded(r.connectors)))
	if set.queue != nil {
		s.AddResource(mcp.NewResource(QueueURI, "support-queue", mcp.WithResourceTitle("Support queue"),
			mcp.WithResourceDescription("Who needs attention and why, most urgent first (support_queue's first 100 rows); subscribe to hear when it changes."),
			mcp.WithMIMEType(mimeJSON)), func(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
			v, err := set.queue(ctx)
			if err != nil {
				return nil, err // the index, not Basiq, failed: the queue reads no Basiq but the banks' status
			}
			return jsonContents(req.Params.URI, v)
		})
	}
	templates := []struct {
		uri, name, title, desc, mime string
		read                         server.ResourceTemplateHandlerFunc
	}{
		{"basiq://docs/{slug}", "guide", "A basiq-mcp guide", "One of this server's guides by slug (see resources/list).", mimeMarkdown, r.guide},
		{"basiq://basiq-docs/{page}", "basiq-page", "A page of Basiq's documentation",
			"A page of Basiq's published documentation, read live (cached 1 h); offline, the closest embedded guide, marked as such.", mimeMarkdown, r.livePage},
		{"basiq://connectors/{id}", "connector", "One institution's status", "One institution (e.g. AU00000): each access method with its status and stage.", mimeJSON, r.connector},
		{"basiq://users/{userId}", "user", "A user", "A user's contact details, connection ids and account count.", mimeJSON, r.user},
		{"basiq://users/{userId}/connections", "user-connections", "A user's connections", "A user's connections with status and last refresh.", mimeJSON, r.userConnections},
		{"basiq://jobs/{jobId}", "job", "A job", "A job's steps and status.", mimeJSON, r.job},
		{"basiq://reports/{reportId}/pdf", "report-pdf", "A report as PDF", "A finished report (get_report gives its id) as the PDF Basiq renders.", mimePDF, r.reportPDF},
	}
	for _, t := range templates {
		s.AddResourceTemplate(mcp.NewResourceTemplate(t.uri, t.name, mcp.WithTemplateTitle(t.title), mcp.WithTemplateDescription(t.desc),
			mcp.WithTemplateMIMEType(t.mime)), coded(t.read))
	}
}

// missing is a read of something that does not exist; coded gives it the
// protocol's resource-not-found code.
type missing struct{ error }

// coded gives h's errors the JSON-RPC codes MCP names (see jsonrpc): a missing
// resource is resource-not-found, a malformed id invalid params, and only
// what remains (Basiq unreachable, our bugs) an internal error.
func coded(h server.ResourceTemplateHandlerFunc) server.ResourceTemplateHandlerFunc {
	return func(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
		contents, err := h(ctx, req)
		var m missing
		if errors.As(err, &m) {
			return nil, jsonrpc.NotFound(ctx, m.error)
		}
		return contents, err
	}
}

// reader answers resources/read.
type reader struct {
	client *basiq.Client
	live   *liveDocs
}

func text(uri, mime, body string) []mcp.ResourceContents {
	return []mcp.ResourceContents{mcp.TextResourceContents{URI: uri, MIMEType: mime, Text: body}}
}

func jsonContents(uri string, v any) ([]mcp.ResourceContents, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return text(uri, mimeJSON, string(b)), nil
}

// param extracts the one variable part of uri after prefix (and before
// suffix), refusing anything that is not an id.
func param(uri, prefix, suffix string) (string, error) {
	v, ok := strings.CutPrefix(uri, prefix)
	if !ok {
		return "", missing{fmt.Errorf("unknown resource %q", uri)}
	}
	if v, ok = strings.CutSuffix(v, suffix); !ok && suffix != "" {
		return "", missing{fmt.Errorf("unknown resource %q", uri)}
	}
	if err := basiq.ValidateID("id", v); err != nil {
		return "", jsonrpc.InvalidParams(fmt.Errorf("resource %q: %v", uri, strings.TrimPrefix(err.Error(), "basiq: ")))
	}
	return v, nil
}

func (r *reader) guide(_ context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
	slug, err := param(req.Params.URI, "basiq://docs/", "")
	if err != nil {
		return nil, err
	}
	g, ok := FindGuide(slug)
	if !ok {
		var slugs []string
		for _, g := range Guides() {
			slugs = append(slugs, g.Slug)
		}
		return nil, missing{fmt.Errorf("no guide %q; the guides are: %s", slug, strings.Join(slugs, ", "))}
	}
	return text(req.Params.URI, mimeMarkdown, g.Body), nil
}

func (r *reader) livePage(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
	page, err := param(req.Params.URI, "basiq://basiq-docs/", "")
	if err != nil {
		return nil, err
	}
	if r.live == nil {
		return text(req.Params.URI, mimeMarkdown, fallback(page, fmt.Errorf("live documentation is turned off"))), nil
	}
	body, err := r.live.Page(ctx, page)
	if err != nil {
		return text(req.Params.URI, mimeMarkdown, fallback(page, err)), nil
	}
	return text(req.Params.URI, mimeMarkdown, body), nil
}
