package tools

import (
	"context"
	"sync"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/tools/guard"
)

// triageWorkers bounds the Basiq reads made at once to fill a page of
// customers; triageScan bounds how many customers a needs_attention search
// looks at (the support queue), so no call fans out over every user.
const (
	triageWorkers = 6
	triageScan    = 200
)

// triage fills in what a support agent needs per customer without another
// call: their connections, how many need attention (not active, or a
// consent expiring within two weeks) and their accounts. A customer whose
// reads fail is marked on its own row (unread), and the rest are answered;
// only when every customer failed is the first error returned (Basiq, not
// one customer, is then the problem).
func triage(ctx context.Context, d *call, rows []userSummary) error {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	failed := 0
	sem := make(chan struct{}, triageWorkers)
	for i := range rows {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := triageOne(ctx, d, &rows[i]); err != nil {
				rows[i].Unread = explain(err)
				mu.Lock()
				first, failed = errorsFirst(first, err), failed+1
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if failed == len(rows) {
		return first
	}
	return nil
}

// triageOne fills one row: from the customer's triage in the store when it
// is fresh (no Basiq request), else from Basiq, keeping the result.
func triageOne(ctx context.Context, d *call, row *userSummary) error {
	if d.Users != nil && d.TriageMaxAge > 0 {
		if t, ok := d.Users.FreshTriage(row.ID, d.TriageMaxAge); ok {
			row.Connections, row.NeedsAttention, row.Attention, row.Accounts = t.Connections, t.NeedsAttention, t.Attention, t.Accounts
			row.AsOf = t.Confirmed.UTC().Format(time.RFC3339)
			return nil
		}
	}
	confirmed := time.Now().UTC()
	if err := triageLive(ctx, d, row); err != nil {
		return err
	}
	row.AsOf = confirmed.Format(time.RFC3339)
	if d.Users != nil {
		t := guard.Triage{Connections: row.Connections, NeedsAttention: row.NeedsAttention, Attention: row.Attention, Accounts: row.Accounts, Confirmed: confirmed}
		if err := d.Users.RecordTriage(row.ID, t); err != nil {
			d.Log.Warn("the customer's triage could not be kept; the next queue reads Basiq again", "error", err)
		}
	}
	return nil
}

// triageLive reads one customer's connections and accounts from Basiq.
func triageLive(ctx context.Context, d *call, row *userSummary) error {
	conns, err := d.Client.ListConnections(ctx, row.ID, basiq.ListConnectionsOptions{})
	if err != nil {
		if basiq.IsNotFound(err) {
			row.Attention = "deleted at Basiq"
			return nil
		}
		return err
	}
	row.Connections = len(conns.Data)
	var problems []string
	for _, c := range conns.Data {
		switch {
		case c.Status != "active":
			row.NeedsAttention++
			problems = append(problems, c.ID+" "+c.Status)
		case !c.ExpiryDate.IsZero() && time.Until(c.ExpiryDate.Time) < consentSoon:
			row.NeedsAttention++
			problems = append(problems, c.ID+" consent expires "+c.ExpiryDate.Format(time.DateOnly))
		}
	}
	if len(problems) > 0 {
		row.Attention = joinMax(problems, 3)
	}
	accounts, err := d.Client.ListAccounts(ctx, row.ID, basiq.ListAccountsOptions{})
	if err != nil {
		return err
	}
	row.Accounts = len(accounts.Data)
	return nil
}

func errorsFirst(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

func joinMax(items []string, n int) string {
	out := ""
	for i, it := range items {
		if i == n {
			return out + "; …"
		}
		if i > 0 {
			out += "; "
		}
		out += it
	}
	return out
}
