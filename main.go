// Command basiq-mcp is an MCP server for the Basiq open-banking API. This
// file only wires the configuration to a logger, a Basiq client (or the
// offline simulator), the guards, the MCP server and a transport.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/basiq/basiqtest"
	"github.com/basiq-mcp/basiq-mcp/prompts"
	"github.com/basiq-mcp/basiq-mcp/resources"
	"github.com/basiq-mcp/basiq-mcp/tools"
	"github.com/basiq-mcp/basiq-mcp/tools/config"
	"github.com/basiq-mcp/basiq-mcp/tools/guard"
	"github.com/basiq-mcp/basiq-mcp/tools/hosting"
	"github.com/basiq-mcp/basiq-mcp/tools/logbatch"
	"github.com/basiq-mcp/basiq-mcp/tools/metrics"
	stdiox "github.com/basiq-mcp/basiq-mcp/tools/stdio"
	"github.com/basiq-mcp/basiq-mcp/tools/telemetry"
	"github.com/lmittmann/tint"
	"github.com/mark3labs/mcp-go/server"
)

// version is the release tag, set by .ci/release (-ldflags "-X
// main.version=v1.2.3"); unset, config.Version finds what the go command
// stamped ("dev" and the commit for an untagged build).
var version string

const usage = `basiq-mcp: an MCP server for the Basiq open-banking API.

Usage:
  basiq-mcp [flags]                  serve MCP (stdio by default)
  basiq-mcp tools [flags]            list the tools, one line each
  basiq-mcp call [flags] TOOL [JSON] call one tool and print its result
  basiq-mcp simulator [flags]        run the offline Basiq API simulator over HTTP
  basiq-mcp webhooks subscribe URL   subscribe URL (this server's /webhooks/basiq) to Basiq's events
  basiq-mcp index add [FILE]         add customers to the support queue's index by user id, one a line
  basiq-mcp --version                print the version

With no BASIQ_API_KEY in the environment, basiq-mcp uses the offline simulator.
Run "basiq-mcp --help" or "basiq-mcp simulator --help" for flags.
`

func main() {
	version = config.Version(version)
	config.TuneGC()
	if runtime.GOMAXPROCS(0) > 1 {
		go tools.WarmSchemas() // on the other core while the rest starts; on one core it would only repeat the start's work
	}
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	if cmd == "version" || cmd == "serve" && len(args) == 1 && (args[0] == "--version" || args[0] == "-version") {
		fmt.Fprintln(stdout, "basiq-mcp", version)
		return 0
	}
	switch cmd {
	case "serve", "tools", "call", "webhooks", "index":
		return serve(cmd, args, stdin, stdout, stderr)
	case "simulator":
		return runSimulator(args, stderr)
	case "help":
		fmt.Fprint(stderr, usage)
		return 0
	}
	fmt.Fprintf(stderr, "basiq-mcp: unknown command %q\n\n%s", cmd, usage)
	return 2
}

// newLogger writes through tint to w (stderr): colour only on a terminal and
// never when NO_COLOR is set.
func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log level %q: use debug, info, warn or error", level)
	}
	color := logbatch.IsTerminal(w) && os.Getenv("NO_COLOR") == ""
	return slog.New(tint.NewTextHandler(w, &tint.Options{Level: lvl, NoColor: !color, TimeFormat: time.TimeOnly})), nil
}

// backend returns the Basiq client: the real API when BASIQ_API_KEY is set
// (and --sandbox is not), otherwise the simulator started on loopback. A
// store that can share the server token (Redis) shares it.
// The simulator's URL is returned too ("" for the real API). "basiq-mcp
// call" shares one simulator across runs (basiqtest.Shared), so a user one
// call creates is there for the next.
func backend(c config.Config, cmd string, logger *slog.Logger, store guard.Store, m *metrics.Metrics, tel *telemetry.Telemetry, reads *tools.ReadMeter) (*basiq.Client, string, func(), error) {
	key := strings.TrimSpace(os.Getenv("BASIQ_API_KEY"))
	if strings.HasPrefix(key, "${") && strings.HasSuffix(key, "}") {
		// A client left its setting's placeholder in (a desktop bundle
		// whose key was left empty): no key was given.
		logger.Warn("BASIQ_API_KEY holds an unfilled placeholder, not a key; using the offline simulator. Set the key in the client's settings for this server")
		key = ""
	}
	var observe []basiq.Option
	if m != nil {
		observe = append(observe, basiq.WithObserver(m.Upstream))
	}
	if tel != nil {
		observe = append(observe, basiq.WithContextObserver(tel.Exchange))
	}
	observe = append(observe, basiq.WithContextObserver(reads.Observe)) // the background scan leaves callers their reads
	if key != "" && !c.Sandbox {
		opts := append([]basiq.Option{basiq.WithBaseURL(c.BaseURL), basiq.WithLogger(logger), basiq.WithUserAgent("basiq-mcp/" + version)}, observe...)
		if shared, ok := store.(basiq.SharedTokens); ok {
			opts = append(opts, basiq.WithSharedTokens(shared))
		}
		if shared, ok := store.(basiq.SharedBreaker); ok {
			opts = append(opts, basiq.WithSharedBreaker(shared))
		}
		client, err := basiq.NewClient(key, opts...)
		return client, "", func() {}, err
	}
	url, key, stop, err := "", "sandbox", func() {}, error(nil)
	if exe, xerr := os.Executable(); cmd == "call" && xerr == nil {
		url, key, err = basiqtest.Shared(filepath.Join(c.StateDir, "sandbox"), exe, c.SandboxIdle)
	} else {
		url, stop, err = basiqtest.Start(basiqtest.WithTimeScale(0.2))
	}
	if err != nil {
		return nil, "", nil, err
	}
	logger.Info("sandbox: using the offline Basiq simulator (no BASIQ_API_KEY, or --sandbox); no real bank data", "url", url)
	client, err := basiq.NewClient(key, append([]basiq.Option{basiq.WithBaseURL(url), basiq.WithLogger(logger)}, observe...)...)
	return client, url, stop, err
}

// tenant is the deployment's namespace in a shared store: --state-prefix,
// else a hash of the API key and base URL (the simulator is one tenant).
func tenant(c config.Config) guard.Tenant {
	key := strings.TrimSpace(os.Getenv("BASIQ_API_KEY"))
	if key == "" || c.Sandbox {
		return guard.TenantFor("sandbox", "sandbox", c.StatePrefix)
	}
	return guard.TenantFor(key, c.BaseURL, c.StatePrefix)
}

// searchDocs adapts the guides' search to the tool (tools and resources do
// not import each other).
func searchDocs(query string, limit int) []tools.DocHit {
	var out []tools.DocHit
	for _, h := range resources.Search(query, limit) {
		out = append(out, tools.DocHit{URI: h.URI, Title: h.Title, Section: h.Section, Snippet: h.Snippet})
	}
	return out
}

// app is what a configuration assembles into.
type app struct {
	server  *server.MCPServer
	guards  *guard.Guards
	client  *basiq.Client
	metrics *metrics.Metrics // nil unless serving HTTP
	deps    *tools.Deps
	changes *guard.Changes   // customers an event changed, said to every replica
	follow  func(string)     // hears of them: resource subscribers
	reads   *tools.ReadMeter // callers' Basiq reads, which the background scan leaves room for
	stop    func()
}

// assemble builds everything a configuration describes: the Basiq client,
// the guards, and the MCP server with its tools, resources and prompts.
// serve and the tools/call commands all run on what it returns. m, when
// set, is fed by the client, the guards, the tools and the sessions.
func assemble(c config.Config, cmd string, logger *slog.Logger, m *metrics.Metrics, tel *telemetry.Telemetry, stdout, stderr io.Writer) (*app, error) {
	store, err := guard.OpenStore(c.StateURL, filepath.Join(c.StateDir, "state.db"), tenant(c))
	if err != nil {
		return nil, err
	}
	reads := tools.NewReadMeter()
	client, simURL, stopBackend, err := backend(c, cmd, logger, store, m, tel, reads)
	if err != nil {
		store.Close()
		return nil, err
	}
	g, err := guard.New(client, store, guard.Options{StateDir: c.StateDir, ConfirmKey: c.ConfirmKey, Policy: c.Policy, Log: logger,
		AuditTo: c.Audit, Stdout: stdout, Stderr: stderr, CallerRefreshesPerHour: c.CallerRefreshesPerHour, CallerReportsPerDay: c.CallerReportsPerDay})
	if err != nil {
		stopBackend()
		return nil, err
	}
	abandon := func() { // a write still unanswered when the process stops is written down as unknown
		if n := g.Audit.Abandon(); n > 0 {
			logger.Warn("writes in flight when the server stopped are recorded as unknown in the audit", "writes", n)
		}
	}
	a := &app{guards: g, client: client, metrics: m, reads: reads, stop: func() { abandon(); g.Close(); stopBackend() }}
	access := guard.NewAccess(&guard.BasiqOwners{Client: client})
	queue := func(ctx context.Context) (any, error) { return tools.SupportQueue(ctx, a.deps) } // a.deps is set below, before serving
	res, err := resources.New(resources.Options{Client: client, LiveDocsURL: c.DocsURL, Access: access, Audit: g.Audit, AuditReads: c.AuditReads, SupportQueue: queue, AppsClient: tools.AppsClient})
	if err != nil {
		a.stop()
		return nil, err
	}
	hooks := &server.Hooks{}
	a.server = server.NewMCPServer("basiq-mcp", version, server.WithToolCapabilities(false),
		server.WithRecovery(), server.WithResourceRecovery(), server.WithLogging(), server.WithHooks(hooks),
		server.WithResourceCapabilities(true, false), server.WithPromptCapabilities(false), server.WithCompletions(),
		server.WithResourceCompletionProvider(res.Completer()), server.WithPromptCompletionProvider(res.Completer()))
	var watchers []func(context.Context, guard.Decision)
	var wrap []server.ToolHandlerMiddleware // around each tool's handler, registered with it
	if m != nil {
		m.Sessions(hooks)
		m.Breaker(client)
		watchers = append(watchers, func(_ context.Context, d guard.Decision) { m.Decision(d) })
		wrap = append(wrap, m.Tools)
	}
	if tel != nil {
		tel.Sessions(hooks)
		watchers = append(watchers, tel.Decision)
		wrap = append(wrap, tel.Tools)
		server.WithResourceHandlerMiddleware(tel.Resources)(a.server)
	}
	g.Governor.Watch(func(ctx context.Context, d guard.Decision) {
		for _, w := range watchers {
			w(ctx, d)
		}
	})
	res.Register(a.server, hooks)
	a.changes, a.follow = guard.NewChanges(g.Store), res.CustomerChanged
	announce := func(id string) {
		if err := a.changes.Announce(id); err != nil {
			logger.Warn("a changed customer could not be announced to the other replicas", "error", err)
		}
	}
	if a.deps, err = registerTools(a.server, c, client, g, access, announce, simURL, logger, wrap); err != nil {
		a.stop()
		return nil, err
	}
	if c.Policy.Mode != guard.Enforce {
		logger.Warn("refresh guardrails are not enforced", "mode", c.Policy.Mode)
	}
	if err := store.Ping(); err != nil {
		logger.Warn("the guard store is not answering: reads work, writes and refreshes are refused until it does", "store", store.Kind(), "error", err)
	}
	return a, nil
}

// registerTools adds the tools the configuration lists, the instructions
// written from them, and the prompts whose tools are all listed.
func registerTools(s *server.MCPServer, c config.Config, client *basiq.Client, g *guard.Guards, access *guard.Access, changed func(string), simURL string, logger *slog.Logger, wrap []server.ToolHandlerMiddleware) (*tools.Deps, error) {
	deps := &tools.Deps{Client: client, Log: logger, Governor: g.Governor, Confirm: g.Confirm, Idem: g.Idem, Audit: g.Audit, AuditReads: c.AuditReads,
		ReportQuota: g.Reports, Users: g.Users, SearchDocs: searchDocs, Access: access, TriageMaxAge: c.TriageMaxAge, CustomerChanged: changed}
	if simURL != "" {
		deps.SandboxConsent, deps.SimulatorURL = tools.SimulatorConsent(client, simURL), simURL
	}
	o := c.ToolOptions()
	o.Wrap = wrap
	listed, err := tools.Register(s, deps, o)
	if err != nil {
		return nil, err
	}
	server.WithInstructions(tools.Instructions(listed, simURL != ""))(s)
	prompts.Register(s, func(name string) bool {
		return slices.ContainsFunc(listed, func(t tools.Tool) bool { return t.Def.Name == name })
	}, access)
	return deps, nil
}

// serve runs the server over its transport, or, for "tools" and "call",
// through an in-process MCP client, so people see what a model sees.
func serve(cmd string, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	name := "basiq-mcp"
	if cmd != "serve" {
		name += " " + cmd
	}
	c, rest, code := config.Parse(name, args, os.Getenv, config.Defaults{DocsURL: resources.DefaultLiveDocsURL, Usage: usage}, stderr)
	if code >= 0 {
		return code
	}
	level := c.LogLevel
	if cmd != "serve" && os.Getenv("BASIQ_MCP_LOG_LEVEL") == "" {
		level = "warn" // a command's output is its result
	}
	// Lines are batched unless a person reads them on a terminal (logbatch).
	logOut, flushLog := logbatch.ForLog(stderr, 10*time.Millisecond)
	defer flushLog()
	logger, err := newLogger(logOut, level)
	if err != nil {
		fmt.Fprintln(stderr, "basiq-mcp:", err)
		return 2
	}
	guard.RouteRedisLogs(logger)
	var m *metrics.Metrics
	if cmd == "serve" && c.Transport != "stdio" {
		m = metrics.New()
	}
	if cmd != "serve" && slices.Contains(c.Audit, "stdout") {
		fmt.Fprintf(stderr, "basiq-mcp: --audit stdout cannot share stdout with the %s command's output; use stderr\n", cmd)
		return 2
	}
	tel, stopTelemetry, err := telemetry.FromEnvironment(context.Background(), version, os.Getenv)
	if err != nil {
		fmt.Fprintln(stderr, "basiq-mcp: OpenTelemetry:", err)
		return 2
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := stopTelemetry(ctx); err != nil {
			logger.Warn("OpenTelemetry: what was buffered could not all be exported", "error", err)
		}
	}()
	a, err := assemble(c, cmd, logger, m, tel, stdout, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "basiq-mcp: cannot start:", err)
		return 1
	}
	defer a.stop()
	s := a.server
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	if cmd != "serve" {
		return tools.RunCLI(ctx, s, a.deps, cmd, rest, stdin, stdout, stderr)
	}
	a.changes.Follow(ctx, a.follow)
	pace := tools.Pace{Budget: c.ReadBudget, Share: c.IndexShare, Others: a.reads.Rate}
	background := tools.Background{Pace: pace, PollEvents: c.EventPoll, StartAfter: c.BackgroundDelay}
	if c.Transport == "stdio" {
		// The support queue reads the index, so an editor's process keeps
		// it too; a lease in the store lets one process of many scan.
		go tools.RunBackground(ctx, a.deps, background)
		if err := stdiox.Serve(ctx, s, stdiox.Pollable(stdin), stdiox.PollableWriter(stdout), logger, a.deps.DirectTool(s)); err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, io.EOF) {
			logger.Error("stdio transport", "error", err)
			return 1
		}
		return 0
	}
	go tools.RunBackground(ctx, a.deps, background)
	return hosting.Serve(ctx, s, hosting.Options{
		Transport: c.Transport, Addr: c.Addr, AuthToken: c.AuthToken, AllowedOrigins: c.AllowedOrigins,
		OAuth:      hosting.OAuthOptions{Issuer: c.OAuthIssuer, Audience: c.OAuthAudience, Scopes: tools.Scopes, RequireBinding: c.OAuthRequireBinding, KeyRefetch: c.OAuthKeyRefetch},
		ClientRate: c.ClientRate, IdleTTL: c.IdleTTL, SessionsPerClient: c.SessionsPerClient, Direct: a.deps.DirectTool(s),
		Metrics: a.metrics.Handler(), MetricsAddr: c.MetricsAddr, Store: a.guards.Store, Client: a.client,
		Info: map[string]any{"version": version, "transport": c.Transport}, Log: logger, WebhookSecret: c.WebhookSecret, Deliveries: a.guards.Deliveries,
		ApplyEvent:    func(ctx context.Context, id string) error { return tools.ApplyEvent(ctx, a.deps, id) },
		ShutdownDelay: c.ShutdownDelay, ShutdownTimeout: c.ShutdownTimeout, ReadyRequiresStore: c.ReadyRequiresStore,
	})
}

// runSimulator serves the Basiq simulator until SIGINT or SIGTERM.
func runSimulator(args []string, stderr io.Writer) int {
	return basiqtest.Command(args, stderr, func(level string) (*slog.Logger, error) { return newLogger(stderr, level) })
}
