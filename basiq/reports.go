package basiq

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"unicode/utf8"
)

// ListReportTypes lists the report types the account may create.
func (c *Client) ListReportTypes(ctx context.Context) (*List[ReportType], error) {
	return listPage[ReportType](ctx, c, "/reports/types", url.Values{}, PageOptions{})
}

// GetReportType fetches one report type with its filters.
func (c *Client) GetReportType(ctx context.Context, reportTypeID string) (*ReportType, error) {
	path, err := idPath("reports", "types", ":report type id", reportTypeID)
	if err != nil {
		return nil, err
	}
	var rt ReportType
	if err := c.getJSON(ctx, path, nil, &rt); err != nil {
		return nil, err
	}
	return &rt, nil
}

// CreateReport starts generating a report; poll the returned job. Titles are
// at most 50 characters.
func (c *Client) CreateReport(ctx context.Context, p CreateReportParams) (*Job, error) {
	if err := ValidateID("report type", p.ReportType); err != nil {
		return nil, err
	}
	if p.Title == "" || utf8.RuneCountInString(p.Title) > 50 {
		return nil, inputErrorf("a report title of 1 to 50 characters is required")
	}
	var j Job
	if _, err := c.postJSON(ctx, "/reports", p, &j); err != nil {
		return nil, err
	}
	return &j, nil
}

// ListReports fetches one page of the partner's reports.
func (c *Client) ListReports(ctx context.Context, p PageOptions) (*List[Report], error) {
	return listPage[Report](ctx, c, "/reports", url.Values{}, p)
}

// GetReport fetches a report as JSON.
func (c *Client) GetReport(ctx context.Context, reportID string) (*Report, error) {
	path, err := idPath("reports", ":report id", reportID)
	if err != nil {
		return nil, err
	}
	var r Report
	if err := c.getJSON(ctx, path, nil, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// GetReportPDF fetches a report as the PDF Basiq renders (Accept:
// application/pdf).
func (c *Client) GetReportPDF(ctx context.Context, reportID string) ([]byte, error) {
	path, err := idPath("reports", ":report id", reportID)
	if err != nil {
		return nil, err
	}
	var pdf []byte
	cl := &call{method: http.MethodGet, path: path, idempotent: true, accept: "application/pdf", raw: &pdf}
	if _, err := c.send(ctx, cl, nil); err != nil {
		return nil, err
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		return nil, &DecodeError{Method: cl.method, Path: path, Err: errors.New("the body is not a PDF")}
	}
	return pdf, nil
}

// DeleteReport deletes a report and its snapshot data.
func (c *Client) DeleteReport(ctx context.Context, reportID string) error {
	path, err := idPath("reports", ":report id", reportID)
	if err != nil {
		return err
	}
	return c.deletePath(ctx, path)
}

// Report type ids Basiq documents.
const (
	ReportConsumerAffordability = "CON_AFFOR_01"
	ReportBankStatement         = "STATEMENT_01"
	ReportBusinessAffordability = "BUS_AFFOR_01"
)

// ReportType describes a kind of report and the filters it takes.
type ReportType struct {
	Type        string             `json:"type"`
	ID          string             `json:"id"`
	Name        string             `json:"name"`
	Description string             `json:"description"`
	Filters     []ReportTypeFilter `json:"filters"`
}

// ReportTypeFilter is one filter a report type accepts.
type ReportTypeFilter struct {
	Name     string `json:"name"`
	Type     string `json:"type"` // string or array
	Required bool   `json:"required"`
}

// ReportFilter is one filter value of a report request. Value is a string
// (dates, one account) or a list of strings (users, accounts, metrics).
type ReportFilter struct {
	Name  string `json:"name"`
	Value any    `json:"value"`
}

// CreateReportParams is the body of POST /reports.
type CreateReportParams struct {
	ReportType string         `json:"reportType"`
	Title      string         `json:"title"`
	Filters    []ReportFilter `json:"filters"`
}

// Report is a generated report. Data holds the type-specific body; see
// AffordabilityData for CON_AFFOR_01.
type Report struct {
	Type        string          `json:"type"`
	ID          string          `json:"id"`
	Title       string          `json:"title"`
	ReportType  string          `json:"reportType"`
	CreatedDate Time            `json:"createdDate"`
	CreatedBy   string          `json:"createdBy"`
	ExpiresAt   Time            `json:"expiresAt"`
	Filters     []ReportFilter  `json:"filters"`
	Data        json.RawMessage `json:"data"`
	Links       Links           `json:"links"`
}

// AffordabilityData is the data of a CON_AFFOR_01 report.
type AffordabilityData struct {
	Metrics  []ReportMetric  `json:"metrics"`
	Groups   []ReportGroup   `json:"groups"`
	Accounts []ReportAccount `json:"accounts"`
}

// ReportAccount is an account a report covers, with the stretches of time
// its transactions cover (transactionIntervals in Basiq's report example).
type ReportAccount struct {
	ID                   string     `json:"id"`
	Name                 string     `json:"name"`
	Balance              string     `json:"balance"`
	AvailableFunds       string     `json:"availableFunds"`
	LastUpdated          Time       `json:"lastUpdated"`
	Currency             string     `json:"currency"`
	Institution          string     `json:"institution"`
	Connection           string     `json:"connection"`
	Class                Class      `json:"class"`
	TransactionIntervals []Interval `json:"transactionIntervals"`
}

// Interval is a stretch of days, both ends included.
type Interval struct {
	From Time `json:"from"`
	To   Time `json:"to"`
}

// StatementData is the data of a STATEMENT_01 report (API.md 15: the
// institution, the identity and accreditation, the accounts, and a link to
// the snapshot's transactions).
type StatementData struct {
	Institution struct {
		Name string `json:"name"`
		ABN  string `json:"abn"`
	} `json:"institution"`
	Identity struct {
		FullName string `json:"fullName"`
	} `json:"identity"`
	Account      []StatementAccount `json:"account"`
	Transactions string             `json:"transactions"`
}

// StatementAccount is one account of a statement as Basiq's reports file
// publishes it: its current balance and available funds as at lastUpdated
// (Basiq sends no opening or closing balance).
type StatementAccount struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	AccountNo      string `json:"accountNo"`
	Balance        string `json:"balance"`
	AvailableFunds string `json:"availableFunds"`
	Currency       string `json:"currency"`
	LastUpdated    Time   `json:"lastUpdated"`
	Class          Class  `json:"class"`
	Institution    string `json:"institution"`
	Connection     string `json:"connection"`
	Status         string `json:"status"`
}

// Filter returns the value of the named report filter as text ("" when
// absent or not a single value).
func (r *Report) Filter(name string) string {
	for _, f := range r.Filters {
		if f.Name == name {
			if s, ok := f.Value.(string); ok {
				return s
			}
		}
	}
	return ""
}

// ReportMetric is one computed figure, e.g. ME002 average monthly salary.
type ReportMetric struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Sections    []string `json:"sections"`
	Result      struct {
		Value  any    `json:"value"` // usually a string; some examples use numbers
		Format string `json:"format"`
	} `json:"result"`
}

// ReportGroup is a cluster of similar transactions, e.g. INC-009 salary.
type ReportGroup struct {
	ID       string   `json:"id"`
	Title    string   `json:"title"`
	Sections []string `json:"sections"`
	Analysis struct {
		Summary struct {
			TransactionCount int `json:"transactionCount"`
		} `json:"summary"`
		Amount struct {
			Total   string `json:"total"`
			Average struct {
				Month string `json:"month"`
			} `json:"average"`
		} `json:"amount"`
		Frequency *struct {
			Display string `json:"display"`
		} `json:"frequency"`
	} `json:"analysis"`
}

// UserIDs returns the users a report covers, from its "user" filter (a
// statement) or its "users" filter (an affordability report, up to five).
func (r *Report) UserIDs() []string {
	var out []string
	for _, f := range r.Filters {
		switch v := f.Value.(type) {
		case string:
			if f.Name == "user" && v != "" {
				out = append(out, v)
			}
		case []any:
			if f.Name == "users" {
				for _, u := range v {
					if s, ok := u.(string); ok && s != "" {
						out = append(out, s)
					}
				}
			}
		}
	}
	return out
}
