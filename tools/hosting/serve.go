package hosting

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/basiq-mcp/basiq-mcp/tools/guard"
	"github.com/basiq-mcp/basiq-mcp/tools/stdio"
	"github.com/mark3labs/mcp-go/server"
)

// Options configure the HTTP edge.
type Options struct {
	Transport      string // "http" (streamable HTTP at /mcp) or "sse"
	Addr           string
	AuthToken      string // the static bearer token, when OAuth is not used
	OAuth          OAuthOptions
	AllowedOrigins []string
	ClientRate     float64 // requests per minute per address; < 0: the default for Addr
	IdleTTL        time.Duration
	MaxBodyBytes   int64 // default 1 MiB
	// SessionsPerClient caps the streamable HTTP sessions one caller or
	// client address holds; past it, the least recently used one ends. 0
	// or less: DefaultSessionsPerClient, except that a loopback address
	// (a local load tool, an IDE's several windows) is not capped.
	SessionsPerClient int
	// Metrics serves /metrics: on MetricsAddr alone when set, else beside
	// /mcp, where an OAuth caller needs basiq:metrics.
	Metrics     http.Handler
	MetricsAddr string
	Store       guard.Store
	Client      Upstream
	Info        map[string]any // shown by /healthz (version, transport)
	Log         *slog.Logger
	// WebhookSecret (BASIQ_WEBHOOK_SECRET), when set, receives Basiq's
	// webhooks at WebhookPath, verified with it (Deliveries and ApplyEvent
	// as for Webhooks); a value that is not a whsec_ secret stops start-up.
	WebhookSecret string
	Deliveries    Deliveries
	ApplyEvent    func(ctx context.Context, eventID string) error
	// ShutdownDelay and ShutdownTimeout shape a graceful stop (see
	// listenAndServe); ReadyRequiresStore makes /readyz fail with the store.
	ShutdownDelay, ShutdownTimeout time.Duration
	ReadyRequiresStore             bool
	// Direct names the read-only tools whose plain calls in an open
	// streamable HTTP session are answered without mcp-go's decoding (as
	// over stdio); nil sends every call through mcp-go.
	Direct stdio.DirectTool
}

// Serve runs the MCP server over its HTTP transport until ctx ends, and
// returns the process's exit code (0, 1 for a failure to serve, 2 for a
// configuration refused).
func Serve(ctx context.Context, s *server.MCPServer, o Options) int {
	var oauth *OAuth
	if o.OAuth.Issuer != "" {
		octx, cancel := context.WithTimeout(ctx, 15*time.Second)
		var err error
		oauth, err = NewOAuth(octx, o.OAuth)
		cancel()
		if err != nil {
			o.Log.Error("oauth: " + err.Error())
			return 2
		}
	}
	rate, err := Exposure(o.Addr, o.AuthToken, o.ClientRate, oauth != nil)
	if err != nil {
		o.Log.Error(err.Error())
		return 2
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 1 << 20
	}
	webhookKey, err := ParseWebhookSecret(o.WebhookSecret)
	if err != nil {
		o.Log.Error(err.Error())
		return 2
	}
	draining := &drain{}
	mux, open, shutdown := routes(s, o, oauth, webhookKey, draining)
	if o.MetricsAddr != "" {
		if err := serveMetrics(ctx, o.MetricsAddr, o.Metrics, o.Log); err != nil {
			o.Log.Error("metrics: cannot listen", "addr", o.MetricsAddr, "error", err)
			return 1
		}
	}
	var auth Middleware = func(h http.Handler) http.Handler { return h }
	switch {
	case oauth != nil:
		auth = RequireOAuth(oauth)
	case o.AuthToken != "":
		auth = RequireToken(o.AuthToken)
	}
	// The rate limit comes before authentication, so forged tokens are
	// throttled before any is verified; probes and the metadata stay open.
	h := Chain(mux, CheckOrigin(o.AllowedOrigins), Except(open, RateLimit(rate, 0)), LimitBody(o.MaxBodyBytes), Except(open, auth))
	stop := stopping{delay: o.ShutdownDelay, timeout: o.ShutdownTimeout, drain: draining, transport: shutdown}
	return listenAndServe(ctx, o.Addr, h, stop, o.Log, "basiq-mcp", "transport", o.Transport, "auth", o.AuthToken != "" || oauth != nil)
}

// routes builds the mux: the transport, /healthz, /readyz, the OAuth
// metadata and /metrics; open lists the paths served without a token.
func routes(s *server.MCPServer, o Options, oauth *OAuth, webhookKey []byte, draining *drain) (*http.ServeMux, []string, func(context.Context) error) {
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", Health(o.Store, o.Info, o.Client))
	mux.Handle("GET /readyz", Ready(o.Store, o.Client, ReadyOptions{RequireStore: o.ReadyRequiresStore, Draining: draining.on}))
	open := []string{"/healthz", "/readyz"}
	if oauth != nil {
		u, _ := url.Parse(oauth.MetadataURL())
		mux.Handle("GET "+u.Path, oauth.Metadata())
		open = append(open, u.Path)
	}
	if webhookKey != nil { // Basiq calls it with no bearer token: its signature is the proof
		mux.Handle("POST "+WebhookPath, Webhooks(webhookKey, o.Deliveries, o.ApplyEvent))
		open = append(open, WebhookPath)
	}
	if o.MetricsAddr == "" && o.Metrics != nil {
		mux.Handle("GET /metrics", RequireScope(oauth, guard.ScopeMetrics)(o.Metrics))
	}
	if o.Transport == "sse" {
		sse := server.NewSSEServer(s, server.WithKeepAlive(true), server.WithSSEContextFunc(toolsetsContext))
		mux.Handle("/", CheckToolsets()(newSSECancels().handler(sse)))
		return mux, open, sse.Shutdown
	}
	sessions := newSessionCap(o.SessionsPerClient)
	if o.SessionsPerClient <= 0 {
		sessions = newSessionCap(DefaultSessionsPerClient)
		sessions.exemptLoopback = true
	}
	streamable := server.NewStreamableHTTPServer(s, server.WithEndpointPath("/mcp"), server.WithHTTPContextFunc(toolsetsContext),
		server.WithSessionIdleTTL(o.IdleTTL), server.WithStreamableHTTPLogger(o.Log), server.WithSessionIdManagerResolver(sessions))
	direct := newDirectCalls(s, o.Direct, sessions, o.IdleTTL)
	mux.Handle("/mcp", CheckToolsets()(direct.handler(statelessCancels(streamable))))
	return mux, open, streamable.Shutdown
}

// serveMetrics serves /metrics alone on addr, for a scraper on a private
// network; it carries counts and route names, never ids or customer data.
func serveMetrics(ctx context.Context, addr string, h http.Handler, logger *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	logger.Info("metrics", "url", "http://"+ln.Addr().String()+"/metrics")
	go func() { <-ctx.Done(); srv.Close() }()
	go srv.Serve(ln)
	return nil
}

// stopping is how a server stops: drain says /readyz is draining, then
// after delay the transport and HTTP shut down, calls in flight having up
// to timeout to finish.
type stopping struct {
	delay, timeout time.Duration
	drain          *drain
	transport      func(context.Context) error
}

// drain is set once the server is stopping.
type drain struct{ flag atomic.Bool }

func (d *drain) on() bool { return d.flag.Load() }

// listenAndServe serves h on addr until ctx ends, logging the URL, then
// stops as Kubernetes expects: /readyz turns 503 at once while everything
// else is served for the delay (balancers notice), then new connections
// are refused and calls in flight have the timeout to finish. It returns 0
// for a stop asked for, however it went; 1 when serving failed.
func listenAndServe(ctx context.Context, addr string, h http.Handler, stop stopping, logger *slog.Logger, name string, attrs ...any) int {
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
	if stop.drain != nil {
		stop.drain.flag.Store(true)
	}
	logger.Info(name+" stopping: /readyz answers 503, serving on before draining", "delay", stop.delay, "timeout", stop.timeout)
	time.Sleep(stop.delay)
	stopCtx, cancel := context.WithTimeout(context.Background(), max(stop.timeout, time.Second))
	defer cancel()
	hs.SetKeepAlivesEnabled(false)
	done := make(chan error, 1)
	go func() { done <- hs.Shutdown(stopCtx) }() // stops accepting at once, then waits for calls in flight
	if stop.transport != nil {
		stop.transport(stopCtx) // ends sessions' streams, so Shutdown is not held by idle ones
	}
	if err := <-done; err != nil {
		logger.Warn(name+" stopped before every call in flight finished", "timeout", stop.timeout, "error", err)
		hs.Close()
		return 0
	}
	logger.Info(name + " stopped")
	return 0
}
