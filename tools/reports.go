package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/tools/guard"
)

type reportTypeView struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Required    []string `json:"required_filters"`
	Optional    []string `json:"optional_filters"`
}

type listReportTypesResult struct {
	Types []reportTypeView `json:"types"`
}

type noParams struct{}

func listReportTypes(ctx context.Context, d *Deps, _ noParams) (listReportTypesResult, error) {
	l, err := d.Client.ListReportTypes(ctx)
	if err != nil {
		return listReportTypesResult{}, err
	}
	res := listReportTypesResult{Types: []reportTypeView{}}
	for _, t := range l.Data {
		v := reportTypeView{ID: t.ID, Name: t.Name, Description: cleanText(t.Description, 200), Required: []string{}, Optional: []string{}}
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
	ReportType string   `json:"report_type" jsonschema:"required,enum=CON_AFFOR_01,enum=STATEMENT_01" jsonschema_description:"CON_AFFOR_01: consumer affordability (income, expenses, commitments, risk flags). STATEMENT_01: a bank statement of one account."`
	Title      string   `json:"title" jsonschema:"required,minLength=1,maxLength=50" jsonschema_description:"A title of at most 50 characters, e.g. 'Ada Lovelace affordability 2026-03'."`
	UserID     string   `json:"user_id" jsonschema:"required,pattern=^[\\w.-]+$" jsonschema_description:"The user the report is about."`
	FromDate   string   `json:"from_date" jsonschema:"required,format=date" jsonschema_description:"First day covered, YYYY-MM-DD."`
	ToDate     string   `json:"to_date,omitempty" jsonschema:"format=date" jsonschema_description:"Last day covered, YYYY-MM-DD (default today)."`
	AccountIDs []string `json:"account_ids,omitempty" jsonschema:"maxItems=50" jsonschema_description:"CON_AFFOR_01 only: the accounts to include (default: all of the user's accounts)."`
	AccountID  string   `json:"account_id,omitempty" jsonschema:"pattern=^[\\w.-]+$" jsonschema_description:"STATEMENT_01 only, and required there: the account of the statement."`
}

type createReportResult struct {
	JobID      string `json:"job_id"`
	ReportType string `json:"report_type"`
	NextStep   string `json:"next_step"`
}

func createReport(ctx context.Context, d *Deps, p createReportParams) (createReportResult, error) {
	from, _ := time.Parse("2006-01-02", p.FromDate)
	to := time.Now().UTC()
	if p.ToDate != "" {
		to, _ = time.Parse("2006-01-02", p.ToDate)
	}
	if to.Before(from) {
		return createReportResult{}, badArg("\"to_date\" (%s) is before \"from_date\" (%s)", basiq.Date(to), p.FromDate)
	}
	filters := []basiq.ReportFilter{{Name: "fromDate", Value: p.FromDate}, {Name: "toDate", Value: basiq.Date(to)}}
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
	key := p.IdempotencyKey
	p.IdempotencyKey = ""
	return once(d, "create_report", key, p, func() (createReportResult, error) {
		job, err := d.Client.CreateReport(ctx, basiq.CreateReportParams{ReportType: p.ReportType, Title: p.Title, Filters: filters})
		if err != nil {
			return createReportResult{}, err
		}
		d.audit(guard.Entry{Tool: "create_report", UserID: p.UserID, JobID: job.ID, Decision: "created", Reason: p.ReportType})
		return createReportResult{JobID: job.ID, ReportType: p.ReportType,
			NextStep: "Wait with get_job and wait_seconds; when it succeeds, read the report with get_report and the job's report_id."}, nil
	})
}

// reportAccounts returns the accounts to report on: the ones asked for, or
// every account of the user.
func reportAccounts(ctx context.Context, d *Deps, p createReportParams) ([]string, error) {
	if len(p.AccountIDs) > 0 {
		return p.AccountIDs, nil
	}
	l, err := d.Client.ListAccounts(ctx, p.UserID, basiq.ListAccountsOptions{})
	if err != nil {
		return nil, err
	}
	if len(l.Data) == 0 {
		return nil, badArg("user %s has no accounts yet; connect a bank first (create_auth_link)", p.UserID)
	}
	ids := make([]string, len(l.Data))
	for i, a := range l.Data {
		ids[i] = a.ID
	}
	return ids, nil
}

type reportIDParams struct {
	ReportID string `json:"report_id" jsonschema:"required,pattern=^[\\w.-]+$" jsonschema_description:"Report id (a finished create_report job gives it)."`
}

type metricView struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Value  string `json:"value"`
	Format string `json:"format,omitempty" jsonschema_description:"integer, money, percent or boolean"`
}

type groupView struct {
	ID           string `json:"id"`
	Title        string `json:"title"`
	Transactions int    `json:"transactions"`
	Total        string `json:"total"`
	MonthlyAvg   string `json:"monthly_average,omitempty"`
	Frequency    string `json:"frequency,omitempty"`
}

type reportView struct {
	ID      string       `json:"id"`
	Title   string       `json:"title"`
	Type    string       `json:"type"`
	Created string       `json:"created,omitempty"`
	Expires string       `json:"expires,omitempty"`
	Metrics []metricView `json:"metrics"`
	Groups  []groupView  `json:"groups"`
}

func getReport(ctx context.Context, d *Deps, p reportIDParams) (reportView, error) {
	r, err := d.Client.GetReport(ctx, p.ReportID)
	if err != nil {
		return reportView{}, err
	}
	v := reportView{ID: r.ID, Title: cleanText(r.Title, 50), Type: r.ReportType, Created: stamp(r.CreatedDate), Expires: stamp(r.ExpiresAt),
		Metrics: []metricView{}, Groups: []groupView{}}
	var data basiq.AffordabilityData
	if len(r.Data) > 0 && json.Unmarshal(r.Data, &data) == nil {
		for _, m := range data.Metrics {
			v.Metrics = append(v.Metrics, metricView{ID: m.ID, Title: cleanText(m.Title, 100), Value: fmt.Sprint(m.Result.Value), Format: m.Result.Format})
		}
		for _, g := range data.Groups {
			gv := groupView{ID: g.ID, Title: cleanText(g.Title, 80), Transactions: g.Analysis.Summary.TransactionCount,
				Total: g.Analysis.Amount.Total, MonthlyAvg: g.Analysis.Amount.Average.Month}
			if g.Analysis.Frequency != nil {
				gv.Frequency = g.Analysis.Frequency.Display
			}
			v.Groups = append(v.Groups, gv)
		}
	}
	return v, nil
}

type listReportsParams struct {
	Cursor string `json:"cursor,omitempty" jsonschema:"maxLength=2000" jsonschema_description:"The next_cursor of the previous page."`
}

type reportSummary struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Type    string `json:"type"`
	Created string `json:"created,omitempty"`
	Expires string `json:"expires,omitempty"`
}

type listReportsResult struct {
	Reports    []reportSummary `json:"reports"`
	NextCursor string          `json:"next_cursor,omitempty"`
}

func listReports(ctx context.Context, d *Deps, p listReportsParams) (listReportsResult, error) {
	next, err := decodeCursor(p.Cursor)
	if err != nil {
		return listReportsResult{}, err
	}
	l, err := d.Client.ListReports(ctx, basiq.PageOptions{Limit: 50, Next: next})
	if err != nil {
		return listReportsResult{}, err
	}
	res := listReportsResult{Reports: []reportSummary{}, NextCursor: encodeCursor(l.Next())}
	for _, r := range l.Data {
		res.Reports = append(res.Reports, reportSummary{ID: r.ID, Title: cleanText(r.Title, 50), Type: r.ReportType, Created: stamp(r.CreatedDate), Expires: stamp(r.ExpiresAt)})
	}
	return res, nil
}
