package basiqtest

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// Command runs "basiq-mcp simulator": it serves the simulator over HTTP
// until SIGINT or SIGTERM, or, with --idle-exit, until no request came for
// that long. newLogger builds the logger for a level.
func Command(args []string, stderr io.Writer, newLogger func(level string) (*slog.Logger, error)) int {
	fs := flag.NewFlagSet("simulator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", envOr("BASIQ_SIMULATOR_ADDR", "127.0.0.1:8090"), "listen address (env BASIQ_SIMULATOR_ADDR)")
	seed := fs.Uint64("seed", 1, "data seed: the same seed gives the same ids and data")
	users := fs.Int("users", 34, "how many customers to seed, with the same mix of states (at least the named personas)")
	scale := fs.Float64("time-scale", 1, "multiplies job step durations (0.01 makes a refresh take ~0.1 s)")
	level := fs.String("log-level", envOr("BASIQ_MCP_LOG_LEVEL", "info"), "debug, info, warn or error (env BASIQ_MCP_LOG_LEVEL)")
	idle := fs.Duration("idle-exit", 0, "stop after this long without a request (0: never)")
	hookURL := fs.String("webhook-url", "", "deliver every change as a signed webhook (Basiq's headers and retry schedule) to this URL")
	hookSecret := fs.String("webhook-secret", "", "the whsec_ secret to sign webhooks with (default: a new one, logged at start)")
	secretFile := fs.String("secret-file", "", "a file (0600) whose secret is the only API key accepted, and which the daemon proves it knows at "+ProofPath)
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
	logger, err := newLogger(*level)
	if err == nil && *scale <= 0 {
		err = errors.New("--time-scale must be above 0")
	}
	if err != nil {
		fmt.Fprintf(stderr, "basiq-mcp simulator: %v\n", err)
		return 2
	}
	opts := []Option{WithSeed(*seed), WithTimeScale(*scale), WithLogger(logger), WithUsers(*users)}
	if key := strings.TrimSpace(os.Getenv("BASIQ_SIMULATOR_API_KEY")); key != "" {
		opts = append(opts, WithAPIKey(key))
	}
	var secret string
	if *secretFile != "" {
		b, err := os.ReadFile(*secretFile)
		if secret = strings.TrimSpace(string(b)); err != nil || secret == "" {
			fmt.Fprintf(stderr, "basiq-mcp simulator: --secret-file %s holds no secret\n", *secretFile)
			return 2
		}
		opts = append(opts, WithAPIKey(secret))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		logger.Error("cannot listen", "addr", *addr, "error", err)
		return 1
	}
	sim := New(opts...)
	var h http.Handler = sim
	if secret != "" {
		h = proving(h, secret)
	}
	if *hookURL != "" {
		secret, err := sim.Subscribe(*hookURL, *hookSecret, "http://"+ln.Addr().String())
		if err != nil {
			fmt.Fprintf(stderr, "basiq-mcp simulator: --webhook-url: %v\n", err)
			return 2
		}
		if *hookSecret == "" {
			logger.Info("webhooks: signing with a new secret", "secret", secret) // the simulator's own, not a credential of Basiq's
		}
	}
	srv := &http.Server{Handler: idleExit(h, *idle, stop), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	logger.Info("basiq simulator listening", "url", "http://"+ln.Addr().String(), "seed", *seed, "time_scale", *scale)
	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(shutdown)
	logger.Info("basiq simulator stopped")
	return 0
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

// idleExit calls stop once h has served no request for idle (0: never).
func idleExit(h http.Handler, idle time.Duration, stop func()) http.Handler {
	if idle <= 0 {
		return h
	}
	var last atomic.Int64
	last.Store(time.Now().UnixNano())
	go func() {
		for time.Since(time.Unix(0, last.Load())) < idle {
			time.Sleep(min(idle/4, 10*time.Second))
		}
		stop()
	}()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		last.Store(time.Now().UnixNano())
		h.ServeHTTP(w, r)
	})
}
