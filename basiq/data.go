package basiq

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"
	"unicode/utf8"
)

// ListAccountsOptions narrows GET /users/{id}/accounts.
type ListAccountsOptions struct {
	ConnectionID  string
	InstitutionID string
}

// ListAccounts lists a user's accounts.
func (c *Client) ListAccounts(ctx context.Context, userID string, o ListAccountsOptions) (*List[Account], error) {
	path, err := idPath("users", ":user id", userID, "accounts")
	if err != nil {
		return nil, err
	}
	var f Filter
	if o.ConnectionID != "" {
		f = append(f, Eq("connection.id", o.ConnectionID))
	}
	if o.InstitutionID != "" {
		f = append(f, Eq("institution.id", o.InstitutionID))
	}
	q, err := filterQuery(f)
	if err != nil {
		return nil, err
	}
	return listPage[Account](ctx, c, path, q, PageOptions{})
}

// GetAccount fetches one account.
func (c *Client) GetAccount(ctx context.Context, userID, accountID string) (*Account, error) {
	path, err := idPath("users", ":user id", userID, "accounts", ":account id", accountID)
	if err != nil {
		return nil, err
	}
	var a Account
	if err := c.getJSON(ctx, path, nil, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// ListTransactionsOptions narrows GET /users/{id}/transactions. Empty fields
// are ignored; From and To are whole days, both included.
type ListTransactionsOptions struct {
	AccountID     string
	InstitutionID string
	Status        string // pending or posted
	Direction     string // debit or credit
	Class         string // payment, transfer, bank-fee…
	From, To      time.Time
	PageOptions
}

func (o ListTransactionsOptions) filter() (Filter, error) {
	var f Filter
	for _, kv := range [][2]string{
		{"account.id", o.AccountID}, {"institution.id", o.InstitutionID}, {"transaction.status", o.Status},
		{"transaction.direction", o.Direction}, {"transaction.class", o.Class},
	} {
		if kv[1] != "" {
			f = append(f, Eq(kv[0], kv[1]))
		}
	}
	switch {
	case !o.From.IsZero() && !o.To.IsZero():
		if o.To.Before(o.From) {
			return nil, inputErrorf("the date range ends (%s) before it starts (%s)", Date(o.To), Date(o.From))
		}
		f = append(f, Between("transaction.postDate", Date(o.From), Date(o.To)))
	case !o.From.IsZero():
		f = append(f, Gteq("transaction.postDate", Date(o.From)))
	case !o.To.IsZero():
		f = append(f, Lteq("transaction.postDate", Date(o.To)))
	}
	return f, nil
}

// ListTransactions fetches one page of a user's transactions, newest first.
// Pass the previous page's Next() in o.Next to continue.
func (c *Client) ListTransactions(ctx context.Context, userID string, o ListTransactionsOptions) (*List[Transaction], error) {
	path, err := idPath("users", ":user id", userID, "transactions")
	if err != nil {
		return nil, err
	}
	f, err := o.filter()
	if err != nil {
		return nil, err
	}
	q, err := filterQuery(f)
	if err != nil {
		return nil, err
	}
	return listPage[Transaction](ctx, c, path, q, o.PageOptions)
}

// AllTransactions follows pages until maxItems transactions (0: no item
// bound) or maxPages pages (0: DefaultMaxPages). truncated is true when more
// were left.
func (c *Client) AllTransactions(ctx context.Context, userID string, o ListTransactionsOptions, maxItems, maxPages int) (txns []Transaction, truncated bool, err error) {
	path, err := idPath("users", ":user id", userID, "transactions")
	if err != nil {
		return nil, false, err
	}
	f, err := o.filter()
	if err != nil {
		return nil, false, err
	}
	q, err := filterQuery(f)
	if err != nil {
		return nil, false, err
	}
	return collect[Transaction](ctx, c, path, q, o.Limit, maxItems, maxPages)
}

// GetTransaction fetches one transaction.
func (c *Client) GetTransaction(ctx context.Context, userID, transactionID string) (*Transaction, error) {
	path, err := idPath("users", ":user id", userID, "transactions", ":transaction id", transactionID)
	if err != nil {
		return nil, err
	}
	var t Transaction
	if err := c.getJSON(ctx, path, nil, &t); err != nil {
		return nil, err
	}
	return &t, nil
}

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
