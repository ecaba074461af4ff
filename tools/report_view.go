package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/basiq/text"
	"github.com/basiq-mcp/basiq-mcp/basiq/views"
)

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

// periodView is the window a report asked for and, where the report says,
// the part of it the accounts' data covers.
type periodView struct {
	From          string `json:"from,omitempty"`
	To            string `json:"to,omitempty"`
	Months        int    `json:"months,omitempty"`
	CoveredFrom   string `json:"covered_from,omitempty"`
	CoveredTo     string `json:"covered_to,omitempty"`
	CoveredMonths int    `json:"covered_months,omitempty"`
}

// reportAccountView is an account of a report with the balances Basiq
// sends for it: the balance and available funds as at balance_as_of.
type reportAccountView struct {
	ID             string `json:"id"`
	Name           string `json:"name,omitempty"`
	Type           string `json:"type,omitempty"`
	Balance        string `json:"balance,omitempty"`
	AvailableFunds string `json:"available_funds,omitempty"`
	BalanceAsOf    string `json:"balance_as_of,omitempty"`
}

type reportView struct {
	ID       string              `json:"id"`
	Title    string              `json:"title"`
	Type     string              `json:"type"`
	Created  string              `json:"created,omitempty"`
	Expires  string              `json:"expires,omitempty"`
	Period   periodView          `json:"period"`
	Accounts []reportAccountView `json:"accounts"`
	Metrics  []metricView        `json:"metrics"`
	Groups   []groupView         `json:"groups"`
	PDF      string              `json:"pdf" jsonschema_description:"resource URI of the report as Basiq's PDF"`
	Note     string              `json:"note,omitempty"`
}

// getReportTool is the get_report tool.
var getReportTool = spec[reportIDParams, reportView]{name: "get_report", title: "Get report", toolset: SetReports, hints: readHints, run: getReport,
	description: "A finished report: period, accounts, metrics, income/expense groups (or statement balances), PDF."}

func getReport(ctx context.Context, d *call, p reportIDParams) (reportView, error) {
	r, err := d.Client.GetReport(ctx, p.ReportID)
	if err != nil {
		return reportView{}, err
	}
	v := reportView{ID: r.ID, Title: text.Clean(r.Title, 50), Type: r.ReportType, Created: views.Stamp(r.CreatedDate), Expires: views.Stamp(r.ExpiresAt),
		Accounts: []reportAccountView{}, Metrics: []metricView{}, Groups: []groupView{}, PDF: "basiq://reports/" + r.ID + "/pdf"}
	v.Period.From, v.Period.To = r.Filter("fromDate"), r.Filter("toDate")
	if len(r.Data) == 0 {
		return v, nil
	}
	if r.ReportType == basiq.ReportBankStatement {
		var data basiq.StatementData
		if json.Unmarshal(r.Data, &data) == nil {
			statementView(&v, data)
		}
		return v, nil
	}
	var data basiq.AffordabilityData
	if json.Unmarshal(r.Data, &data) == nil {
		affordabilityView(&v, data)
	}
	return v, nil
}

func statementView(v *reportView, data basiq.StatementData) {
	for _, a := range data.Account {
		v.Accounts = append(v.Accounts, reportAccountView{ID: a.ID, Name: text.Clean(a.Name, 80), Type: a.Class.Type,
			Balance: a.Balance, AvailableFunds: a.AvailableFunds, BalanceAsOf: views.Stamp(a.LastUpdated)})
	}
	v.Note = "Basiq's statement gives each account's balance and available funds as at balance_as_of, not opening and closing balances. Its lines are the account's transactions over the period: list_transactions with account_id, from_date and to_date. The pdf resource is the statement as Basiq renders it."
}

func affordabilityView(v *reportView, data basiq.AffordabilityData) {
	for _, m := range data.Metrics {
		v.Metrics = append(v.Metrics, metricView{ID: m.ID, Title: text.Clean(m.Title, 100), Value: text.Clean(fmt.Sprint(m.Result.Value), 40), Format: m.Result.Format})
	}
	for _, a := range data.Accounts {
		v.Accounts = append(v.Accounts, reportAccountView{ID: a.ID, Name: text.Clean(a.Name, 80), Type: a.Class.Type,
			Balance: a.Balance, AvailableFunds: a.AvailableFunds, BalanceAsOf: views.Stamp(a.LastUpdated)})
	}
	covered := coverage(&v.Period, data.Accounts)
	for _, g := range data.Groups {
		gv := groupView{ID: g.ID, Title: text.Clean(g.Title, 80), Transactions: g.Analysis.Summary.TransactionCount,
			Total: g.Analysis.Amount.Total, MonthlyAvg: g.Analysis.Amount.Average.Month}
		if covered {
			gv.MonthlyAvg = perMonth(g.Analysis.Amount.Total, v.Period.CoveredMonths, gv.MonthlyAvg)
		}
		if g.Analysis.Frequency != nil {
			gv.Frequency = g.Analysis.Frequency.Display
		}
		v.Groups = append(v.Groups, gv)
	}
	if covered {
		v.Note = fmt.Sprintf("The data covers %d of the %d months asked for (%s to %s): each group's monthly_average here is over the covered months. Basiq's own monthly metrics may divide by all %d months, and so read low.",
			v.Period.CoveredMonths, v.Period.Months, v.Period.CoveredFrom, v.Period.CoveredTo, v.Period.Months)
	}
}

// coverage fills in the months the period spans and those the accounts'
// transaction intervals cover within it; it reports whether the data covers
// noticeably less than asked, so that averages must be taken over less.
func coverage(p *periodView, accounts []basiq.ReportAccount) bool {
	from, ferr := time.Parse(time.DateOnly, p.From)
	to, terr := time.Parse(time.DateOnly, p.To)
	if ferr != nil || terr != nil || to.Before(from) {
		return false
	}
	p.Months = months(from, to)
	var lo, hi time.Time
	for _, a := range accounts {
		for _, iv := range a.TransactionIntervals {
			if f := iv.From.Time; !f.IsZero() && (lo.IsZero() || f.Before(lo)) {
				lo = f
			}
			if t := iv.To.Time; t.After(hi) {
				hi = t
			}
		}
	}
	if lo.IsZero() || hi.IsZero() {
		return false
	}
	lo, hi = later(lo, from), earlier(hi, to)
	if hi.Before(lo) {
		p.CoveredMonths = 0
		return false
	}
	p.CoveredFrom, p.CoveredTo, p.CoveredMonths = basiq.Date(lo), basiq.Date(hi), months(lo, hi)
	return p.CoveredMonths < p.Months
}

// months is the number of months between two days, rounded, at least 1.
func months(from, to time.Time) int {
	return max(1, int(math.Round(to.Sub(from).Hours()/24/30.44)))
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// perMonth divides a decimal total by n months; fallback is kept when the
// total is not a plain decimal.
func perMonth(total string, n int, fallback string) string {
	cents, err := basiq.ParseAmount(total)
	if err != nil || n <= 0 {
		return fallback
	}
	return basiq.FormatAmount(cents / int64(n))
}
