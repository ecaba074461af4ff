package tools

import (
	"context"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/basiq/text"
	"github.com/basiq-mcp/basiq-mcp/basiq/views"
	"github.com/basiq-mcp/basiq-mcp/tools/guard"
)

type reportTypeView struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Required    []string `json:"required_filters"`
	Optional    []string `json:"optional_filters"`
	Creatable   bool     `json:"creatable" jsonschema_description:"create_report can make it"`
	Note        string   `json:"note,omitempty"`
}

// creatable are the report types create_report makes. Others (such as
// BUS_AFFOR_01, which must be enabled for the account and always ends today)
// are listed, marked, with the reason.
var creatable = map[string]bool{basiq.ReportConsumerAffordability: true, basiq.ReportBankStatement: true}

type listReportTypesResult struct {
	Types []reportTypeView `json:"types"`
}

type noParams struct{}

// listReportTypesTool is the list_report_types tool.
var listReportTypesTool = spec[noParams, listReportTypesResult]{name: "list_report_types", reach: guard.ReachNone, title: "List report types", toolset: SetReports, hints: readHints, run: listReportTypes,
	description: "List the report types this Basiq account can create, with their filters."}

func listReportTypes(ctx context.Context, d *call, _ noParams) (listReportTypesResult, error) {
	l, err := d.Client.ListReportTypes(ctx)
	if err != nil {
		return listReportTypesResult{}, err
	}
	noteSkipped(d, "report type", l)
	res := listReportTypesResult{Types: []reportTypeView{}}
	for _, t := range l.Data {
		v := reportTypeView{ID: t.ID, Name: text.Clean(t.Name, 80), Description: text.Clean(t.Description, 200), Required: []string{}, Optional: []string{}, Creatable: creatable[t.ID]}
		if !v.Creatable {
			v.Note = "create_report makes CON_AFFOR_01 and STATEMENT_01 only; create this type in Basiq's dashboard or API"
		}
		for _, f := range t.Filters {
			if f.Required {
				v.Required = append(v.Required, f.Name)
			} else {
				v.Optional = append(v.Optional, f.Name)
			}
		}
		res.Types = append(res.Types, v)
	}
	return res, nil
}

type createReportParams struct {
	idemParam
	ReportType string   `json:"report_type" jsonschema:"required,enum=CON_AFFOR_01,enum=STATEMENT_01" jsonschema_description:"CON_AFFOR_01: affordability (income, expenses, commitments, risks). STATEMENT_01: one account's statement."`
	Title      string   `json:"title" jsonschema:"required,minLength=1,maxLength=50" jsonschema_description:"e.g. 'Ada Lovelace affordability 2026-03'."`
	UserID     string   `json:"user_id" jsonschema:"required,pattern=id"`
	FromDate   string   `json:"from_date" jsonschema:"required,format=date" jsonschema_description:"First day."`
	ToDate     string   `json:"to_date,omitempty" jsonschema:"format=date" jsonschema_description:"Last day (default today)."`
	AccountIDs []string `json:"account_ids,omitempty" jsonschema:"maxItems=50" jsonschema_description:"CON_AFFOR_01: the accounts (default: all eligible)."`
	AccountID  string   `json:"account_id,omitempty" jsonschema:"pattern=id" jsonschema_description:"STATEMENT_01 (required there): the account."`
}

type createReportResult struct {
	JobID      string `json:"job_id,omitempty"`
	ReportID   string `json:"report_id,omitempty"`
	ReportType string `json:"report_type"`
	NextStep   string `json:"next_step"`
}

// createReportTool is the create_report tool.
var createReportTool = spec[createReportParams, createReportResult]{name: "create_report", title: "Create report", toolset: SetReports, hints: writeHints, run: createReport,
	description: "Start a CON_AFFOR_01 affordability or STATEMENT_01 statement report for one user and period; returns the job. Needs an active consent and accounts."}

func createReport(ctx context.Context, d *call, p createReportParams) (createReportResult, error) {
	from, _ := parseDay(p.FromDate)
	today := time.Now().UTC().Truncate(24 * time.Hour)
	to := today
	if p.ToDate != "" {
		to, _ = parseDay(p.ToDate)
	}
	if to.Before(from) {
		return createReportResult{}, badArg("\"to_date\" (%s) is before \"from_date\" (%s)", basiq.Date(to), p.FromDate)
	}
	if to.After(today) {
		return createReportResult{}, badArg("\"to_date\" (%s) is in the future: Basiq has no data after today (%s); leave it out to end today", basiq.Date(to), basiq.Date(today))
	}
	filters := []basiq.ReportFilter{{Name: "fromDate", Value: basiq.Date(from)}, {Name: "toDate", Value: basiq.Date(to)}}
	switch p.ReportType {
	case basiq.ReportBankStatement:
		if p.AccountID == "" || len(p.AccountIDs) > 0 {
			return createReportResult{}, badArg("STATEMENT_01 needs \"account_id\" (one account, from list_accounts) and takes no \"account_ids\"")
		}
		filters = append(filters, basiq.ReportFilter{Name: "user", Value: p.UserID}, basiq.ReportFilter{Name: "account", Value: p.AccountID})
	default:
		if p.AccountID != "" {
			return createReportResult{}, badArg("CON_AFFOR_01 takes \"account_ids\" (a list), not \"account_id\"")
		}
		accounts, err := reportAccounts(ctx, d, p)
		if err != nil {
			return createReportResult{}, err
		}
		filters = append(filters, basiq.ReportFilter{Name: "users", Value: []string{p.UserID}}, basiq.ReportFilter{Name: "accounts", Value: accounts})
	}
	// Basiq bills each report: one of the caller's reports is reserved
	// before anything is sent, and taken back if nothing was (a replay).
	hold, err := d.ReportQuota.Reserve(ctx)
	if err != nil {
		return createReportResult{}, err
	}
	defer hold.Release()
	key := p.IdempotencyKey
	p.IdempotencyKey = ""
	return once(ctx, d, key, p, func(ctx context.Context) (createReportResult, error) {
		hold.Keep()
		job, err := d.Client.CreateReport(ctx, basiq.CreateReportParams{ReportType: p.ReportType, Title: p.Title, Filters: filters})
		if err != nil {
			return createReportResult{}, err
		}
		d.audit(guard.Entry{Tool: "create_report", UserID: p.UserID, JobID: job.ID, Decision: "created", Reason: p.ReportType})
		return createReportResult{JobID: job.ID, ReportType: p.ReportType,
			NextStep: "Wait with get_job and wait_seconds; when it succeeds, read the report with get_report and the job's report_id."}, nil
	}, func(ctx context.Context, since time.Time) (createReportResult, bool, error) {
		return findCreatedReport(ctx, d, p, since)
	})
}

// findCreatedReport looks, after a create whose answer was lost, for the
// report it made: one with the same type and title created since then.
func findCreatedReport(ctx context.Context, d *call, p createReportParams, since time.Time) (createReportResult, bool, error) {
	l, err := d.Client.ListReports(ctx, basiq.PageOptions{Limit: 100})
	if err != nil {
		return createReportResult{}, false, err
	}
	for _, r := range l.Data {
		if r.ReportType == p.ReportType && r.Title == p.Title && !r.CreatedDate.Before(since) {
			return createReportResult{ReportID: r.ID, ReportType: r.ReportType,
				NextStep: "The first attempt made this report; read it with get_report."}, true, nil
		}
	}
	return createReportResult{}, false, nil
}

// unsupportedSources are the connection methods whose accounts Basiq does
// not take in a consumer affordability report (statement uploads).
var unsupportedSources = map[string]bool{"pdf": true, "csv": true}

// reportAccounts returns the accounts to report on: the ones asked for, or
// every account of the user, less those from PDF or CSV statements, which
// Basiq refuses in CON_AFFOR_01.
func reportAccounts(ctx context.Context, d *call, p createReportParams) ([]string, error) {
	accounts, err := d.Client.ListAccounts(ctx, p.UserID, basiq.ListAccountsOptions{})
	if err != nil {
		return nil, err
	}
	conns, err := d.Client.ListConnections(ctx, p.UserID, basiq.ListConnectionsOptions{})
	if err != nil {
		return nil, err
	}
	method := map[string]string{}
	for _, c := range conns.Data {
		method[c.ID] = basiq.NormalMethod(c.Method)
	}
	eligible, excluded := []string{}, map[string]string{}
	for _, a := range accounts.Data {
		if m := method[a.Connection]; unsupportedSources[m] {
			excluded[a.ID] = m
		} else {
			eligible = append(eligible, a.ID)
		}
	}
	if len(p.AccountIDs) == 0 {
		if len(eligible) == 0 {
			return nil, badArg("user %s has no accounts a consumer affordability report can use (none, or only PDF/CSV statements); connect a bank first (create_auth_link)", p.UserID)
		}
		return eligible, nil
	}
	for _, id := range p.AccountIDs {
		if m, ok := excluded[id]; ok {
			return nil, badArg("account %s comes from a %s statement, which Basiq does not take in CON_AFFOR_01; leave it out of \"account_ids\"", id, m)
		}
	}
	return p.AccountIDs, nil
}

type reportIDParams struct {
	ReportID string `json:"report_id" jsonschema:"required,pattern=id" jsonschema_description:"From a finished create_report job."`
}

type listReportsParams struct {
	Cursor string `json:"cursor,omitempty" jsonschema:"maxLength=2000" jsonschema_description:"next_cursor of the previous page."`
}

type reportSummary struct {
	ID      string   `json:"id"`
	UserIDs []string `json:"user_ids" jsonschema_description:"whose report it is: the customers it covers"`
	Title   string   `json:"title"`
	Type    string   `json:"type"`
	Created string   `json:"created,omitempty"`
	Expires string   `json:"expires,omitempty"`
}

type listReportsResult struct {
	Reports    []reportSummary `json:"reports"`
	NextCursor string          `json:"next_cursor,omitempty"`
}

// listReportsTool is the list_reports tool.
var listReportsTool = spec[listReportsParams, listReportsResult]{name: "list_reports", reach: guard.ReachFiltered, title: "List reports", toolset: SetReports, hints: readHints, run: listReports,
	description: "The reports created so far, newest first."}

func listReports(ctx context.Context, d *call, p listReportsParams) (listReportsResult, error) {
	next, err := decodeCursor(p.Cursor)
	if err != nil {
		return listReportsResult{}, err
	}
	l, err := d.Client.ListReports(ctx, basiq.PageOptions{Limit: 50, Next: next})
	if err != nil {
		return listReportsResult{}, err
	}
	noteSkipped(d, "report", l)
	res := listReportsResult{Reports: []reportSummary{}, NextCursor: encodeCursor(l.Next())}
	for _, r := range l.Data {
		if !mayReach(ctx, r.UserIDs()...) {
			continue // a bound caller sees only its own customers' reports
		}
		users := r.UserIDs()
		if users == nil {
			users = []string{}
		}
		res.Reports = append(res.Reports, reportSummary{ID: r.ID, UserIDs: users, Title: text.Clean(r.Title, 50), Type: r.ReportType, Created: views.Stamp(r.CreatedDate), Expires: views.Stamp(r.ExpiresAt)})
	}
	return res, nil
}
