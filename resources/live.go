package resources

import (
	"context"
	"encoding/base64"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/basiq/views"
	"github.com/basiq-mcp/basiq-mcp/tools/guard"
	"github.com/mark3labs/mcp-go/mcp"
)

// The views below are what a resource read returns: small, current JSON.

type connectorView struct {
	ID     string `json:"id"`
	Method string `json:"method"`
	Name   string `json:"name"`
	Status string `json:"status"`
	Stage  string `json:"stage,omitempty"`
}

func (r *reader) connectors(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
	l, err := r.client.ListConnectors(ctx, basiq.ListConnectorsOptions{})
	if err != nil {
		return nil, failed(err)
	}
	out := make([]connectorView, 0, len(l.Data))
	for _, c := range l.Data {
		out = append(out, connectorView{c.ID, c.Method, c.Institution.Name, c.Status, c.Stage})
	}
	return jsonContents(req.Params.URI, map[string]any{"connectors": out})
}

func (r *reader) connector(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
	id, err := param(req.Params.URI, "basiq://connectors/", "")
	if err != nil {
		return nil, err
	}
	l, err := r.client.ListConnectors(ctx, basiq.ListConnectorsOptions{ID: id})
	if err != nil {
		return nil, failed(err)
	}
	if len(l.Data) == 0 {
		return nil, missing{fmt.Errorf("no institution %q; basiq://connectors lists them", id)}
	}
	out := make([]connectorView, 0, len(l.Data))
	for _, c := range l.Data {
		out = append(out, connectorView{c.ID, c.Method, c.Institution.Name, c.Status, c.Stage})
	}
	return jsonContents(req.Params.URI, map[string]any{"id": id, "name": l.Data[0].Institution.Name, "methods": out})
}

func (r *reader) user(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
	id, err := param(req.Params.URI, "basiq://users/", "")
	if err != nil {
		return nil, err
	}
	u, err := r.client.GetUser(ctx, id)
	if err != nil {
		return nil, failed(err)
	}
	return jsonContents(req.Params.URI, views.FromUser(u))
}

func (r *reader) userConnections(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
	id, err := param(req.Params.URI, "basiq://users/", "/connections")
	if err != nil {
		return nil, err
	}
	l, err := r.client.ListConnections(ctx, id, basiq.ListConnectionsOptions{})
	if err != nil {
		return nil, failed(err)
	}
	out := []views.Connection{}
	for _, c := range l.Data {
		out = append(out, views.FromConnection(c))
	}
	return jsonContents(req.Params.URI, map[string]any{"user_id": id, "connections": out})
}

func (r *reader) job(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
	id, err := param(req.Params.URI, "basiq://jobs/", "")
	if err != nil {
		return nil, err
	}
	j, err := r.client.GetJob(ctx, id)
	if err != nil {
		return nil, failed(err)
	}
	status := basiq.JobState(j)
	steps := []map[string]string{}
	for _, s := range j.Steps {
		st := map[string]string{"name": s.Title, "status": s.Status}
		if s.Status == basiq.StepFailed && s.Result != nil {
			st["error_code"] = s.Result.Code
		}
		steps = append(steps, st)
	}
	return jsonContents(req.Params.URI, map[string]any{"id": j.ID, "type": j.JobType, "status": status, "steps": steps})
}

// reportPDF is a finished report as Basiq's PDF, base64 in a blob.
func (r *reader) reportPDF(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
	id, err := param(req.Params.URI, "basiq://reports/", "/pdf")
	if err != nil {
		return nil, err
	}
	pdf, err := r.client.GetReportPDF(ctx, id)
	if err != nil {
		return nil, failed(err)
	}
	return []mcp.ResourceContents{mcp.BlobResourceContents{URI: req.Params.URI, MIMEType: mimePDF, Blob: base64.StdEncoding.EncodeToString(pdf)}}, nil
}

// failed words a Basiq failure for a resource read: what Basiq said and the
// correlation id. It never carries credentials.
func failed(err error) error {
	e, ok := basiq.AsError(err)
	if !ok {
		return fmt.Errorf("reading from Basiq failed: %v", err)
	}
	msg := fmt.Sprintf("Basiq answered %d %s: %s", e.StatusCode, e.Code, firstNonEmpty(e.Detail, e.Title))
	if e.CorrelationID != "" {
		msg += " (correlationId " + e.CorrelationID + ")"
	}
	if e.StatusCode == 404 {
		return missing{fmt.Errorf("%s", msg)}
	}
	return fmt.Errorf("%s", msg)
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// Completer completes the arguments of resource templates and prompts:
// guide slugs, Basiq page names, institution ids and names, user ids and
// report types. Basiq lookups are cached for a minute.
type Completer struct {
	client *basiq.Client
	live   *liveDocs
	// audit, with --audit-reads, records each completion that offered
	// customer ids (who was shown the list, never the ids).
	audit *guard.Audit

	mu    sync.Mutex
	cache map[string]cachedValues
}

type cachedValues struct {
	values []string
	at     time.Time
}

// CompleteResourceArgument completes a template argument.
func (c *Completer) CompleteResourceArgument(ctx context.Context, _ string, arg mcp.CompleteArgument, _ mcp.CompleteContext) (*mcp.Completion, error) {
	return c.complete(ctx, arg)
}

// CompletePromptArgument completes a prompt argument.
func (c *Completer) CompletePromptArgument(ctx context.Context, _ string, arg mcp.CompleteArgument, _ mcp.CompleteContext) (*mcp.Completion, error) {
	return c.complete(ctx, arg)
}

func (c *Completer) complete(ctx context.Context, arg mcp.CompleteArgument) (*mcp.Completion, error) {
	var values []string
	var err error
	if arg.Name == "userId" || arg.Name == "user_id" {
		// A caller is offered only the customers it may reach, and a bound
		// one costs Basiq nothing: its token lists them.
		own, all := mayComplete(ctx)
		values = own
		if all {
			values, err = c.values(ctx, arg.Name)
		}
		if c.audit != nil && err == nil && len(values) > 0 {
			if aerr := c.audit.Record(guard.Entry{Tool: "completion/complete", Target: "customer-ids", Decision: "read"}.By(ctx)); aerr != nil {
				return &mcp.Completion{Values: []string{}}, nil // not audited: nothing offered
			}
		}
	} else {
		values, err = c.values(ctx, arg.Name)
	}
	if err != nil {
		return &mcp.Completion{Values: []string{}}, nil // completion is a hint: no answer rather than an error
	}
	want := strings.ToLower(arg.Value)
	var match []string
	for _, v := range values {
		if strings.Contains(strings.ToLower(v), want) {
			value, _, _ := strings.Cut(v, nameSep)
			match = append(match, value)
		}
	}
	sort.SliceStable(match, func(i, j int) bool {
		return strings.HasPrefix(strings.ToLower(match[i]), want) && !strings.HasPrefix(strings.ToLower(match[j]), want)
	})
	out := &mcp.Completion{Values: []string{}, Total: len(match)}
	if len(match) > 100 {
		match, out.HasMore = match[:100], true
	}
	out.Values = append(out.Values, match...)
	return out, nil
}
