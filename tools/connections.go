package tools

import (
	"context"

	"github.com/basiq-mcp/basiq-mcp/basiq"
)

type connectionParams struct {
	userIDParam
	ConnectionID string `json:"connection_id" jsonschema:"required,pattern=^[A-Za-z0-9][A-Za-z0-9._-]*$,maxLength=128" jsonschema_description:"The connection id (from list_connections)."`
}

type listConnectionsParams struct {
	userIDParam
	Status        string `json:"status,omitempty" jsonschema:"enum=active,enum=pending,enum=invalid" jsonschema_description:"Only connections in this status."`
	InstitutionID string `json:"institution_id,omitempty" jsonschema:"pattern=^[A-Z]{2}[0-9]+$,maxLength=7" jsonschema_description:"Only connections to this institution, e.g. AU00000."`
}

type listConnectionsResult struct {
	Connections []ConnectionView `json:"connections"`
}

func listConnections(ctx context.Context, d *Deps, p listConnectionsParams) (listConnectionsResult, error) {
	l, err := d.Client.ListConnections(ctx, p.UserID, basiq.ListConnectionsOptions{Status: p.Status, InstitutionID: p.InstitutionID})
	if err != nil {
		return listConnectionsResult{}, err
	}
	res := listConnectionsResult{Connections: []ConnectionView{}}
	for _, c := range l.Data {
		res.Connections = append(res.Connections, connectionView(c))
	}
	return res, nil
}

type connectionDetail struct {
	ConnectionView
	Accounts []AccountView `json:"accounts"`
}

func getConnection(ctx context.Context, d *Deps, p connectionParams) (connectionDetail, error) {
	c, err := d.Client.GetConnection(ctx, p.UserID, p.ConnectionID)
	if err != nil {
		return connectionDetail{}, err
	}
	res := connectionDetail{ConnectionView: connectionView(*c), Accounts: []AccountView{}}
	if c.Accounts != nil {
		for _, a := range c.Accounts.Data {
			if a.Connection == "" {
				a.Connection, a.Institution = c.ID, c.Institution.ID
			}
			res.Accounts = append(res.Accounts, accountView(a))
		}
	}
	return res, nil
}

type refreshResult struct {
	JobID    string `json:"job_id"`
	Reused   bool   `json:"reused_running_job" jsonschema:"description=true when a refresh was already running and that job is returned instead of a new one"`
	NextStep string `json:"next_step"`
}

func refreshConnection(ctx context.Context, d *Deps, p connectionParams) (refreshResult, error) {
	job, reused, err := d.Client.RefreshConnection(ctx, p.UserID, p.ConnectionID)
	if err != nil {
		return refreshResult{}, err
	}
	return refreshResult{JobID: job.ID, Reused: reused,
		NextStep: "Follow the job with wait_for_job (or get_job); new data is available when retrieve-transactions succeeds."}, nil
}
