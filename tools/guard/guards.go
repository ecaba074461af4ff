package guard

import (
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
)

// Guards is everything the tools need from this package, on one store.
type Guards struct {
	Governor *Governor
	Confirm  *Confirmer
	Idem     *Idempotency
	Audit    *Audit
	Users    *Directory
	Store    Store
	// Reports is each OAuth caller's report quota (Basiq bills reports).
	Reports *Quota
	// Deliveries remembers the webhook deliveries processed.
	Deliveries *Journal
}

// Options say where guard state lives.
type Options struct {
	// StateDir holds audit.jsonl and, without StateURL, state.db.
	StateDir string
	// StateURL, redis://host:port/db, selects a Redis store shared by
	// replicas; empty keeps the bbolt file. Tenant is the deployment's
	// namespace in it (TenantFor).
	StateURL string
	Tenant   Tenant
	// ConfirmKey seals confirmations (see ParseConfirmKey); empty means a
	// random key per process.
	ConfirmKey []byte
	Policy     Policy
	Log        *slog.Logger
	// AuditTo names the audit's sinks (AuditSinks); empty: the file.
	// Stdout and Stderr are the streams "stdout" and "stderr" mean.
	AuditTo        []string
	Stdout, Stderr io.Writer
	// CallerRefreshesPerHour and CallerReportsPerDay bound each OAuth
	// caller (0: no quota), in the store, across replicas.
	CallerRefreshesPerHour, CallerReportsPerDay int
}

// Open opens the store the options name and the guards on it.
func Open(c *basiq.Client, o Options) (*Guards, error) {
	store, err := OpenStore(o.StateURL, filepath.Join(o.StateDir, "state.db"), o.Tenant)
	if err != nil {
		return nil, err
	}
	return New(c, store, o)
}

// New builds the guards on an open store (it then owns the store).
func New(c *basiq.Client, store Store, o Options) (*Guards, error) {
	audit, err := OpenAuditTo(o.StateDir, o.AuditTo, o.Stdout, o.Stderr)
	if err != nil {
		store.Close()
		return nil, err
	}
	gov := NewGovernor(c, store, audit, o.Policy, o.Log, nil)
	gov.quota = NewQuota(store, "refreshes", o.CallerRefreshesPerHour, time.Hour, nil)
	idem := NewIdempotency(store, nil)
	idem.lines = audit
	return &Guards{Governor: gov, Confirm: NewConfirmer(o.ConfirmKey, store, nil), Idem: idem, Audit: audit,
		Users: NewDirectory(store, nil), Store: store, Reports: NewQuota(store, "reports", o.CallerReportsPerDay, 24*time.Hour, nil),
		Deliveries: NewJournal(store, nil)}, nil
}

// redisSchemes are the --state-url schemes of a Redis store: one Redis
// (or Sentinel in go-redis's failover form), Sentinel, and a Cluster.
var redisSchemes = []string{"redis://", "rediss://", "redis-sentinel://", "redis-cluster://", "rediss-cluster://"}

// OpenStore opens the store a state URL names: a Redis URL (redisSchemes)
// for Redis, in the tenant's namespace, empty for the bbolt file at
// boltPath. Any other scheme is refused.
func OpenStore(stateURL, boltPath string, t Tenant) (Store, error) {
	switch {
	case stateURL == "":
		return OpenBolt(boltPath)
	case slices.ContainsFunc(redisSchemes, func(p string) bool { return strings.HasPrefix(stateURL, p) }):
		s, err := OpenRedis(stateURL, t)
		if err == nil {
			s.RememberIn(filepath.Join(filepath.Dir(boltPath), "redis-generation-"+t.Namespace))
		}
		return s, err
	}
	return nil, fmt.Errorf("guard: --state-url must be redis://HOST:PORT/DB (rediss:// for TLS), redis-sentinel://HOST:PORT,…/DB?master=NAME or redis-cluster://HOST:PORT,…, not %q", redact(stateURL))
}

// Close closes the audit log and the store.
func (g *Guards) Close() error {
	err := g.Audit.Close()
	if cerr := g.Store.Close(); err == nil {
		err = cerr
	}
	return err
}

// redact hides a password in a URL before it reaches an error.
func redact(u string) string {
	if at := strings.LastIndex(u, "@"); at > 0 {
		if scheme := strings.Index(u, "://"); scheme >= 0 && scheme < at {
			return u[:scheme+3] + "…@" + u[at+1:]
		}
	}
	return u
}
