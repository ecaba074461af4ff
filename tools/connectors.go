package tools

import (
	"context"
	"github.com/basiq-mcp/basiq-mcp/tools/guard"
	"strings"

	"github.com/basiq-mcp/basiq-mcp/basiq"
)

// ConnectorView is one institution reachable by one access method.
type ConnectorView struct {
	ID      string `json:"id"`
	Method  string `json:"method"`
	Name    string `json:"name"`
	Type    string `json:"type,omitempty"`
	Status  string `json:"status" jsonschema:"enum=operational,enum=degraded-performance,enum=partial-outage,enum=major-outage,enum=under-maintenance"`
	Stage   string `json:"stage,omitempty"`
	Country string `json:"country,omitempty"`
}

func connectorView(c basiq.Connector) ConnectorView {
	return ConnectorView{ID: c.ID, Method: basiq.NormalMethod(c.Method), Name: c.Institution.Name, Type: c.Institution.Type, Status: c.Status, Stage: c.Stage, Country: c.Institution.Country}
}

type listConnectorsParams struct {
	Status  string `json:"status,omitempty" jsonschema:"enum=operational,enum=degraded-performance,enum=partial-outage,enum=major-outage,enum=under-maintenance"`
	Method  string `json:"method,omitempty" jsonschema:"enum=web,enum=open-banking,enum=pdf,enum=csv"`
	Country string `json:"country,omitempty" jsonschema:"enum=Australia,enum=New Zealand"`
	Query   string `json:"query,omitempty" jsonschema:"maxLength=80" jsonschema_description:"Words of the name or id, e.g. hooli."`
}

type listConnectorsResult struct {
	Connectors []ConnectorView `json:"connectors"`
}

// listConnectorsTool is the list_connectors tool.
var listConnectorsTool = spec[listConnectorsParams, listConnectorsResult]{name: "list_connectors", reach: guard.ReachNone, title: "List institutions", toolset: SetConnectors, hints: readHints, run: listConnectors,
	description: "Banks (connectors) Basiq supports, with each access method's status."}

func listConnectors(ctx context.Context, d *call, p listConnectorsParams) (listConnectorsResult, error) {
	o := basiq.ListConnectorsOptions{Method: p.Method, Country: p.Country}
	if p.Status != "" {
		o.Statuses = []string{p.Status}
	}
	l, err := d.Client.ListConnectors(ctx, o)
	if err != nil {
		return listConnectorsResult{}, err
	}
	noteSkipped(d, "connector", l)
	res := listConnectorsResult{Connectors: []ConnectorView{}}
	query := strings.Fields(strings.ToLower(p.Query))
	for _, c := range l.Data {
		hay := strings.ToLower(c.ID + " " + c.Institution.Name + " " + c.Institution.ShortName)
		if containsAll(hay, query) {
			res.Connectors = append(res.Connectors, connectorView(c))
		}
	}
	return res, nil
}

func containsAll(hay string, words []string) bool {
	for _, w := range words {
		if !strings.Contains(hay, w) {
			return false
		}
	}
	return true
}

type connectorStatusParams struct {
	ConnectorID string `json:"connector_id" jsonschema:"required,pattern=^[A-Z]{2}[0-9]+$,maxLength=7" jsonschema_description:"e.g. AU00000"`
}

type connectorStatusResult struct {
	ID       string          `json:"id"`
	Name     string          `json:"name"`
	Methods  []ConnectorView `json:"methods"`
	Worst    string          `json:"worst_status"`
	Refresh  string          `json:"refresh_now" jsonschema:"enum=go-ahead,enum=expect-delays,enum=defer"`
	Guidance string          `json:"guidance"`
}

// statusAdvice says what each connector status means for refreshing now.
var statusAdvice = map[string]struct{ refresh, guidance string }{
	"operational":          {"go-ahead", "The institution is working normally."},
	"under-maintenance":    {"go-ahead", "Basiq is improving this connector; it still works."},
	"degraded-performance": {"expect-delays", "It works but slowly; jobs may take several times longer. Wait (get_job with wait_seconds) rather than retrying."},
	"partial-outage":       {"defer", "Some requests fail. Defer refreshes by about an hour unless the customer is waiting."},
	"major-outage":         {"defer", "The institution is down. Do not refresh: retry in 1 to 3 hours. Failed jobs now are expected, not the customer's fault."},
}

// checkConnectorStatusTool is the check_connector_status tool.
var checkConnectorStatusTool = spec[connectorStatusParams, connectorStatusResult]{name: "check_connector_status", reach: guard.ReachNone, title: "Check institution status", toolset: SetConnectors, hints: readHints, run: checkConnectorStatus,
	description: "Is an institution working; refresh now (go-ahead, expect-delays, defer)? Check before refreshing."}

func checkConnectorStatus(ctx context.Context, d *call, p connectorStatusParams) (connectorStatusResult, error) {
	l, err := d.Client.ListConnectors(ctx, basiq.ListConnectorsOptions{ID: p.ConnectorID})
	if err != nil {
		return connectorStatusResult{}, err
	}
	if len(l.Data) == 0 {
		return connectorStatusResult{}, badArg("no institution has the id %q; find it with list_connectors", p.ConnectorID)
	}
	res := connectorStatusResult{ID: p.ConnectorID, Name: l.Data[0].Institution.Name, Methods: []ConnectorView{}, Worst: "operational"}
	for _, c := range l.Data {
		res.Methods = append(res.Methods, connectorView(c))
		res.Worst = basiq.WorseStatus(res.Worst, c.Status)
	}
	advice, ok := statusAdvice[res.Worst]
	if !ok {
		advice = statusAdvice["partial-outage"]
	}
	res.Refresh, res.Guidance = advice.refresh, advice.guidance
	return res, nil
}
