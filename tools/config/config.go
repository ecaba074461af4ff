// Package config reads basiq-mcp's settings from flags and the environment.
// It fails closed: a value it cannot read, an unknown word for a switch or
// a missing state directory stops start-up with a message naming the
// setting; nothing is ever read as "off" by accident.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/tools"
	"github.com/basiq-mcp/basiq-mcp/tools/guard"
)

// Config is everything the server reads from flags and the environment.
// The Basiq API key is read from the environment only, never from a flag.
type Config struct {
	Transport           string        // stdio, sse or http
	Addr                string        // listen address for sse and http
	BaseURL             string        // Basiq API base URL
	LogLevel            string        // debug, info, warn or error
	StateDir            string        // the audit log, and guard state without StateURL
	StateURL            string        // redis://… for guard state shared by replicas
	ConfirmKey          []byte        // seals confirmations; nil: random per process
	Sandbox             bool          // use the simulator even with a key
	ReadOnly            bool          // read tools only; wins over everything
	AllowDestructive    bool          // register the purge and delete tools
	Toolsets            []string      // toolsets to expose; empty: every toolset
	Tools               []string      // tools to expose; empty: all
	ExcludeTools        []string      // tools to hide
	IdleTTL             time.Duration // streamable HTTP session idle timeout
	SandboxIdle         time.Duration // how long the shared sandbox of basiq-mcp call outlives its last use
	AuthToken           string        // bearer token HTTP clients must send
	MetricsAddr         string        // where /metrics is served alone; empty: beside MCP, behind its guard
	Audit               []string      // audit sinks (guard.AuditSinks); empty: the file
	AuditReads          bool          // also audit who read which customer's data
	OAuthIssuer         string        // the authorization server whose access tokens are accepted
	OAuthAudience       string        // this server's resource URI, which tokens must name in aud
	OAuthRequireBinding bool
	OAuthKeyRefetch     time.Duration // least time between two reads of the issuer's keys
	TriageMaxAge        time.Duration // how old a kept customer triage may be and still answer a queue
	ReadBudget          float64       // Basiq read requests a second (refreshes apart) the deployment allows itself
	IndexShare          float64       // the most of ReadBudget the background scan takes (0: no scan)
	WebhookSecret       string        // BASIQ_WEBHOOK_SECRET: the whsec_ secret of Basiq's webhooks (checked by hosting)
	EventPoll           time.Duration // how often to poll Basiq's events where no webhook reaches (0: off)
	BackgroundDelay     time.Duration // how long after start the indexer and the event poller begin
	SessionsPerClient   int           // streamable HTTP sessions one caller or address may hold open
	ShutdownDelay       time.Duration // on SIGTERM, how long /readyz says 503 while serving on
	ShutdownTimeout     time.Duration // then how long in-flight calls may finish
	ReadyRequiresStore  bool          // /readyz fails while the guard store does not answer
	StatePrefix         string        // the deployment's namespace in a shared store; empty: from the key and base URL
	// CallerRefreshesPerHour and CallerReportsPerDay bound each OAuth caller.
	CallerRefreshesPerHour, CallerReportsPerDay int
	ClientRate                                  float64      // HTTP requests a minute per client; -1: by exposure
	AllowedOrigins                              []string     // browser origins allowed besides loopback
	DocsURL                                     string       // Basiq's live docs, or off
	Policy                                      guard.Policy // the refresh rules
}

// ToolOptions are the tool choices of the configuration.
func (c Config) ToolOptions() tools.Options {
	return tools.Options{ReadOnly: c.ReadOnly, AllowDestructive: c.AllowDestructive, Toolsets: c.Toolsets, Tools: c.Tools, ExcludeTools: c.ExcludeTools}
}

// Defaults are the values that come from other packages' knowledge.
type Defaults struct {
	DocsURL string // resources.DefaultLiveDocsURL
	Usage   string // printed before the flags by --help
}

// Parse reads the flags in args over the environment (getenv). It returns
// the remaining arguments and, when the program should stop, an exit code
// (0 after --help, 2 for a bad setting); otherwise code is -1.
func Parse(name string, args []string, getenv func(string) string, d Defaults, stderr io.Writer) (c Config, rest []string, code int) {
	f := &flags{FlagSet: flag.NewFlagSet(name, flag.ContinueOnError), getenv: getenv}
	f.SetOutput(stderr)
	stateDir, stateErr := guard.DefaultStateDir()
	p := guard.DefaultPolicy()
	var mode, toolsets, toolList, exclude, origins, audit string
	var obCap, webCap, refreshQuota, reportQuota, sessions, bulk float64
	f.str(&c.Transport, "transport", "BASIQ_MCP_TRANSPORT", "stdio", "stdio, sse (legacy HTTP+SSE at /sse and /message) or http (streamable HTTP at /mcp)")
	f.str(&c.Addr, "addr", "BASIQ_MCP_ADDR", "127.0.0.1:8080", "listen address for sse and http")
	f.str(&c.BaseURL, "base-url", "BASIQ_BASE_URL", basiq.DefaultBaseURL, "Basiq API base URL")
	f.str(&c.LogLevel, "log-level", "BASIQ_MCP_LOG_LEVEL", "info", "debug, info, warn or error; logs go to stderr")
	f.boolean(&c.Sandbox, "sandbox", "BASIQ_MCP_SANDBOX", "use the offline Basiq simulator even when BASIQ_API_KEY is set")
	f.boolean(&c.ReadOnly, "read-only", "BASIQ_MCP_READ_ONLY", "expose read tools only; wins over everything else")
	f.boolean(&c.AllowDestructive, "allow-destructive", "BASIQ_MCP_ALLOW_DESTRUCTIVE", "also expose the purge and delete tools (two-step, confirmed)")
	f.str(&toolsets, "toolsets", "BASIQ_MCP_TOOLSETS", "", "comma-separated toolsets to expose ("+strings.Join(tools.Toolsets(), ", ")+") or all (the default); an HTTP request may narrow it, never widen it")
	f.str(&toolList, "tools", "BASIQ_MCP_TOOLS", "", "comma-separated tool names to expose; empty for all")
	f.str(&exclude, "exclude-tools", "BASIQ_MCP_EXCLUDE_TOOLS", "", "comma-separated tool names to hide")
	f.dur(&c.SandboxIdle, "sandbox-idle", "BASIQ_MCP_SANDBOX_IDLE", 30*time.Minute, "basiq-mcp call keeps one offline simulator across runs; it stops after this long unused")
	f.dur(&c.IdleTTL, "session-idle-ttl", "BASIQ_MCP_SESSION_IDLE_TTL", 30*time.Minute, "drop the state of streamable HTTP sessions idle this long")
	f.str(&c.AuthToken, "auth-token", "BASIQ_MCP_AUTH_TOKEN", "", "bearer token HTTP clients must send; required off loopback (prefer the variable: flags show in ps)")
	f.str(&c.MetricsAddr, "metrics-addr", "BASIQ_MCP_METRICS_ADDR", "", "serve /metrics on this address alone (for a scraper on a private network); empty: /metrics beside MCP, with the same bearer token")
	f.str(&c.OAuthIssuer, "oauth-issuer", "BASIQ_MCP_OAUTH_ISSUER", "", "OAuth 2.1 resource server: accept access tokens (JWT) from this issuer (its OpenID discovery is read at start)")
	f.str(&c.OAuthAudience, "oauth-audience", "BASIQ_MCP_OAUTH_AUDIENCE", "", "this server's resource URI (https://host/mcp), which access tokens must name in aud")
	f.dur(&c.OAuthKeyRefetch, "oauth-key-refetch", "BASIQ_MCP_OAUTH_KEY_REFETCH", 30*time.Second, "least time between two reads of the OAuth issuer's keys (a token naming an unseen key id waits for it); at least 1s")
	f.boolean(&c.OAuthRequireBinding, "oauth-require-binding", "BASIQ_MCP_OAUTH_REQUIRE_BINDING", "refuse access tokens without the basiq_users claim (the customers a token may reach), so none reaches every customer")
	f.num(&refreshQuota, "caller-refreshes-per-hour", "BASIQ_MCP_CALLER_REFRESHES_PER_HOUR", 30, "refreshes one OAuth caller may send per hour, across replicas (0: no quota)")
	f.num(&reportQuota, "caller-reports-per-day", "BASIQ_MCP_CALLER_REPORTS_PER_DAY", 20, "reports one OAuth caller may create per 24 h, across replicas (0: no quota)")
	f.str(&audit, "audit", "BASIQ_MCP_AUDIT", "file", "where the audit goes, comma-separated: file (audit.jsonl in the state directory), stderr, stdout (not with the stdio transport)")
	f.boolean(&c.AuditReads, "audit-reads", "BASIQ_MCP_AUDIT_READS", "also audit reads of customer data: which tool read which customer's data, never the data")
	f.num(&c.ClientRate, "client-rate", "BASIQ_MCP_CLIENT_RATE", -1, "HTTP requests a minute per client address; -1: 600 off loopback, unlimited on it; 0: unlimited")
	f.str(&origins, "allowed-origins", "BASIQ_MCP_ALLOWED_ORIGINS", "", "comma-separated browser origins allowed besides loopback ones")
	f.str(&c.DocsURL, "docs-url", "BASIQ_MCP_DOCS_URL", d.DocsURL, "where Basiq's live documentation is read; off for the embedded guides only")
	f.str(&c.StateDir, "state-dir", "BASIQ_MCP_STATE_DIR", stateDir, "where guard state (state.db) and the audit log (audit.jsonl) live")
	f.str(&c.StateURL, "state-url", "BASIQ_MCP_STATE_URL", "", "redis://HOST:PORT/DB, through Sentinel redis-sentinel://HOST:PORT,HOST:PORT/DB?master=NAME, or a Cluster redis-cluster://HOST:PORT,HOST:PORT: keep guard state in Redis, shared by every replica (default: state.db in --state-dir)")
	f.dur(&c.TriageMaxAge, "triage-max-age", "BASIQ_MCP_TRIAGE_MAX_AGE", 10*time.Minute, "how old a customer's kept triage may be and still answer list_users without asking Basiq (0: always ask Basiq); the background scan renews triage at half this age, and support_queue counts older ones as stale")
	f.dur(&c.EventPoll, "events-poll", "BASIQ_MCP_EVENTS_POLL", time.Minute, "how often to read Basiq's events where no webhook reaches: stdio, or no BASIQ_WEBHOOK_SECRET (0: off)")
	f.dur(&c.BackgroundDelay, "background-delay", "BASIQ_MCP_BACKGROUND_DELAY", 30*time.Second, "how long after start the indexer and the event poller begin (replicas starting together do not all ask Basiq at once)")
	f.num(&c.ReadBudget, "read-budget", "BASIQ_MCP_READ_BUDGET", 10, "Basiq read requests a second (refreshes apart, which --refresh-budget bounds) this deployment allows itself; the background scan takes a share of what callers leave")
	f.num(&c.IndexShare, "index-share", "BASIQ_MCP_INDEX_SHARE", 0.1, "the most of --read-budget the background scan that keeps the support queue's index fresh may take, 0 (off) to 0.5; it takes less while callers read")
	f.dur(&c.ShutdownDelay, "shutdown-delay", "BASIQ_MCP_SHUTDOWN_DELAY", 5*time.Second, "on SIGTERM, how long /readyz answers 503 while the server still serves, so load balancers stop sending first")
	f.dur(&c.ShutdownTimeout, "shutdown-timeout", "BASIQ_MCP_SHUTDOWN_TIMEOUT", 20*time.Second, "then how long calls in flight may finish before the server stops (inside Kubernetes' usual 30 s grace)")
	f.boolean(&c.ReadyRequiresStore, "ready-requires-store", "BASIQ_MCP_READY_REQUIRES_STORE", "/readyz fails while the guard store does not answer (by default it stays ready: reads still work, writes are refused)")
	f.num(&sessions, "sessions-per-client", "BASIQ_MCP_SESSIONS_PER_CLIENT", -1, "streamable HTTP sessions one OAuth caller, or one client address, may hold open (past it the least recently used one ends); -1: 32 off loopback or under OAuth, no cap for loopback addresses")
	f.str(&c.StatePrefix, "state-prefix", "BASIQ_MCP_STATE_PREFIX", "", "this deployment's namespace in a shared Redis (letters, digits, - _ .); empty: a hash of the Basiq API key and base URL, so two deployments never share state")
	f.str(&mode, "refresh-mode", "BASIQ_MCP_REFRESH_MODE", string(p.Mode), "enforce, shadow (log what would be refused, allow it) or off")
	f.dur(&c.Policy.Cooldown, "refresh-cooldown", "BASIQ_MCP_REFRESH_COOLDOWN", p.Cooldown, "minimum time between refreshes of one connection")
	f.num(&obCap, "refresh-daily-cap-open-banking", "BASIQ_MCP_REFRESH_DAILY_CAP_OPEN_BANKING", float64(p.DailyCapOpenBanking), "refreshes per Open Banking connection per 24 h")
	f.num(&webCap, "refresh-daily-cap-web", "BASIQ_MCP_REFRESH_DAILY_CAP_WEB", float64(p.DailyCapWeb), "refreshes per web connection per 24 h")
	f.num(&bulk, "refresh-bulk-customers", "BASIQ_MCP_REFRESH_BULK_CUSTOMERS", float64(p.BulkCustomers), "distinct customers one caller (or session) may refresh within --refresh-bulk-window; one more is a bulk refresh, refused (0: off)")
	f.dur(&c.Policy.BulkWindow, "refresh-bulk-window", "BASIQ_MCP_REFRESH_BULK_WINDOW", p.BulkWindow, "the window of the bulk-refresh rule")
	f.num(&c.Policy.BudgetPerMinute, "refresh-budget", "BASIQ_MCP_REFRESH_BUDGET", p.BudgetPerMinute, "refreshes per minute across the whole server")
	f.Usage = func() {
		fmt.Fprint(stderr, d.Usage+"\nThe API key comes from BASIQ_API_KEY only. BASIQ_MCP_CONFIRM_KEY (32 random bytes or more, hex or base64),\nwhen set, seals confirmations across restarts and replicas.\n\nFlags:\n")
		f.PrintDefaults()
	}
	if err := f.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, nil, 0
		}
		return c, nil, 2
	}
	c.Toolsets, c.Tools, c.ExcludeTools, c.AllowedOrigins = List(toolsets), List(toolList), List(exclude), List(origins)
	c.Audit = List(audit)
	c.CallerRefreshesPerHour, c.CallerReportsPerDay = int(refreshQuota), int(reportQuota)
	c.SessionsPerClient = int(sessions)
	if c.SessionsPerClient < 1 && c.SessionsPerClient != -1 {
		f.bad = append(f.bad, "--sessions-per-client must be at least 1, or -1 for the default")
	}
	c.WebhookSecret = getenv("BASIQ_WEBHOOK_SECRET")
	if c.WebhookSecret != "" && c.Transport != "stdio" {
		c.EventPoll = 0 // webhooks bring the events (no webhook reaches stdio)
	}
	key, err := guard.ParseConfirmKey(getenv("BASIQ_MCP_CONFIRM_KEY"))
	if err != nil {
		f.bad = append(f.bad, err.Error())
	}
	c.ConfirmKey = key
	c.Policy.Mode, c.Policy.DailyCapOpenBanking, c.Policy.DailyCapWeb = guard.Mode(mode), int(obCap), int(webCap)
	c.Policy.BudgetBurst = max(1, int(c.Policy.BudgetPerMinute))
	c.Policy.BulkCustomers = int(bulk)
	if c.Policy.BulkCustomers < 0 || c.Policy.BulkCustomers > 0 && c.Policy.BulkWindow <= 0 {
		f.bad = append(f.bad, "--refresh-bulk-customers must be 0 (off) or more, with a --refresh-bulk-window above 0")
	}
	if err := c.check(f.bad, stateErr); err != nil {
		fmt.Fprintf(stderr, "basiq-mcp: %v\n", err)
		return c, nil, 2
	}
	return c, f.Args(), -1
}

// check refuses what the server cannot run safely with.
func (c Config) check(bad []string, stateErr error) error {
	switch {
	case len(bad) > 0:
		return errors.New(strings.Join(bad, "; "))
	case c.Transport != "stdio" && c.Transport != "sse" && c.Transport != "http":
		return fmt.Errorf("--transport must be stdio, sse or http, not %q", c.Transport)
	case c.Policy.Mode != guard.Enforce && c.Policy.Mode != guard.Shadow && c.Policy.Mode != guard.Off:
		return fmt.Errorf("--refresh-mode must be enforce, shadow or off, not %q", c.Policy.Mode)
	case slices.ContainsFunc(c.Audit, func(s string) bool { return !slices.Contains(guard.AuditSinks, s) }):
		return fmt.Errorf("--audit takes %s, comma-separated, not %q", strings.Join(guard.AuditSinks, ", "), strings.Join(c.Audit, ","))
	case (c.OAuthIssuer == "") != (c.OAuthAudience == ""):
		return errors.New("--oauth-issuer and --oauth-audience go together: set both, or neither")
	case c.OAuthIssuer != "" && c.AuthToken != "":
		return errors.New("--oauth-issuer and --auth-token are two ways to authenticate callers: choose one")
	case c.BackgroundDelay < 0:
		return errors.New("--background-delay cannot be negative")
	case c.IndexShare < 0 || c.IndexShare > 0.5:
		return errors.New("--index-share takes 0 (off) to 0.5: callers come first in the read budget")
	case c.ReadBudget <= 0 || c.ReadBudget > 100:
		return errors.New("--read-budget takes more than 0 and at most 100 requests a second: Basiq's rate limits are shared by every caller")
	case c.ReadBudget*c.IndexShare > 20:
		return errors.New("--read-budget times --index-share is the scan's pace: at most 20 requests a second")
	case c.OAuthKeyRefetch < time.Second:
		return errors.New("--oauth-key-refetch must be at least 1s: each read of the issuer's keys is a request to it")
	case c.OAuthRequireBinding && c.OAuthIssuer == "":
		return errors.New("--oauth-require-binding needs --oauth-issuer: only OAuth tokens carry the basiq_users claim")
	case c.StatePrefix != "" && !validPrefix(c.StatePrefix):
		return fmt.Errorf("--state-prefix takes 1 to 64 letters, digits, '-', '_' or '.', not %q", c.StatePrefix)
	case c.OAuthIssuer != "" && c.Transport == "stdio":
		return errors.New("--oauth-issuer protects the sse and http transports; stdio has no callers to authenticate")
	case c.MetricsAddr != "" && c.Transport == "stdio":
		return errors.New("--metrics-addr serves the metrics of the sse and http transports; with stdio there is no server to scrape")
	case slices.Contains(c.Audit, "stdout") && c.Transport == "stdio":
		return errors.New("--audit stdout cannot share stdout with the stdio transport (it carries JSON-RPC); use stderr")
	case c.StateDir == "":
		return fmt.Errorf("no state directory: %v (set --state-dir or BASIQ_MCP_STATE_DIR)", stateErr)
	}
	return nil
}

func validPrefix(s string) bool {
	if len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// List splits a comma-separated setting, dropping empty items.
func List(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// ParseBool reads a switch: 1/0, true/false, yes/no or on/off, in any case.
// Anything else is an error, so a typo never silently means "off".
func ParseBool(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "yes", "on":
		return true, nil
	case "0", "false", "no", "off":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a switch value: use 1/0, true/false, yes/no or on/off", v)
}

// flags defines flags whose defaults come from environment variables, and
// says so in --help. A variable that cannot be read is collected in bad.
type flags struct {
	*flag.FlagSet
	getenv func(string) string
	bad    []string
}

func (f *flags) env(name, fallback string) string {
	if v := f.getenv(name); v != "" {
		return v
	}
	return fallback
}

func (f *flags) str(p *string, name, env, def, usage string) {
	f.StringVar(p, name, f.env(env, def), usage+" (env "+env+")")
}

func (f *flags) boolean(p *bool, name, env, usage string) {
	if v := f.getenv(env); v != "" {
		b, err := ParseBool(v)
		if err != nil {
			f.bad = append(f.bad, env+"="+err.Error())
		}
		*p = b
	}
	f.Var((*switchValue)(p), name, usage+" (env "+env+")")
}

func (f *flags) num(p *float64, name, env string, def float64, usage string) {
	if v, err := strconv.ParseFloat(f.env(env, fmt.Sprint(def)), 64); err == nil {
		def = v
	} else {
		f.bad = append(f.bad, env+" is not a number")
	}
	f.Float64Var(p, name, def, usage+" (env "+env+")")
}

func (f *flags) dur(p *time.Duration, name, env string, def time.Duration, usage string) {
	if v, err := time.ParseDuration(f.env(env, def.String())); err == nil {
		def = v
	} else {
		f.bad = append(f.bad, env+" is not a duration such as 90s or 1h")
	}
	f.DurationVar(p, name, def, usage+" (env "+env+")")
}

// switchValue is a boolean flag read with ParseBool.
type switchValue bool

func (s *switchValue) String() string   { return strconv.FormatBool(bool(*s)) }
func (s *switchValue) IsBoolFlag() bool { return true }
func (s *switchValue) Set(v string) error {
	b, err := ParseBool(v)
	*s = switchValue(b)
	return err
}
