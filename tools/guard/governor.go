package guard

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
)

// Mode says what the governor does with a refusal.
type Mode string

// Modes: enforce refuses; shadow logs and audits the refusal but lets the
// refresh through; off sends every refresh without checks.
const (
	Enforce Mode = "enforce"
	Shadow  Mode = "shadow"
	Off     Mode = "off"
)

// Policy holds the refresh rules. Basiq asks partners not to refresh in
// bulk or repeatedly; these defaults follow its published limits.
type Policy struct {
	Mode                Mode
	Cooldown            time.Duration // since lastUsed or our own last request
	DailyCapOpenBanking int           // Basiq allows 20 a day per Open Banking connection
	DailyCapWeb         int           // web connections have no published cap; ours
	BudgetPerMinute     float64       // deployment-wide refreshes per minute
	BudgetBurst         int           // how many may go at once before the rate applies
	// BulkCustomers is how many distinct customers one caller (or session,
	// or the callerless deployment) may refresh within BulkWindow; one more
	// is a bulk refresh (RuleBulk). 0 turns the rule off.
	BulkCustomers int
	BulkWindow    time.Duration
}

// DefaultPolicy is enforce, a 1 h cooldown, 20 a day for Open Banking, 10 a
// day for web, 10 refreshes a minute across the whole deployment, and at
// most 3 customers per caller in 10 minutes.
func DefaultPolicy() Policy {
	return Policy{Mode: Enforce, Cooldown: time.Hour, DailyCapOpenBanking: 20, DailyCapWeb: 10, BudgetPerMinute: 10, BudgetBurst: 10,
		BulkCustomers: 3, BulkWindow: 10 * time.Minute}
}

// Outcomes of a refresh decision.
const (
	Refreshed    = "refreshed"
	ReusedJob    = "reused-running-job"
	Refused      = "refused"
	Deferred     = "deferred"
	WouldRefresh = "would-refresh"
)

// Decision is what the governor did, or in a dry run would do, about one
// connection, with the reason and when a refused refresh will be allowed.
type Decision struct {
	UserID, ConnectionID string
	Outcome              string // one of the outcomes above
	Reason               string
	RetryAt              string // RFC 3339: when a refused refresh will be allowed
	JobID                string
	Rule                 string // the rule that refused or deferred it (Rule…); empty when allowed
}

// Governor decides every refresh the server sends to Basiq. What it reads
// from Basiq (the connection, its jobs, the institution) decides the status
// and outage rules; the rules that need shared memory (cooldown, daily cap,
// budget) are one atomic reservation in the store, so every process and
// replica on the store obeys them together.
type Governor struct {
	client *basiq.Client
	store  Store
	audit  *Audit
	policy Policy
	now    func() time.Time
	log    *slog.Logger
	keys   keyed // serialises one connection's decisions within a process
	watch  func(context.Context, Decision)
	quota  *Quota // each OAuth caller's refreshes; nil: none
}

// NewGovernor returns a governor; now may be nil for time.Now.
func NewGovernor(c *basiq.Client, s Store, a *Audit, p Policy, log *slog.Logger, now func() time.Time) *Governor {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Governor{client: c, store: s, audit: a, policy: p, now: now, log: log}
}

// Refresh applies the rules to one connection and, unless dryRun or
// refused, sends one refresh.
func (g *Governor) Refresh(ctx context.Context, tool, userID, connID string, dryRun bool) (Decision, error) {
	key := Key(userID, connID)
	defer g.keys.lock(key)()
	d := Decision{UserID: userID, ConnectionID: connID}
	hold, refused, err := g.callerHold(ctx, d, tool, dryRun)
	if refused != nil || err != nil {
		if refused != nil {
			d = *refused
		}
		return d, err
	}
	defer hold.Release() // nothing sent: the caller's use is taken back
	if refusal, err := g.bulk(ctx, tool, userID, dryRun); refusal != nil || err != nil {
		if refusal == nil {
			return d, err
		}
		refusal.UserID, refusal.ConnectionID = userID, connID
		return *refusal, g.record(ctx, tool, *refusal, dryRun)
	}
	if g.policy.Mode == Off {
		return g.send(ctx, tool, d, dryRun, hold)
	}
	conn, err := g.client.GetConnection(ctx, userID, connID)
	if err != nil {
		return d, err
	}
	jobs, err := g.client.ListUserJobs(ctx, userID, connID)
	if err != nil {
		return d, err
	}
	ev := readJobs(jobs.Data, g.now())
	if ev.running != nil {
		d.Outcome, d.JobID, d.Reason = ReusedJob, ev.running.ID, "a job for this connection is already running; follow it instead of refreshing"
		return d, g.record(ctx, tool, d, dryRun)
	}
	refusal, err := g.check(ctx, userID, key, conn, ev, dryRun || g.policy.Mode == Shadow)
	if err != nil {
		return d, err
	}
	if refusal != nil {
		if g.policy.Mode == Enforce || dryRun {
			refusal.UserID, refusal.ConnectionID = userID, connID
			return *refusal, g.record(ctx, tool, *refusal, dryRun)
		}
		g.log.Warn("shadow mode: refresh allowed that enforce would refuse", "connectionId", connID, "reason", refusal.Reason)
		g.record(ctx, tool, Decision{UserID: userID, ConnectionID: connID, Outcome: "shadow-allowed", Reason: refusal.Reason, Rule: refusal.Rule}, false)
	}
	if g.policy.Mode == Shadow && !dryRun { // the shadow check only looked: record what is sent
		if _, err := g.store.Reserve(Reservation{Key: key, Now: g.now(), CapWindow: ledgerWindow, NoBudget: true}); err != nil {
			return d, fmt.Errorf("guard: recording the refresh: %w", err)
		}
	}
	return g.send(ctx, tool, d, dryRun, hold)
}

// ledgerWindow is how much refresh history the ledger keeps and the daily
// cap counts.
const ledgerWindow = 24 * time.Hour

// check returns the first rule the refresh breaks, or nil. When every rule
// allows it and look is false, the store has recorded it.
func (g *Governor) check(ctx context.Context, userID, key string, conn *basiq.Connection, ev jobEvidence, look bool) (*Decision, error) {
	now := g.now()
	if refusal := statusRule(conn, ev); refusal != nil {
		return refusal, nil
	}
	if code := ev.failure(); conn.Status == "invalid" && userActionCodes[code] {
		failed := ev.newest.Updated.Time
		if failed.IsZero() {
			failed = jobTime(ev.newest)
		}
		acted, err := g.customerActed(ctx, userID, conn.ID, failed)
		if err != nil {
			return nil, fmt.Errorf("guard: whether the customer acted could not be read (their consents), so the refresh was not sent: %w", err)
		}
		if !acted {
			return waitingOnCustomer(code, failed), nil
		}
	}
	status, err := g.connectorStatus(ctx, conn.Institution.ID, conn.Method)
	if err != nil {
		return nil, err
	}
	switch status {
	case basiq.ConnectorMajorOutage:
		return g.refusal(RuleInstitution, Deferred, now.Add(time.Hour), "institution %s is in a major outage; retry in 1 to 3 hours", conn.Institution.ID), nil
	case basiq.ConnectorPartialOutage:
		return g.refusal(RuleInstitution, Deferred, now.Add(time.Hour), "institution %s has a partial outage; retry in about an hour", conn.Institution.ID), nil
	}
	r := g.reservation(key, conn, ev, now, look)
	v, err := g.store.Reserve(r)
	if err != nil {
		return nil, fmt.Errorf("guard: the refresh could not be checked against the shared ledger, so it was not sent: %w", err)
	}
	return g.explainVerdict(v, r, conn, now), nil
}

// reservation states the ledger rules for this connection. An invalid
// connection gets one refresh a day, counted on the ledger alone: its
// newest job is the failure that made it invalid, not a refresh to wait for.
func (g *Governor) reservation(key string, conn *basiq.Connection, ev jobEvidence, now time.Time, look bool) Reservation {
	r := Reservation{Key: key, Now: now, Since: lastActivity(conn, ev), Cooldown: g.policy.Cooldown, Cap: g.policy.DailyCapWeb,
		CapWindow: ledgerWindow, Seen: ev.recent(now, ledgerWindow), PerMinute: g.policy.BudgetPerMinute, Burst: g.policy.BudgetBurst, DryRun: look}
	if basiq.NormalMethod(conn.Method) == basiq.MethodOpenBanking {
		r.Cap = g.policy.DailyCapOpenBanking
	}
	if conn.Status == "invalid" {
		r.Since, r.Cooldown = time.Time{}, max(r.Cooldown, invalidRetryWindow)
	}
	return r
}

// explainVerdict turns a refused reservation into the model's reason.
func (g *Governor) explainVerdict(v Verdict, r Reservation, conn *basiq.Connection, now time.Time) *Decision {
	switch {
	case v.Rule == RuleCooldown && conn.Status == "invalid":
		return g.refusal(v.Rule, Refused, v.RetryAt, "the connection is invalid and was already refreshed %s; if it is still invalid, the customer must re-consent (create_auth_link)", ago(now, v.Last))
	case v.Rule == RuleCooldown:
		return g.refusal(v.Rule, Refused, v.RetryAt, "refreshed %s (%s); the cooldown is %s", ago(now, v.Last), v.Last.UTC().Format(time.RFC3339), r.Cooldown)
	case v.Rule == RuleCap:
		return g.refusal(v.Rule, Refused, v.RetryAt, "%d refreshes in the last 24 hours reach the daily cap of %d for %s connections", v.Count, r.Cap, conn.Method)
	case v.Rule == RuleBudget:
		return g.refusal(v.Rule, Refused, v.RetryAt, "the refresh budget shared by this deployment (%v a minute) is spent; refresh fewer connections", r.PerMinute)
	}
	return nil
}

func (g *Governor) refusal(rule, outcome string, retry time.Time, format string, a ...any) *Decision {
	return &Decision{Rule: rule, Outcome: outcome, Reason: fmt.Sprintf(format, a...), RetryAt: retry.UTC().Format(time.RFC3339)}
}

// send sends a refresh the reservation already recorded: every refresh
// sent counts toward cooldowns and caps, whatever Basiq answers. The
// attempt is audited before it is sent and the outcome after.
func (g *Governor) send(ctx context.Context, tool string, d Decision, dryRun bool, hold *Hold) (Decision, error) {
	if dryRun {
		d.Outcome, d.Reason = WouldRefresh, "every rule allows a refresh now; nothing was sent"
		return d, nil
	}
	ctx = withAttempt(ctx) // the attempt and its outcome share an id in the audit
	if err := g.record(ctx, tool, Decision{UserID: d.UserID, ConnectionID: d.ConnectionID, Outcome: "attempt"}, false); err != nil {
		return d, fmt.Errorf("guard: the audit log could not be written, so the refresh was not sent: %w", err)
	}
	hold.Keep() // from here the refresh may reach Basiq: the caller's use is spent
	job, existing, err := g.client.RefreshConnection(context.WithoutCancel(ctx), d.UserID, d.ConnectionID)
	if err != nil {
		g.record(ctx, tool, Decision{UserID: d.UserID, ConnectionID: d.ConnectionID, Outcome: OutcomeOf(err), Reason: AuditReason(err)}, false)
		return d, err
	}
	d.Outcome, d.JobID = Refreshed, job.ID
	if existing {
		d.Outcome = ReusedJob
	}
	return d, g.record(ctx, tool, d, false)
}

func (g *Governor) record(ctx context.Context, tool string, d Decision, dryRun bool) error {
	if dryRun {
		return nil
	}
	if g.watch != nil && d.Outcome != "attempt" {
		g.watch(ctx, d)
	}
	return g.audit.Record(Entry{Tool: tool, UserID: d.UserID, ConnectionID: d.ConnectionID, JobID: d.JobID, Decision: d.Outcome, Reason: d.Reason,
		Attempt: attemptOf(ctx)}.By(ctx))
}

type attemptKey struct{}

// withAttempt gives ctx a new attempt id for the audit lines of one write.
func withAttempt(ctx context.Context) context.Context {
	return context.WithValue(ctx, attemptKey{}, NewAttempt())
}

// NewAttempt is a random attempt id (Entry.Attempt) for one write.
func NewAttempt() string {
	b := make([]byte, 8)
	rand.Read(b)
	return "a-" + hex.EncodeToString(b)
}

func attemptOf(ctx context.Context) string {
	s, _ := ctx.Value(attemptKey{}).(string)
	return s
}

// callerHold reserves one of the caller's refreshes (not in a dry run),
// and records a refusal when its quota is spent; a store that does not
// answer refuses too.
func (g *Governor) callerHold(ctx context.Context, d Decision, tool string, dryRun bool) (*Hold, *Decision, error) {
	if dryRun {
		return nil, nil, nil
	}
	hold, err := g.quota.Reserve(ctx)
	var qe *QuotaError
	if err == nil || !errors.As(err, &qe) {
		return hold, nil, err
	}
	d.Outcome, d.Rule, d.Reason, d.RetryAt = Refused, RuleCaller, qe.Error(), qe.RetryAt.UTC().Format(time.RFC3339)
	return nil, &d, g.record(ctx, tool, d, false)
}

// Watch calls fn with every decision the governor carries out (dry runs
// and attempts excluded), for metrics. Call it before serving.
func (g *Governor) Watch(fn func(context.Context, Decision)) { g.watch = fn }

// connectorStatus returns the institution's status for the method (the
// client reuses recent connector lists).
func (g *Governor) connectorStatus(ctx context.Context, institution, method string) (string, error) {
	l, err := g.client.ListConnectors(ctx, basiq.ListConnectorsOptions{ID: institution})
	if err != nil {
		return "", err
	}
	// The connection's own method decides; without it, the worst status does.
	status, worst := "", basiq.ConnectorOperational
	for _, conn := range l.Data {
		if basiq.NormalMethod(conn.Method) == basiq.NormalMethod(method) {
			status = conn.Status
		}
		worst = basiq.WorseStatus(worst, conn.Status)
	}
	if status == "" {
		status = worst
	}
	return status, nil
}
