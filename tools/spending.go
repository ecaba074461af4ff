package tools

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/basiq-mcp/basiq-mcp/basiq"
)

// categoryTotal is what one category adds up to over a period.
type categoryTotal struct {
	Category string `json:"category"`
	Count    int    `json:"count"`
	Total    string `json:"total"`
}

// maxCategoryScan bounds the transactions a per-category total reads.
const maxCategoryScan = 2000

// byCategory totals a user's transactions over the period per category
// (Basiq's subClass title, or its enrichment's), largest spend first; the
// names it returns are the ones the category filter takes.
func byCategory(ctx context.Context, d *call, p listTransactionsParams, o basiq.ListTransactionsOptions) (listTransactionsResult, error) {
	o.PageOptions = basiq.PageOptions{Limit: basiq.MaxPageLimit}
	txns, truncated, err := d.Client.AllTransactions(ctx, p.UserID, o, maxCategoryScan, 0)
	if err != nil {
		return listTransactionsResult{}, err
	}
	sums, counts := map[string]int64{}, map[string]int{}
	res := listTransactionsResult{Transactions: []TransactionView{}, Categories: []categoryTotal{}, Note: untrustedNote}
	var rows []TransactionView
	for _, t := range txns {
		v := transactionView(t)
		if !categoryMatches(v, p.Category) {
			continue
		}
		rows = append(rows, v)
		cents, err := basiq.ParseAmount(t.Amount)
		if err != nil {
			continue
		}
		name := v.Category
		if name == "" {
			name = "(uncategorised " + v.Class + ")"
		}
		sums[name] += cents
		counts[name]++
	}
	for name, sum := range sums {
		res.Categories = append(res.Categories, categoryTotal{Category: name, Count: counts[name], Total: basiq.FormatAmount(sum)})
	}
	sort.Slice(res.Categories, func(i, j int) bool { return sums[res.Categories[i].Category] < sums[res.Categories[j].Category] })
	res.Summary = summarise(rows)
	res.Note = fmt.Sprintf("Totals per category over %d transactions (negative is money out); no rows are listed: call again without by_category, with category, to see them. %s", len(rows), untrustedNote)
	if truncated {
		res.Note = fmt.Sprintf("Only the newest %d transactions were read: narrow the dates for complete totals. ", maxCategoryScan) + res.Note
	}
	return res, nil
}

// categoryMatches keeps a transaction whose category contains want, in any
// case ("" keeps all).
func categoryMatches(v TransactionView, want string) bool {
	return want == "" || strings.Contains(strings.ToLower(v.Category), strings.ToLower(strings.TrimSpace(want)))
}

// summarise totals rows: money in, money out, net, first and last day.
func summarise(rows []TransactionView) pageSummary {
	var s pageSummary
	var in, out int64
	for _, v := range rows {
		if cents, err := basiq.ParseAmount(v.Amount); err == nil {
			if cents >= 0 {
				in += cents
			} else {
				out += cents
			}
		}
		if s.Latest == "" || v.Date > s.Latest {
			s.Latest = v.Date
		}
		if s.Earliest == "" || v.Date < s.Earliest {
			s.Earliest = v.Date
		}
	}
	s.Count = len(rows)
	s.Credits, s.Debits, s.Net = basiq.FormatAmount(in), basiq.FormatAmount(out), basiq.FormatAmount(in+out)
	return s
}
