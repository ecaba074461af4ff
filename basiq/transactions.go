package basiq

import (
	"context"
	"time"
)

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

// Transaction statuses.
const (
	StatusPending = "pending"
	StatusPosted  = "posted"
)

// PendingInRange returns the user's pending transactions that fall within
// o's dates. Pending transactions have no postDate, the only date Basiq
// filters on, so a date filter drops every one of them; they are read by
// status instead (they are few: the last days' card authorisations) and
// chosen by their transactionDate, day by day. One without a transaction
// date is kept when the range reaches today, since pending means recent.
func (c *Client) PendingInRange(ctx context.Context, userID string, o ListTransactionsOptions, maxItems int) ([]Transaction, bool, error) {
	from, to := o.From, o.To
	o.Status, o.From, o.To = StatusPending, time.Time{}, time.Time{}
	o.PageOptions = PageOptions{Limit: MaxPageLimit}
	all, truncated, err := c.AllTransactions(ctx, userID, o, maxItems, 0)
	var out []Transaction
	today := time.Now().UTC().Format(time.DateOnly)
	for _, t := range all {
		day := ""
		if !t.TransactionDate.IsZero() {
			day = t.TransactionDate.UTC().Format(time.DateOnly)
		}
		switch {
		case day == "" && (to.IsZero() || Date(to) >= today):
			out = append(out, t)
		case day != "" && (from.IsZero() || day >= Date(from)) && (to.IsZero() || day <= Date(to)):
			out = append(out, t)
		}
	}
	return out, truncated, err
}
