package tools

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/tools/guard"
)

// triageWorkers bounds the Basiq reads made at once to fill a page of
// customers.
const triageWorkers = 6

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

// triageOne fills one row from the customer's triage (see triageFor).
func triageOne(ctx context.Context, d *call, row *userSummary) error {
	t, err := triageFor(ctx, d, row.ID, d.TriageMaxAge)
	if err != nil {
		return err
	}
	row.setTriage(t)
	return nil
}

// triageFor is a customer's triage: from the store when it was confirmed
// within maxAge (no Basiq request), else from Basiq, keeping the result.
// Calls for the same customer at once share one read.
func triageFor(ctx context.Context, d *call, userID string, maxAge time.Duration) (guard.Triage, error) {
	if d.Users != nil && maxAge > 0 {
		if t, ok := d.Users.FreshTriage(userID, maxAge); ok {
			return t, nil
		}
	}
	read := func(ctx context.Context) (any, error) { return triageAndKeep(ctx, d, userID) }
	v, err, _ := d.triages.Do(strings.ToLower(userID), func() (any, error) { return read(ctx) })
	if err != nil && ctx.Err() == nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		v, err = read(ctx) // the call that led the shared read went away; not this one
	}
	if err != nil {
		return guard.Triage{}, err
	}
	return v.(guard.Triage), nil
}

// setTriage fills the row from a customer's triage.
func (r *userSummary) setTriage(t guard.Triage) {
	r.Connections, r.Accounts = len(t.Connections), t.Accounts
	r.AsOf = t.Confirmed.UTC().Format(time.RFC3339)
	if t.Deleted {
		r.Attention = "deleted at Basiq"
		return
	}
	problems := problemsOf(t, time.Now(), consentSoon)
	r.NeedsAttention, r.banks = len(problems), problemBanks(problems)
	words := make([]string, len(problems))
	for i, p := range problems {
		words[i] = p.sentence()
	}
	r.Attention = joinMax(words, 3)
}

// triageAndKeep reads customer userID from Basiq (connections, jobs,
// consents and accounts: four requests) and keeps the result as their
// triage.
func triageAndKeep(ctx context.Context, d *call, userID string) (guard.Triage, error) {
	confirmed := time.Now().UTC()
	t, err := triageLive(ctx, d, userID)
	if err != nil {
		return guard.Triage{}, err
	}
	t.Confirmed = confirmed
	if d.Users != nil {
		if err := d.Users.RecordTriage(userID, t); err != nil {
			d.Log.Warn("the customer's triage could not be kept; the next queue reads Basiq again", "error", err)
		}
	}
	return t, nil
}

// keepRead records what a tool just read of an indexed customer's
// connections, jobs and consents (at read) as their triage, so the queue
// shows at once what the tool saw; the account count, which the tool did
// not read, stays the kept one's. A customer not yet indexed is left to
// the queue and the scan, which read them whole.
func (d *call) keepRead(ctx context.Context, userID string, read time.Time, t guard.Triage) {
	if d.Users == nil {
		return
	}
	old, ok := d.Users.KeptTriage(userID)
	if !ok || old.Confirmed.After(read) {
		return
	}
	t.Accounts, t.Confirmed = old.Accounts, read
	if err := d.Users.RecordTriage(userID, t); err != nil {
		d.Log.WarnContext(ctx, "what a tool read could not be kept in the index; the queue shows the customer as before", "error", err)
	}
}

// updateIndex applies part of a customer's state a tool just read (at
// read: their whole connection list, jobs or consents) to their kept
// triage. The triage keeps its date, since the rest of it is as old as it
// was; a customer not yet indexed is left to the queue and the scan.
func (d *call) updateIndex(ctx context.Context, userID string, read time.Time, apply func(*guard.Triage)) {
	if d.Users == nil {
		return
	}
	t, ok := d.Users.KeptTriage(userID)
	if !ok || t.Confirmed.After(read) {
		return
	}
	apply(&t)
	if err := d.Users.RecordTriage(userID, t); err != nil {
		d.Log.WarnContext(ctx, "what a tool read could not be kept in the index; the queue shows the customer as before", "error", err)
	}
}

// triageLive reads one customer's triage from Basiq.
func triageLive(ctx context.Context, d *call, userID string) (guard.Triage, error) {
	conns, err := d.Client.ListConnections(ctx, userID, basiq.ListConnectionsOptions{})
	if err != nil {
		if basiq.IsNotFound(err) {
			return guard.Triage{Version: guard.TriageVersion, Deleted: true}, nil
		}
		return guard.Triage{}, err
	}
	jobs, err := d.Client.ListUserJobs(ctx, userID, "")
	if err != nil {
		return guard.Triage{}, err
	}
	consents, err := d.Client.ListConsents(ctx, userID)
	if err != nil {
		return guard.Triage{}, err
	}
	accounts, err := d.Client.ListAccounts(ctx, userID, basiq.ListAccountsOptions{})
	if err != nil {
		return guard.Triage{}, err
	}
	t := triageOf(conns.Data, jobs.Data, consents.Data)
	t.Accounts = len(accounts.Data)
	return t, nil
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
