// Command basiq-mcp is an MCP server for the Basiq open-banking API. This
// file only wires flags and environment to a logger, a Basiq client (or the
// offline simulator), the MCP server and a transport.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/basiq/basiqtest"
	"github.com/basiq-mcp/basiq-mcp/prompts"
	"github.com/basiq-mcp/basiq-mcp/resources"
	"github.com/basiq-mcp/basiq-mcp/tools"
	"github.com/basiq-mcp/basiq-mcp/tools/guard"
	"github.com/lmittmann/tint"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

const version = "0.1.0"

const usage = `basiq-mcp: an MCP server for the Basiq open-banking API.

Usage:
  basiq-mcp [flags]                  serve MCP (stdio by default)
  basiq-mcp tools [flags]            list the tools, one line each
  basiq-mcp call [flags] TOOL [JSON] call one tool and print its result
  basiq-mcp simulator [flags]        run the offline Basiq API simulator over HTTP

With no BASIQ_API_KEY in the environment, basiq-mcp uses the offline simulator.
Run "basiq-mcp --help" or "basiq-mcp simulator --help" for flags.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(args, stdin, stdout, stderr)
	case "tools", "call":
		return cli(cmd, args, stdout, stderr)
	case "simulator":
		return runSimulator(args, stderr)
	case "help":
		fmt.Fprint(stderr, usage)
		return 0
	}
	fmt.Fprintf(stderr, "basiq-mcp: unknown command %q\n\n%s", cmd, usage)
	return 2
}

// config is everything the server reads from flags and the environment.
// The API key is read from the environment only, never from a flag.
type config struct {
	transport, addr, baseURL, logLevel, stateDir, mode string
	docsURL, authToken, origins                        string
	clientRate                                         float64
	sandbox, readOnly, allowDestructive                bool
	idleTTL                                            time.Duration
	policy                                             guard.Policy
	toolsets, tools, exclude                           string
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

func envBool(name string) bool {
	v := strings.ToLower(os.Getenv(name))
	return v == "1" || v == "true" || v == "yes"
}

// flags defines flags whose defaults come from environment variables, and
// says so in --help. A malformed variable is reported, not ignored.
type flags struct {
	*flag.FlagSet
	bad []string
}

func (f *flags) str(p *string, name, env, def, usage string) {
	f.StringVar(p, name, envOr(env, def), usage+" (env "+env+")")
}

func (f *flags) boolean(p *bool, name, env, usage string) {
	f.BoolVar(p, name, envBool(env), usage+" (env "+env+")")
}

func (f *flags) num(p *float64, name, env string, def float64, usage string) {
	if v, err := strconv.ParseFloat(envOr(env, fmt.Sprint(def)), 64); err == nil {
		def = v
	} else {
		f.bad = append(f.bad, env)
	}
	f.Float64Var(p, name, def, usage+" (env "+env+")")
}

func (f *flags) dur(p *time.Duration, name, env string, def time.Duration, usage string) {
	if v, err := time.ParseDuration(envOr(env, def.String())); err == nil {
		def = v
	} else {
		f.bad = append(f.bad, env)
	}
	f.DurationVar(p, name, def, usage+" (env "+env+")")
}

// parseConfig reads the server flags; it returns the remaining arguments
// and, when the program should stop, an exit code (else -1).
func parseConfig(name string, args []string, stderr io.Writer) (config, []string, int) {
	var c config
	f := &flags{FlagSet: flag.NewFlagSet(name, flag.ContinueOnError)}
	f.SetOutput(stderr)
	stateDir, _ := guard.DefaultStateDir()
	p := guard.DefaultPolicy()
	var obCap, webCap float64
	f.str(&c.transport, "transport", "BASIQ_MCP_TRANSPORT", "stdio", "stdio, sse (legacy HTTP+SSE at /sse and /message) or http (streamable HTTP at /mcp)")
	f.str(&c.addr, "addr", "BASIQ_MCP_ADDR", "127.0.0.1:8080", "listen address for sse and http")
	f.str(&c.baseURL, "base-url", "BASIQ_BASE_URL", basiq.DefaultBaseURL, "Basiq API base URL")
	f.str(&c.logLevel, "log-level", "BASIQ_MCP_LOG_LEVEL", "info", "debug, info, warn or error; logs go to stderr")
	f.boolean(&c.sandbox, "sandbox", "BASIQ_MCP_SANDBOX", "use the offline Basiq simulator even when BASIQ_API_KEY is set")
	f.boolean(&c.readOnly, "read-only", "BASIQ_MCP_READ_ONLY", "expose read tools only; wins over everything else")
	f.boolean(&c.allowDestructive, "allow-destructive", "BASIQ_MCP_ALLOW_DESTRUCTIVE", "also expose the purge and delete tools (two-step, confirmed)")
	f.str(&c.toolsets, "toolsets", "BASIQ_MCP_TOOLSETS", "", "comma-separated toolsets to expose (users, connections, jobs, connectors, data, reports, consents, docs), all, or default; empty lists the default five and lets a session add the others with enable_toolset")
	f.str(&c.tools, "tools", "BASIQ_MCP_TOOLS", "", "comma-separated tool names to expose; empty for all")
	f.str(&c.exclude, "exclude-tools", "BASIQ_MCP_EXCLUDE_TOOLS", "", "comma-separated tool names to hide")
	f.dur(&c.idleTTL, "session-idle-ttl", "BASIQ_MCP_SESSION_IDLE_TTL", 30*time.Minute, "drop the state of streamable HTTP sessions idle this long")
	f.str(&c.authToken, "auth-token", "BASIQ_MCP_AUTH_TOKEN", "", "bearer token HTTP clients must send; required off loopback (prefer the variable: flags show in ps)")
	f.num(&c.clientRate, "client-rate", "BASIQ_MCP_CLIENT_RATE", -1, "HTTP requests a minute per client address; -1: 600 off loopback, unlimited on it; 0: unlimited")
	f.str(&c.origins, "allowed-origins", "BASIQ_MCP_ALLOWED_ORIGINS", "", "comma-separated browser origins allowed besides loopback ones")
	f.str(&c.docsURL, "docs-url", "BASIQ_MCP_DOCS_URL", resources.DefaultLiveDocsURL, "where Basiq's live documentation is read; off for the embedded guides only")
	f.str(&c.stateDir, "state-dir", "BASIQ_MCP_STATE_DIR", stateDir, "where guard state (state.db) and the audit log (audit.jsonl) live")
	f.str(&c.mode, "refresh-mode", "BASIQ_MCP_REFRESH_MODE", string(p.Mode), "enforce, shadow (log what would be refused, allow it) or off")
	f.dur(&c.policy.Cooldown, "refresh-cooldown", "BASIQ_MCP_REFRESH_COOLDOWN", p.Cooldown, "minimum time between refreshes of one connection")
	f.num(&obCap, "refresh-daily-cap-open-banking", "BASIQ_MCP_REFRESH_DAILY_CAP_OPEN_BANKING", float64(p.DailyCapOpenBanking), "refreshes per Open Banking connection per 24 h")
	f.num(&webCap, "refresh-daily-cap-web", "BASIQ_MCP_REFRESH_DAILY_CAP_WEB", float64(p.DailyCapWeb), "refreshes per web connection per 24 h")
	f.num(&c.policy.BudgetPerMinute, "refresh-budget", "BASIQ_MCP_REFRESH_BUDGET", p.BudgetPerMinute, "refreshes per minute across the whole server")
	f.Usage = func() {
		fmt.Fprint(stderr, usage+"\nThe API key comes from BASIQ_API_KEY only. BASIQ_MCP_CONFIRM_KEY, when set, seals confirmations across restarts.\n\nFlags:\n")
		f.PrintDefaults()
	}
	if err := f.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, nil, 0
		}
		return c, nil, 2
	}
	c.policy.Mode, c.policy.DailyCapOpenBanking, c.policy.DailyCapWeb = guard.Mode(c.mode), int(obCap), int(webCap)
	c.policy.BudgetBurst = max(1, int(c.policy.BudgetPerMinute))
	switch {
	case len(f.bad) > 0:
		fmt.Fprintf(stderr, "basiq-mcp: cannot read %s\n", strings.Join(f.bad, ", "))
	case c.transport != "stdio" && c.transport != "sse" && c.transport != "http":
		fmt.Fprintf(stderr, "basiq-mcp: --transport must be stdio, sse or http, not %q\n", c.transport)
	case c.policy.Mode != guard.Enforce && c.policy.Mode != guard.Shadow && c.policy.Mode != guard.Off:
		fmt.Fprintf(stderr, "basiq-mcp: --refresh-mode must be enforce, shadow or off, not %q\n", c.mode)
	default:
		return c, f.Args(), -1
	}
	return c, nil, 2
}

func list(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// newLogger writes through tint to w (stderr): colour only on a terminal and
// never when NO_COLOR is set.
func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log level %q: use debug, info, warn or error", level)
	}
	color := false
	if f, ok := w.(*os.File); ok && os.Getenv("NO_COLOR") == "" {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			color = true
		}
	}
	return slog.New(tint.NewHandler(w, &tint.Options{Level: lvl, NoColor: !color, TimeFormat: time.TimeOnly})), nil
}

// backend returns the Basiq client: the real API when BASIQ_API_KEY is set
// (and --sandbox is not), otherwise the simulator started on loopback.
func backend(c config, logger *slog.Logger) (*basiq.Client, func(), error) {
	key := strings.TrimSpace(os.Getenv("BASIQ_API_KEY"))
	if key != "" && !c.sandbox {
		client, err := basiq.NewClient(key, basiq.WithBaseURL(c.baseURL), basiq.WithLogger(logger), basiq.WithUserAgent("basiq-mcp/"+version))
		return client, func() {}, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	sim := &http.Server{Handler: basiqtest.New(basiqtest.WithTimeScale(0.2)), ReadHeaderTimeout: 10 * time.Second}
	go sim.Serve(ln)
	url := "http://" + ln.Addr().String()
	reason := "no BASIQ_API_KEY is set"
	if c.sandbox {
		reason = "--sandbox"
	}
	logger.Info("sandbox: using the offline Basiq simulator ("+reason+"); no real bank data", "url", url)
	client, err := basiq.NewClient("sandbox", basiq.WithBaseURL(url), basiq.WithLogger(logger))
	return client, func() { sim.Close() }, err
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

// newServer builds the MCP server with the tools the config allows and the
// guards they need.
func newServer(c config, client *basiq.Client, logger *slog.Logger) (*server.MCPServer, func(), error) {
	g, err := guard.Open(c.stateDir, client, c.policy, []byte(os.Getenv("BASIQ_MCP_CONFIRM_KEY")), logger)
	if err != nil {
		return nil, nil, err
	}
	res, err := resources.New(resources.Options{Client: client, Log: logger, LiveDocsURL: c.docsURL})
	if err != nil {
		g.Close()
		return nil, nil, err
	}
	s := server.NewMCPServer("basiq-mcp", version, server.WithToolCapabilities(false), server.WithInstructions(tools.Instructions),
		server.WithRecovery(), server.WithLogging(), server.WithElicitation(),
		server.WithResourceCapabilities(false, false), server.WithPromptCapabilities(false), server.WithCompletions(),
		server.WithResourceCompletionProvider(res.Completer()), server.WithPromptCompletionProvider(res.Completer()))
	res.Register(s)
	prompts.Register(s)
	deps := &tools.Deps{Client: client, Log: logger, Governor: g.Governor, Confirm: g.Confirm, Idem: g.Idem, Audit: g.Audit, Users: g.Users, SearchDocs: searchDocs}
	opts := tools.Options{ReadOnly: c.readOnly, AllowDestructive: c.allowDestructive, Toolsets: list(c.toolsets), Tools: list(c.tools), ExcludeTools: list(c.exclude)}
	if _, err := tools.Register(s, deps, opts); err != nil {
		g.Close()
		return nil, nil, err
	}
	if c.policy.Mode != guard.Enforce {
		logger.Warn("refresh guardrails are not enforced", "mode", c.policy.Mode)
	}
	return s, func() { g.Close() }, nil
}

func serve(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c, _, code := parseConfig("basiq-mcp", args, stderr)
	if code >= 0 {
		return code
	}
	logger, err := newLogger(stderr, c.logLevel)
	if err != nil {
		fmt.Fprintln(stderr, "basiq-mcp:", err)
		return 2
	}
	client, stop, err := backend(c, logger)
	if err != nil {
		logger.Error("cannot start", "error", err)
		return 1
	}
	defer stop()
	s, closeGuards, err := newServer(c, client, logger)
	if err != nil {
		logger.Error("cannot start", "error", err)
		return 1
	}
	defer closeGuards()
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	if c.transport == "stdio" {
		stdio := server.NewStdioServer(s)
		stdio.SetErrorLogger(log.New(stderr, "mcp: ", 0))
		if err := stdio.Listen(ctx, stdin, stdout); err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, io.EOF) {
			logger.Error("stdio transport", "error", err)
			return 1
		}
		return 0
	}
	return serveHTTP(ctx, c, s, logger)
}

// serveHTTP runs the sse or http transport with /healthz beside it until
// the context ends, then shuts down gracefully.
func serveHTTP(ctx context.Context, c config, s *server.MCPServer, logger *slog.Logger) int {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"status": "ok", "version": version, "transport": c.transport})
	})
	var shutdown func(context.Context) error
	if c.transport == "sse" {
		sse := server.NewSSEServer(s, server.WithKeepAlive(true))
		mux.Handle("/", sse)
		shutdown = sse.Shutdown
	} else {
		streamable := server.NewStreamableHTTPServer(s, server.WithEndpointPath("/mcp"),
			server.WithSessionIdleTTL(c.idleTTL), server.WithStreamableHTTPLogger(logger))
		mux.Handle("/mcp", streamable)
		shutdown = streamable.Shutdown
	}
	if !guard.IsLoopback(c.addr) && c.authToken == "" {
		logger.Error("refusing to listen off loopback without an auth token: set BASIQ_MCP_AUTH_TOKEN", "addr", c.addr)
		return 2
	}
	rate := c.clientRate
	if rate < 0 { // limit per client only where others can reach the server
		rate = 0
		if !guard.IsLoopback(c.addr) {
			rate = 600
		}
	}
	h := guard.HTTPGuard(mux, guard.HTTPOptions{AuthToken: c.authToken, AllowedOrigins: list(c.origins), RatePerMinute: rate, Open: []string{"/healthz"}})
	return listenAndServe(ctx, c.addr, h, shutdown, logger, "basiq-mcp", "transport", c.transport, "auth", c.authToken != "")
}

// listenAndServe serves h on addr until ctx ends, logging the URL, then
// shuts down gracefully (first the extra shutdown, if any, then HTTP).
func listenAndServe(ctx context.Context, addr string, h http.Handler, shutdown func(context.Context) error, logger *slog.Logger, name string, attrs ...any) int {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		logger.Error("cannot listen", "addr", addr, "error", err)
		return 1
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, IdleTimeout: 2 * time.Minute,
		MaxHeaderBytes: 64 << 10}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	logger.Info(name+" listening", append([]any{"url", "http://" + ln.Addr().String()}, attrs...)...)
	select {
	case err := <-served:
		logger.Error(name+" stopped", "error", err)
		return 1
	case <-ctx.Done():
	}
	stopCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if shutdown != nil {
		shutdown(stopCtx)
	}
	if err := hs.Shutdown(stopCtx); err != nil {
		logger.Error("shutdown", "error", err)
		return 1
	}
	logger.Info(name + " stopped")
	return 0
}

// cli runs "tools" or "call" through an in-process MCP client, so people
// and scripts see exactly what a model sees.
func cli(cmd string, args []string, stdout, stderr io.Writer) int {
	c, rest, code := parseConfig("basiq-mcp "+cmd, args, stderr)
	if code >= 0 {
		return code
	}
	if cmd == "call" && c.toolsets == "" && c.tools == "" {
		c.toolsets = "all" // a person named the tool: no need to enable its toolset first
	}
	logger, err := newLogger(stderr, envOr("BASIQ_MCP_LOG_LEVEL", "warn"))
	if err != nil {
		fmt.Fprintln(stderr, "basiq-mcp:", err)
		return 2
	}
	bc, stop, err := backend(c, logger)
	if err != nil {
		fmt.Fprintln(stderr, "basiq-mcp:", err)
		return 1
	}
	defer stop()
	s, closeGuards, err := newServer(c, bc, logger)
	if err != nil {
		fmt.Fprintln(stderr, "basiq-mcp:", err)
		return 1
	}
	defer closeGuards()
	mc, err := client.NewInProcessClient(s)
	if err != nil {
		fmt.Fprintln(stderr, "basiq-mcp:", err)
		return 1
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	init.Params.ClientInfo = mcp.Implementation{Name: "basiq-mcp-cli", Version: version}
	if err := mc.Start(ctx); err != nil {
		fmt.Fprintln(stderr, "basiq-mcp:", err)
		return 1
	}
	defer mc.Close()
	if _, err := mc.Initialize(ctx, init); err != nil {
		fmt.Fprintln(stderr, "basiq-mcp:", err)
		return 1
	}
	if cmd == "tools" {
		return tools.PrintTools(ctx, mc, stdout, stderr)
	}
	return tools.CallFromCLI(ctx, mc, rest, stdout, stderr)
}

// runSimulator serves the Basiq simulator until SIGINT or SIGTERM.
func runSimulator(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("simulator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", envOr("BASIQ_SIMULATOR_ADDR", "127.0.0.1:8090"), "listen address (env BASIQ_SIMULATOR_ADDR)")
	seed := fs.Uint64("seed", 1, "data seed: the same seed gives the same ids and data")
	scale := fs.Float64("time-scale", 1, "multiplies job step durations (0.01 makes a refresh take ~0.1 s)")
	level := fs.String("log-level", envOr("BASIQ_MCP_LOG_LEVEL", "info"), "debug, info, warn or error (env BASIQ_MCP_LOG_LEVEL)")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: basiq-mcp simulator [flags]\n\nServes an offline Basiq API 3.0 on HTTP. It accepts any non-empty API key,\n"+
			"unless BASIQ_SIMULATOR_API_KEY is set, which pins the one key it accepts.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	logger, err := newLogger(stderr, *level)
	if err == nil && *scale <= 0 {
		err = errors.New("--time-scale must be above 0")
	}
	if err != nil {
		fmt.Fprintf(stderr, "basiq-mcp simulator: %v\n", err)
		return 2
	}
	opts := []basiqtest.Option{basiqtest.WithSeed(*seed), basiqtest.WithTimeScale(*scale), basiqtest.WithLogger(logger)}
	if key := strings.TrimSpace(os.Getenv("BASIQ_SIMULATOR_API_KEY")); key != "" {
		opts = append(opts, basiqtest.WithAPIKey(key))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return listenAndServe(ctx, *addr, basiqtest.New(opts...), nil, logger, "basiq simulator", "seed", *seed, "time_scale", *scale)
}
