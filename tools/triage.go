package tools

import (
	"context"
	"errors"
	"slices"
	"strings"
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
// is fresh (no Basiq request), else from Basiq, keeping the result. Calls
// for the same customer at once share one read.
func triageOne(ctx context.Context, d *call, row *userSummary) error {
	if d.Users != nil && d.TriageMaxAge > 0 {
		if t, ok := d.Users.FreshTriage(row.ID, d.TriageMaxAge); ok {
			row.setTriage(t)
			return nil
		}
	}
	read := func(ctx context.Context) (any, error) { return triageAndKeep(ctx, d, row.ID) }
	v, err, _ := d.triages.Do(strings.ToLower(row.ID), func() (any, error) { return read(ctx) })
	if err != nil && ctx.Err() == nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		v, err = read(ctx) // the call that led the shared read went away; not this one
	}
	if err != nil {
		return err
	}
	row.setTriage(v.(guard.Triage))
	return nil
}

// setTriage fills the row from a customer's triage.
func (r *userSummary) setTriage(t guard.Triage) {
	r.Connections, r.NeedsAttention, r.Attention, r.Accounts, r.banks = t.Connections, t.NeedsAttention, t.Attention, t.Accounts, t.Banks
	r.AsOf = t.Confirmed.UTC().Format(time.RFC3339)
}

// triageAndKeep reads customer userID from Basiq and keeps the result as
// their triage.
func triageAndKeep(ctx context.Context, d *call, userID string) (guard.Triage, error) {
	confirmed := time.Now().UTC()
	live := userSummary{ID: userID}
	if err := triageLive(ctx, d, &live); err != nil {
		return guard.Triage{}, err
	}
	t := guard.Triage{Connections: live.Connections, NeedsAttention: live.NeedsAttention, Attention: live.Attention, Accounts: live.Accounts, Banks: live.banks, Confirmed: confirmed}
	if d.Users != nil {
		if err := d.Users.RecordTriage(userID, t); err != nil {
			d.Log.Warn("the customer's triage could not be kept; the next queue reads Basiq again", "error", err)
		}
	}
	return t, nil
}

// triageLive reads one customer from Basiq: connections, jobs, consents
// and accounts (four requests, kept afterwards as the customer's triage).
func triageLive(ctx context.Context, d *call, row *userSummary) error {
	conns, err := d.Client.ListConnections(ctx, row.ID, basiq.ListConnectionsOptions{})
	if err != nil {
		if basiq.IsNotFound(err) {
			row.Attention = "deleted at Basiq"
			return nil
		}
		return err
	}
	jobs, err := d.Client.ListUserJobs(ctx, row.ID, "")
	if err != nil {
		return err
	}
	consents, err := d.Client.ListConsents(ctx, row.ID)
	if err != nil {
		return err
	}
	row.Connections = len(conns.Data)
	problems, banks := attentionReasons(conns.Data, jobs.Data, consents.Data, time.Now())
	row.banks = banks
	row.NeedsAttention = len(problems)
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

// attentionReasons are why a customer needs someone: a connection not
// active, a refresh that failed on an active one, a refresh waiting for the
// customer's code, a consent revoked, expired or expiring within two weeks,
// a connection expiring within two weeks. Each date says whose it is.
// banks are the institutions of the connections named.
func attentionReasons(conns []basiq.Connection, jobs []basiq.Job, consents []basiq.Consent, now time.Time) (out, banks []string) {
	newest := map[string]*basiq.Job{}
	for i := range jobs {
		j := &jobs[i]
		if id := j.ConnectionID(); id != "" && (newest[id] == nil || j.Created.After(newest[id].Created.Time)) {
			newest[id] = j
		}
	}
	for _, c := range conns {
		j := newest[c.ID]
		before := len(out)
		switch {
		case j != nil && basiq.JobState(j) == basiq.JobWaitingForUser:
			out = append(out, c.ID+" refresh waiting for the customer's code: answer_mfa with job_id "+j.ID)
		case c.Status != "active":
			out = append(out, c.ID+" "+c.Status+failedWith(j))
		case j != nil && basiq.JobState(j) == basiq.JobFailed:
			out = append(out, c.ID+" last refresh failed"+failedWith(j))
		case !c.ExpiryDate.IsZero() && c.ExpiryDate.Sub(now) < consentSoon:
			out = append(out, c.ID+" connection expires "+c.ExpiryDate.Format(time.DateOnly))
		}
		if len(out) > before && c.Institution.ID != "" && !slices.Contains(banks, c.Institution.ID) {
			banks = append(banks, c.Institution.ID)
		}
	}
	for _, k := range consents {
		switch {
		case k.Status == "revoked" || k.Status == "expired":
			out = append(out, "consent "+k.Status)
		case k.Status == "active" && !k.ExpiryDate.IsZero() && k.ExpiryDate.Sub(now) < consentSoon:
			out = append(out, "consent expires "+k.ExpiryDate.Format(time.DateOnly))
		}
	}
	return out, banks
}

// failedWith names a failed job's code, "" when it did not fail.
func failedWith(j *basiq.Job) string {
	if j == nil {
		return ""
	}
	if step := j.FailedStep(); step != nil && step.Result != nil && step.Result.Code != "" {
		return " (" + step.Result.Code + ")"
	}
	return ""
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
