package tools

import (
	"cmp"
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq/text"
	"github.com/basiq-mcp/basiq-mcp/tools/guard"
)

type supportQueueParams struct {
	Reason      string `json:"reason,omitempty" jsonschema:"enum=waiting-for-code,enum=connection-invalid,enum=consent-revoked,enum=consent-expired,enum=refresh-failed,enum=consent-expiring,enum=connection-expiring,enum=bank-outage"`
	Institution string `json:"institution,omitempty" jsonschema:"pattern=^[A-Z]{2}[0-9]+$" jsonschema_description:"e.g. AU00000"`
	WithinDays  int    `json:"within_days,omitempty" jsonschema:"minimum=1,maximum=365" jsonschema_description:"Expiry window (default 14)."`
	Limit       int    `json:"limit,omitempty" jsonschema:"minimum=1,maximum=100"` // 20 when left out
	Cursor      string `json:"cursor,omitempty" jsonschema:"maxLength=200"`
}

// queueRow is one reason one customer needs attention.
type queueRow struct {
	UserID       string `json:"user_id"`
	Name         string `json:"name,omitempty"`
	Reason       string `json:"reason"`
	ConnectionID string `json:"connection_id,omitempty"`
	ConsentID    string `json:"consent_id,omitempty"`
	Institution  string `json:"institution,omitempty"`
	BankStatus   string `json:"bank_status,omitempty" jsonschema_description:"the bank's status at Basiq when not operational"`
	Code         string `json:"code,omitempty" jsonschema_description:"the failed job's failure code"`
	JobID        string `json:"job_id,omitempty"`
	Since        string `json:"since,omitempty"`
	Expires      string `json:"expires,omitempty"`
	NextStep     string `json:"next_step"`
	AsOf         string `json:"as_of" jsonschema_description:"when Basiq last showed this customer"`
	since        time.Time
	expires      time.Time
}

// bankTotal is how many connection problems one bank has in the queue.
type bankTotal struct {
	Institution string `json:"institution"`
	Name        string `json:"name,omitempty"`
	Status      string `json:"status,omitempty" jsonschema_description:"the bank's worst status at Basiq now"`
	Problems    int    `json:"problems"`
}

type supportQueueResult struct {
	Rows       []queueRow     `json:"rows"`
	Total      int            `json:"total" jsonschema_description:"rows matching the filters"`
	Customers  int            `json:"customers" jsonschema_description:"customers with a matching row"`
	ByReason   map[string]int `json:"by_reason" jsonschema_description:"the whole queue, whatever the filters"`
	Banks      []bankTotal    `json:"banks" jsonschema_description:"banks with the most connection problems, whatever the filters"`
	Index      queueIndex     `json:"index"`
	Note       string         `json:"note"`
	NextCursor string         `json:"next_cursor,omitempty"`
}

// supportQueueTool is the support_queue tool.
var supportQueueTool = spec[supportQueueParams, supportQueueResult]{name: "support_queue", reach: guard.ReachFiltered, title: "Support queue", toolset: SetUsers, hints: readHints, run: supportQueue,
	description: "Who needs attention and why, most urgent first: a row per customer and reason with bank, failure code, since when and next step; totals by reason and bank. Reads the index, not Basiq."}

// queueLimit is a page of the queue when the call names none.
const queueLimit = 20

func supportQueue(ctx context.Context, d *call, p supportQueueParams) (supportQueueResult, error) {
	offset, err := offsetCursor(p.Cursor)
	if err != nil {
		return supportQueueResult{}, err
	}
	window := cmp.Or(time.Duration(p.WithinDays)*24*time.Hour, consentSoon)
	book, index, err := readBook(ctx, d)
	if err != nil {
		return supportQueueResult{}, err
	}
	banks := readBanks(ctx, d)
	all := queueRows(book, banks, time.Now(), window)
	res := supportQueueResult{Rows: []queueRow{}, ByReason: map[string]int{}, Banks: bankTotals(all, banks), Index: index}
	var rows []queueRow
	customers := map[string]bool{}
	for _, r := range all {
		res.ByReason[r.Reason]++
		if (p.Reason == "" || r.Reason == p.Reason) && (p.Institution == "" || r.Institution == p.Institution) {
			rows = append(rows, r)
			customers[r.UserID] = true
		}
	}
	res.Total, res.Customers = len(rows), len(customers)
	res.Note = queueSummary(res, banks.err)
	end := min(offset+cmp.Or(p.Limit, queueLimit), len(rows))
	if offset < end {
		res.Rows = rows[offset:end]
	}
	if end < len(rows) {
		res.NextCursor = base64.RawURLEncoding.EncodeToString([]byte("o=" + strconv.Itoa(end)))
	}
	return res, nil
}

// queueRows turns every customer's problems into rows, most urgent first:
// by reason, then the soonest expiry, then the oldest problem. A broken
// connection at a bank in an outage is the bank's problem (bank-outage).
func queueRows(book []guard.KnownUser, banks bankStatuses, now time.Time, window time.Duration) []queueRow {
	var rows []queueRow
	for _, u := range book {
		if u.Triage == nil || u.Triage.Deleted {
			continue
		}
		asOf := stamp(u.Triage.Confirmed)
		for _, p := range problemsOf(*u.Triage, now, window) {
			r := queueRow{UserID: u.ID, Name: text.Clean(u.Name, 80), Reason: p.Reason, ConnectionID: p.Connection, ConsentID: p.Consent,
				Institution: p.Institution, Code: p.Code, JobID: p.Job, AsOf: asOf, since: p.Since, expires: p.Expires}
			r.BankStatus = banks.of(p.Institution, connectionMethod(*u.Triage, p.Connection))
			if slices.Contains(outageStatuses, r.BankStatus) && (p.Reason == reasonInvalid || p.Reason == reasonFailed) {
				r.Reason = reasonOutage
			}
			r.Since, r.Expires = stamp(p.Since), stamp(p.Expires)
			r.NextStep = nextStepFor(r)
			rows = append(rows, r)
		}
	}
	slices.SortStableFunc(rows, func(a, b queueRow) int {
		return cmp.Or(
			cmp.Compare(slices.Index(reasonsByUrgency, a.Reason), slices.Index(reasonsByUrgency, b.Reason)),
			a.expires.Compare(b.expires),
			a.since.Compare(b.since),
			cmp.Compare(a.UserID, b.UserID))
	})
	return rows
}

func connectionMethod(t guard.Triage, id string) string {
	for _, c := range t.Connections {
		if c.ID == id {
			return c.Method
		}
	}
	return ""
}

// nextStepFor says what to do about one row: for a failure Basiq named,
// what its code calls for (as get_job and diagnose_connection say it).
func nextStepFor(r queueRow) string {
	if known, ok := diagnoses[r.Code]; ok && (r.Reason == reasonInvalid || r.Reason == reasonFailed) {
		return known.NextAction
	}
	switch r.Reason {
	case reasonWaiting:
		return "Ask the customer for the code their bank just sent and give it to answer_mfa with job_id " + r.JobID + "; the bank's code expires within minutes."
	case reasonInvalid:
		return "diagnose_connection says why; usually the customer reconnects through a new consent link (create_auth_link). Do not refresh."
	case reasonFailed:
		return "diagnose_connection says whether to wait or reconnect; do not refresh again before it says so."
	case reasonRevoked:
		return "The customer withdrew this consent and Basiq stops fetching their data; only they can consent again, through a new consent link (create_auth_link)."
	case reasonExpired:
		return "The consent ended and data no longer updates; send the customer a new consent link (create_auth_link) if the service should continue."
	case reasonConsentExpiring:
		return "Send the customer a consent link (create_auth_link) to extend the consent before " + r.Expires[:10] + "."
	case reasonConnExpiring:
		return "The connection stops on " + r.Expires[:10] + "; the customer renews it through a consent link (create_auth_link)."
	}
	return fmt.Sprintf("Bank %s is in %s: its failures are the bank's. Wait for check_connector_status to show it operational; neither refresh nor ask the customer to reconnect.", r.Institution, r.BankStatus)
}

// bankTotals counts connection problems per bank, most first (ten banks).
func bankTotals(rows []queueRow, banks bankStatuses) []bankTotal {
	count := map[string]int{}
	for _, r := range rows {
		if r.Institution != "" && r.Reason != reasonConnExpiring {
			count[r.Institution]++
		}
	}
	out := []bankTotal{}
	for id, n := range count {
		out = append(out, bankTotal{Institution: id, Name: banks.names[id], Status: banks.worst[id], Problems: n})
	}
	slices.SortFunc(out, func(a, b bankTotal) int {
		return cmp.Or(cmp.Compare(b.Problems, a.Problems), cmp.Compare(a.Institution, b.Institution))
	})
	return out[:min(len(out), 10)]
}

// queueSummary says in one sentence what the queue holds and how complete
// the index behind it is.
func queueSummary(r supportQueueResult, banksErr error) string {
	msg := fmt.Sprintf("%d rows for %d customers match, of %d customers in the index.", r.Total, r.Customers, r.Index.Customers)
	if r.Index.NotYetRead > 0 {
		msg += fmt.Sprintf(" %d customers are not read yet (or not for a day): the background scan reads them, or call again.", r.Index.NotYetRead)
	}
	if r.Index.Stale > 0 {
		msg += fmt.Sprintf(" %d customers were last read before the triage max age (oldest %s): their rows say as of when; events and the background scan renew them.", r.Index.Stale, r.Index.OldestAsOf)
	}
	if len(r.Index.Unreadable) > 0 {
		msg += fmt.Sprintf(" %d customers could not be read now (index.unreadable).", len(r.Index.Unreadable))
	}
	if banksErr != nil {
		msg += " Banks' status could not be read, so outages are not marked."
	}
	return msg
}

// SupportQueue is the first page of the support queue (100 rows) as the
// caller in ctx may see it: what the basiq://support/queue resource reads.
func SupportQueue(ctx context.Context, d *Deps) (any, error) {
	return supportQueue(ctx, &call{Deps: d, tool: "support_queue", ctx: ctx}, supportQueueParams{Limit: 100})
}
