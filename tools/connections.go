package tools

import (
	"context"
	"fmt"
	"time"

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
	InstitutionID string `json:"institution_id,omitempty" jsonschema:"pattern=^[A-Z]{2}[0-9]+$,maxLength=7" jsonschema_description:"e.g. AU00000"`
}

type listConnectionsResult struct {
	Connections []views.Connection `json:"connections"`
}

// listConnectionsTool is the list_connections tool.
var listConnectionsTool = spec[listConnectionsParams, listConnectionsResult]{name: "list_connections", title: "List connections", toolset: SetConnections, hints: readHints, run: listConnections,
	description: "A user's bank connections: status (active, pending, invalid) and last refresh."}

func listConnections(ctx context.Context, d *call, p listConnectionsParams) (listConnectionsResult, error) {
	read := time.Now()
	l, err := d.Client.ListConnections(ctx, p.UserID, basiq.ListConnectionsOptions{Status: p.Status, InstitutionID: p.InstitutionID})
	if err != nil {
		return listConnectionsResult{}, err
	}
	if p.Status == "" && p.InstitutionID == "" { // every connection: the index may take the list as it is
		d.updateIndex(ctx, p.UserID, read, func(t *guard.Triage) { withConnections(t, l.Data) })
	}
	noteSkipped(d, "connection", l)
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

// getConnectionTool is the get_connection tool.
var getConnectionTool = spec[connectionParams, connectionDetail]{name: "get_connection", title: "Get connection", toolset: SetConnections, hints: readHints, run: getConnection,
	description: "Get one connection with its accounts and balances."}

func getConnection(ctx context.Context, d *call, p connectionParams) (connectionDetail, error) {
	c, err := d.Client.GetConnection(ctx, p.UserID, p.ConnectionID)
	if err != nil {
		return connectionDetail{}, err
	}
	res := connectionDetail{Connection: views.FromConnection(*c), Accounts: []AccountView{}}
	if c.Accounts != nil {
		noteSkipped(d, "account", c.Accounts)
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
	DryRun bool `json:"dry_run,omitempty" jsonschema_description:"Say whether it would be sent, and why; send nothing."`
}

// DecisionView is a refresh decision as the model reads it.
type DecisionView struct {
	UserID       string `json:"user_id"`
	ConnectionID string `json:"connection_id"`
	Outcome      string `json:"outcome" jsonschema:"enum=refreshed,enum=reused-running-job,enum=refused,enum=deferred,enum=would-refresh"`
	Reason       string `json:"reason,omitempty"`
	RetryAt      string `json:"retry_at,omitempty" jsonschema_description:"RFC 3339 time from which a refresh will be allowed"`
	JobID        string `json:"job_id,omitempty"`
}

func decisionView(d guard.Decision) DecisionView {
	return DecisionView{UserID: d.UserID, ConnectionID: d.ConnectionID, Outcome: d.Outcome, Reason: d.Reason, RetryAt: d.RetryAt, JobID: d.JobID}
}

type refreshResult struct {
	Decision DecisionView `json:"decision"`
	NextStep string       `json:"next_step"`
}

// refreshConnectionTool is the refresh_connection tool.
var refreshConnectionTool = spec[refreshParams, refreshResult]{name: "refresh_connection", title: "Refresh connection", toolset: SetConnections, hints: refreshHints, run: refreshConnection,
	description: "Fetch fresh data for one connection; returns the job. Guarded: reuses a running job, or refuses (status, cooldown, daily cap, outage, budget) with the reason."}

// refreshConnection goes through the governor: it may reuse a running job,
// refuse or defer (a tool error with the reason and the retry time).
func refreshConnection(ctx context.Context, d *call, p refreshParams) (refreshResult, error) {
	dec, err := d.Governor.Refresh(ctx, "refresh_connection", p.UserID, p.ConnectionID, p.DryRun)
	if err != nil {
		return refreshResult{}, err
	}
	d.sayWhatTheIndexKnows(&dec)
	switch {
	case p.DryRun && (dec.Outcome == guard.Refused || dec.Outcome == guard.Deferred):
		return refreshResult{Decision: decisionView(dec), NextStep: "A refresh would be refused now; nothing was sent. Do not retry before retry_at."}, nil
	case dec.Outcome == guard.Refused || dec.Outcome == guard.Deferred:
		return refreshResult{}, &refusalError{dec}
	case dec.Outcome == guard.WouldRefresh:
		return refreshResult{Decision: decisionView(dec), NextStep: "Nothing was sent. Call again without dry_run to refresh."}, nil
	}
	return refreshResult{Decision: decisionView(dec), NextStep: "Follow the job with get_job and wait_seconds; new data is available when retrieve-transactions succeeds."}, nil
}

type refreshAllParams struct {
	userIDParam
	DryRun bool `json:"dry_run,omitempty" jsonschema_description:"Only return the plan; send nothing."`
}

type refreshAllResult struct {
	Decisions []DecisionView `json:"decisions"`
	Sent      int            `json:"sent" jsonschema_description:"refreshes sent to Basiq (0 in a dry run)"`
	Allowed   int            `json:"allowed" jsonschema_description:"connections the rules allow now"`
	Skipped   int            `json:"skipped"`
}

// refreshAllConnectionsTool is the refresh_all_connections tool.
var refreshAllConnectionsTool = spec[refreshAllParams, refreshAllResult]{name: "refresh_all_connections", title: "Refresh a user's connections", toolset: SetConnections, hints: refreshHints, run: refreshAllConnections,
	description: "Refresh each of a user's connections the rules allow; the rest are listed with the reason."}

// refreshAllConnections applies the per-connection rules to each of one
// user's connections in turn; Basiq's own refresh-all is never used, as it
// would bypass them.
func refreshAllConnections(ctx context.Context, d *call, p refreshAllParams) (refreshAllResult, error) {
	l, err := d.Client.ListConnections(ctx, p.UserID, basiq.ListConnectionsOptions{})
	if err != nil {
		return refreshAllResult{}, err
	}
	res := refreshAllResult{Decisions: []DecisionView{}}
	for _, c := range l.Data {
		dec, err := d.Governor.Refresh(ctx, "refresh_all_connections", p.UserID, c.ID, p.DryRun)
		if err != nil {
			dec = guard.Decision{UserID: p.UserID, ConnectionID: c.ID, Outcome: guard.Refused, Reason: explain(err)}
		}
		d.sayWhatTheIndexKnows(&dec)
		switch dec.Outcome {
		case guard.Refreshed:
			res.Sent++
			res.Allowed++
		case guard.WouldRefresh:
			res.Allowed++
		default:
			res.Skipped++
		}
		res.Decisions = append(res.Decisions, decisionView(dec))
	}
	return res, nil
}

// sayWhatTheIndexKnows adds to a bulk refusal what the customer index
// holds of that customer: whether they are in the support queue and why,
// or that nothing there needs them, so an agent looping over customers
// learns from the refusal itself where a refresh would not help, and
// reads the rest from support_queue rather than diagnosing each.
func (d *call) sayWhatTheIndexKnows(dec *guard.Decision) {
	if dec.Rule != guard.RuleBulk || d.Users == nil {
		return
	}
	t, ok := d.Users.KeptTriage(dec.UserID)
	if !ok || t.Deleted {
		return
	}
	asOf := t.Confirmed.UTC().Format(time.RFC3339)
	problems := problemsOf(t, time.Now(), consentSoon)
	if len(problems) == 0 {
		dec.Reason += fmt.Sprintf(" The customer index (as of %s) shows nothing about this customer that needs anyone: Basiq's daily refresh keeps their data.", asOf)
		return
	}
	words := make([]string, len(problems))
	for i, p := range problems {
		words[i] = p.sentence()
	}
	dec.Reason += fmt.Sprintf(" The customer index (as of %s) has this customer in the support queue for: %s. A refresh does not mend a connection or consent that waits on the customer.", asOf, joinMax(words, 3))
}
