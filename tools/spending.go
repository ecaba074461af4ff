package tools

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/basiq/text"
)

// categoryTotal is what one category adds up to over a period.
type categoryTotal struct {
	Category string `json:"category"`
	Group    string `json:"group,omitempty" jsonschema_description:"the ANZSIC division it falls in"`
	Count    int    `json:"count"`
	Total    string `json:"total"`
}

// maxCategoryScan bounds the transactions a per-category total reads.
const maxCategoryScan = 2000

// byCategory totals a user's transactions over the period per category
// (Basiq's ANZSIC title, else its merchant category, else the subClass),
// largest spend first; the names it returns are the ones the category
// filter takes. A row whose amount cannot be read, and pages that could
// not be read, are named in unusable; the rest is totalled.
func byCategory(ctx context.Context, d *call, p listTransactionsParams, o basiq.ListTransactionsOptions) (listTransactionsResult, error) {
	res := listTransactionsResult{Transactions: []TransactionView{}, Categories: []categoryTotal{}, Note: untrustedNote}
	txns, truncated, pend, err := readForTotals(ctx, d, p, o, &res)
	if err != nil {
		return listTransactionsResult{}, err
	}
	sums, counts, groups := map[string]int64{}, map[string]int{}, map[string]string{}
	var rows []TransactionView
	for _, t := range txns {
		v := transactionView(t)
		if !categoryMatches(v, p.Category) {
			continue
		}
		rows = append(rows, v)
		cents, err := basiq.ParseAmount(t.Amount)
		if err != nil {
			continue // named by summarise below
		}
		name := v.Category
		if name == "" {
			name = "(uncategorised " + v.Class + ")"
		}
		sums[name] += cents
		counts[name]++
		groups[name] = v.CategoryGroup
	}
	for name, sum := range sums {
		res.Categories = append(res.Categories, categoryTotal{Category: name, Group: groups[name], Count: counts[name], Total: basiq.FormatAmount(sum)})
	}
	// Most money out first; equal totals by count, then name, so the same
	// transactions always list the same way.
	slices.SortFunc(res.Categories, func(a, b categoryTotal) int {
		return cmp.Or(cmp.Compare(sums[a.Category], sums[b.Category]), cmp.Compare(b.Count, a.Count), strings.Compare(a.Category, b.Category))
	})
	var unusable []string
	res.Summary, unusable = summarise(rows)
	res.Unusable = append(res.Unusable, unusable...)
	res.Note = fmt.Sprintf("Totals per category over %d transactions (negative is money out); no rows are listed: call again without by_category, with category, to see them. %s", len(rows), untrustedNote)
	if pend.byDate {
		res.Note = "Pending transactions (no post date) are counted by their transaction date. " + res.Note
	}
	if truncated {
		res.Note = fmt.Sprintf("Only the newest %d transactions were read: narrow the dates for complete totals. ", maxCategoryScan) + res.Note
	}
	return res, nil
}

// readForTotals reads what by_category totals: the posted rows of the
// period (at most maxCategoryScan) and, for a dated read, the pending ones
// by transaction date. A part that cannot be read is named in res.Unusable;
// only when nothing can be read is it an error.
func readForTotals(ctx context.Context, d *call, p listTransactionsParams, o basiq.ListTransactionsOptions, res *listTransactionsResult) ([]basiq.Transaction, bool, pendingChoice, error) {
	o.PageOptions = basiq.PageOptions{Limit: basiq.MaxPageLimit}
	pend := choosePending(p, &o)
	var txns []basiq.Transaction
	var truncated bool
	if pend.posted {
		var err error
		txns, truncated, err = d.Client.AllTransactions(ctx, p.UserID, o, maxCategoryScan, 0)
		if err != nil && len(txns) == 0 {
			return nil, false, pend, err
		}
		if err != nil {
			res.Unusable = append(res.Unusable, fmt.Sprintf("the pages after the first %d transactions could not be read, so their totals are missing: %s", len(txns), explain(err)))
		}
	}
	if pend.byDate {
		pending, _, err := d.Client.PendingInRange(ctx, p.UserID, o, maxPendingRows)
		if err != nil && len(pending) == 0 {
			res.Unusable = append(res.Unusable, "the pending transactions could not be read, so they are not in the totals: "+explain(err))
		}
		txns = append(pending, txns...)
	}
	return txns, truncated, pend, nil
}

// categoryMatches keeps a transaction whose category contains want, in any
// case ("" keeps all).
func categoryMatches(v TransactionView, want string) bool {
	return want == "" || strings.Contains(strings.ToLower(v.Category), strings.ToLower(strings.TrimSpace(want)))
}

// summarise totals rows: money in, money out, net, first and last day. A
// row whose amount cannot be read is not counted (never as zero) and is
// named in the returned list.
func summarise(rows []TransactionView) (pageSummary, []string) {
	var s pageSummary
	var in, out int64
	var unusable []string
	for _, v := range rows {
		cents, err := basiq.ParseAmount(v.Amount)
		if err != nil {
			unusable = append(unusable, fmt.Sprintf("transaction %s: its amount %q is not a number Basiq documents, so it is left out of the totals", text.Truncate(v.ID, 64), text.Clean(v.Amount, 30)))
			continue
		}
		if cents >= 0 {
			in += cents
		} else {
			out += cents
		}
		if s.Latest == "" || v.Date > s.Latest {
			s.Latest = v.Date
		}
		if s.Earliest == "" || v.Date < s.Earliest {
			s.Earliest = v.Date
		}
	}
	s.Count = len(rows) - len(unusable)
	s.Credits, s.Debits, s.Net = basiq.FormatAmount(in), basiq.FormatAmount(out), basiq.FormatAmount(in+out)
	return s, unusable
}
