package tools

import (
	"context"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/basiq/views"
	"github.com/basiq-mcp/basiq-mcp/tools/guard"
)

type connectionParams struct {
	userIDParam
	ConnectionID string `json:"connection_id" jsonschema:"required,pattern=id"`
}

type listConnectionsParams struct {
	userIDParam
	Status        string `json:"status,omitempty" jsonschema:"enum=active,enum=pending,enum=invalid"`
	InstitutionID string `json:"institution_id,omitempty" jsonschema:"pattern=^[A-Z]{2}[0-9]+$,maxLength=7" jsonschema_description:"Only connections to this institution, e.g. AU00000."`
}

type listConnectionsResult struct {
	Connections []views.Connection `json:"connections"`
}

func listConnections(ctx context.Context, d *Deps, p listConnectionsParams) (listConnectionsResult, error) {
	l, err := d.Client.ListConnections(ctx, p.UserID, basiq.ListConnectionsOptions{Status: p.Status, InstitutionID: p.InstitutionID})
	if err != nil {
		return listConnectionsResult{}, err
	}
	noteSkipped(ctx, "connection", l)
	res := listConnectionsResult{Connections: []views.Connection{}}
	for _, c := range l.Data {
		res.Connections = append(res.Connections, views.FromConnection(c))
	}
	return res, nil
}

type connectionDetail struct {
	views.Connection
	Accounts []AccountView `json:"accounts"`
}

func getConnection(ctx context.Context, d *Deps, p connectionParams) (connectionDetail, error) {
	c, err := d.Client.GetConnection(ctx, p.UserID, p.ConnectionID)
	if err != nil {
		return connectionDetail{}, err
	}
	res := connectionDetail{Connection: views.FromConnection(*c), Accounts: []AccountView{}}
	if c.Accounts != nil {
		noteSkipped(ctx, "account", c.Accounts)
		for _, a := range c.Accounts.Data {
			if a.Connection == "" {
				a.Connection, a.Institution = c.ID, c.Institution.ID
			}
			res.Accounts = append(res.Accounts, accountView(a))
		}
	}
	return res, nil
}

type refreshParams struct {
	connectionParams
	DryRun bool `json:"dry_run,omitempty" jsonschema_description:"Only say whether it would be sent, and why; send nothing."`
}

type refreshResult struct {
	Decision guard.Decision `json:"decision"`
	NextStep string         `json:"next_step"`
}

// refreshConnection goes through the governor: it may reuse a running job,
// refuse or defer (a tool error with the reason and the retry time).
func refreshConnection(ctx context.Context, d *Deps, p refreshParams) (refreshResult, error) {
	dec, err := d.Governor.Refresh(ctx, "refresh_connection", p.UserID, p.ConnectionID, p.DryRun)
	if err != nil {
		return refreshResult{}, err
	}
	switch dec.Outcome {
	case guard.Refused, guard.Deferred:
		return refreshResult{}, &refusalError{dec}
	case guard.WouldRefresh:
		return refreshResult{Decision: dec, NextStep: "Call again without dry_run to refresh."}, nil
	}
	return refreshResult{Decision: dec, NextStep: "Follow the job with get_job and wait_seconds; new data is available when retrieve-transactions succeeds."}, nil
}

type refreshAllParams struct {
	userIDParam
	DryRun bool `json:"dry_run,omitempty" jsonschema_description:"Only return the plan; send nothing."`
}

type refreshAllResult struct {
	Decisions []guard.Decision `json:"decisions"`
	Refreshed int              `json:"refreshed"`
	Skipped   int              `json:"skipped"`
}

// refreshAllConnections applies the per-connection rules to each of one
// user's connections in turn; Basiq's own refresh-all is never used, as it
// would bypass them.
func refreshAllConnections(ctx context.Context, d *Deps, p refreshAllParams) (refreshAllResult, error) {
	l, err := d.Client.ListConnections(ctx, p.UserID, basiq.ListConnectionsOptions{})
	if err != nil {
		return refreshAllResult{}, err
	}
	res := refreshAllResult{Decisions: []guard.Decision{}}
	for _, c := range l.Data {
		dec, err := d.Governor.Refresh(ctx, "refresh_all_connections", p.UserID, c.ID, p.DryRun)
		if err != nil {
			dec = guard.Decision{UserID: p.UserID, ConnectionID: c.ID, Outcome: guard.Refused, Reason: explain(err)}
		}
		if dec.Outcome == guard.Refreshed || dec.Outcome == guard.WouldRefresh {
			res.Refreshed++
		} else {
			res.Skipped++
		}
		res.Decisions = append(res.Decisions, dec)
	}
	return res, nil
}
