package guard

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
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
}

// DefaultPolicy is enforce, a 1 h cooldown, 20 a day for Open Banking, 10 a
// day for web, and 10 refreshes a minute across the whole deployment.
func DefaultPolicy() Policy {
	return Policy{Mode: Enforce, Cooldown: time.Hour, DailyCapOpenBanking: 20, DailyCapWeb: 10, BudgetPerMinute: 10, BudgetBurst: 10}
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
}

// Governor decides every refresh the server sends to Basiq.
type Governor struct {
	client *basiq.Client
	store  Store
	audit  *Audit
	policy Policy
	now    func() time.Time
	log    *slog.Logger

	keys   keyed
	mu     sync.Mutex
	tokens float64
	filled time.Time
}

// NewGovernor returns a governor; now may be nil for time.Now.
func NewGovernor(c *basiq.Client, s Store, a *Audit, p Policy, log *slog.Logger, now func() time.Time) *Governor {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Governor{client: c, store: s, audit: a, policy: p, now: now, log: log,
		tokens: float64(p.BudgetBurst)}
}

// Refresh applies the rules to one connection and, unless dryRun or
// refused, sends one refresh. Calls for the same connection are serialised,
// so simultaneous requests cause at most one Basiq refresh.
func (g *Governor) Refresh(ctx context.Context, tool, userID, connID string, dryRun bool) (Decision, error) {
	key := userID + "/" + connID
	defer g.keys.lock(key)()
	d := Decision{UserID: userID, ConnectionID: connID}
	if g.policy.Mode == Off {
		return g.send(ctx, tool, key, d, dryRun)
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
		return d, g.record(tool, d, dryRun)
	}
	if refusal, err := g.check(ctx, key, conn, ev, dryRun); err != nil {
		return d, err
	} else if refusal != nil {
		if g.policy.Mode == Enforce || dryRun {
			refusal.UserID, refusal.ConnectionID = userID, connID
			return *refusal, g.record(tool, *refusal, dryRun)
		}
		g.log.Warn("shadow mode: refresh allowed that enforce would refuse", "connectionId", connID, "reason", refusal.Reason)
		g.record(tool, Decision{UserID: userID, ConnectionID: connID, Outcome: "shadow-allowed", Reason: refusal.Reason}, false)
	}
	return g.send(ctx, tool, key, d, dryRun)
}

// check returns the first rule the refresh breaks, or nil.
func (g *Governor) check(ctx context.Context, key string, conn *basiq.Connection, ev jobEvidence, dryRun bool) (*Decision, error) {
	now := g.now()
	history, err := g.store.Refreshes(key, now.Add(-24*time.Hour))
	if err != nil {
		return nil, err
	}
	if refusal := statusRule(conn, history, ev, now); refusal != nil {
		return refusal, nil
	}
	status, err := g.connectorStatus(ctx, conn.Institution.ID, conn.Method)
	if err != nil {
		return nil, err
	}
	switch status {
	case basiq.ConnectorMajorOutage:
		return g.refusal(Deferred, now.Add(time.Hour), "institution %s is in a major outage; retry in 1 to 3 hours", conn.Institution.ID), nil
	case basiq.ConnectorPartialOutage:
		return g.refusal(Deferred, now.Add(time.Hour), "institution %s has a partial outage; retry in about an hour", conn.Institution.ID), nil
	}
	last := lastActivity(conn, history, ev)
	if next := last.Add(g.policy.Cooldown); now.Before(next) {
		return g.refusal(Refused, next, "refreshed %s (%s); the cooldown is %s", ago(now, last), last.UTC().Format(time.RFC3339), g.policy.Cooldown), nil
	}
	daily := g.policy.DailyCapWeb
	if basiq.NormalMethod(conn.Method) == basiq.MethodOpenBanking {
		daily = g.policy.DailyCapOpenBanking
	}
	if len(history) >= daily {
		return g.refusal(Refused, history[len(history)-daily].Add(24*time.Hour), "%d refreshes in the last 24 hours reach the daily cap of %d for %s connections", len(history), daily, conn.Method), nil
	}
	if wait := g.takeBudget(now, dryRun); wait > 0 {
		return g.refusal(Refused, now.Add(wait), "the server-wide refresh budget (%v a minute) is spent; refresh fewer connections", g.policy.BudgetPerMinute), nil
	}
	return nil, nil
}

func (g *Governor) refusal(outcome string, retry time.Time, format string, a ...any) *Decision {
	return &Decision{Outcome: outcome, Reason: fmt.Sprintf(format, a...), RetryAt: retry.UTC().Format(time.RFC3339)}
}

// send records the request in the ledger, then sends it: every refresh sent
// counts toward cooldowns and caps, whatever Basiq answers.
func (g *Governor) send(ctx context.Context, tool, key string, d Decision, dryRun bool) (Decision, error) {
	if dryRun {
		d.Outcome, d.Reason = WouldRefresh, "every rule allows a refresh now"
		return d, nil
	}
	if err := g.store.AddRefresh(key, g.now()); err != nil {
		return d, fmt.Errorf("guard: recording the refresh: %w", err)
	}
	job, existing, err := g.client.RefreshConnection(ctx, d.UserID, d.ConnectionID)
	if err != nil {
		g.record(tool, Decision{UserID: d.UserID, ConnectionID: d.ConnectionID, Outcome: "failed", Reason: err.Error()}, false)
		return d, err
	}
	d.Outcome, d.JobID = Refreshed, job.ID
	if existing {
		d.Outcome = ReusedJob
	}
	return d, g.record(tool, d, false)
}

func (g *Governor) record(tool string, d Decision, dryRun bool) error {
	if dryRun {
		return nil
	}
	return g.audit.Record(Entry{Tool: tool, UserID: d.UserID, ConnectionID: d.ConnectionID, JobID: d.JobID, Decision: d.Outcome, Reason: d.Reason})
}

// takeBudget takes one token from the deployment-wide bucket, or returns
// how long until one is available. A dry run only looks.
func (g *Governor) takeBudget(now time.Time, dryRun bool) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.filled.IsZero() {
		g.tokens = min(float64(g.policy.BudgetBurst), g.tokens+now.Sub(g.filled).Minutes()*g.policy.BudgetPerMinute)
	}
	g.filled = now
	if g.tokens >= 1 {
		if !dryRun {
			g.tokens--
		}
		return 0
	}
	if g.policy.BudgetPerMinute <= 0 {
		return time.Hour
	}
	return time.Duration((1 - g.tokens) / g.policy.BudgetPerMinute * float64(time.Minute))
}

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
