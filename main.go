// Command basiq-mcp is an MCP server for the Basiq open-banking API. This
// file only wires flags and environment to a logger, the Basiq client or
// simulator, and a transport.
package main

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
	"syscall"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq/basiqtest"
	"github.com/lmittmann/tint"
)

const usage = `basiq-mcp: an MCP server for the Basiq open-banking API.

Usage:
  basiq-mcp simulator [flags]   run the offline Basiq API simulator over HTTP

Run "basiq-mcp simulator --help" for its flags.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

func run(args []string, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "simulator":
		return runSimulator(args[1:], stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stderr, usage)
		return 0
	}
	fmt.Fprintf(stderr, "basiq-mcp: unknown command %q\n\n%s", args[0], usage)
	return 2
}

// newLogger writes through tint to stderr: colour only on a terminal and
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

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
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
	if err != nil || *scale <= 0 {
		fmt.Fprintf(stderr, "basiq-mcp simulator: %v\n", firstNonNil(err, errors.New("--time-scale must be above 0")))
		return 2
	}
	opts := []basiqtest.Option{basiqtest.WithSeed(*seed), basiqtest.WithTimeScale(*scale), basiqtest.WithLogger(logger)}
	if key := strings.TrimSpace(os.Getenv("BASIQ_SIMULATOR_API_KEY")); key != "" {
		opts = append(opts, basiqtest.WithAPIKey(key))
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		logger.Error("cannot listen", "addr", *addr, "error", err)
		return 1
	}
	srv := &http.Server{Handler: basiqtest.New(opts...), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	logger.Info("basiq simulator listening", "url", "http://"+ln.Addr().String(), "seed", *seed, "time_scale", *scale)
	select {
	case err := <-served:
		logger.Error("simulator stopped", "error", err)
		return 1
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		logger.Error("shutdown", "error", err)
		return 1
	}
	logger.Info("basiq simulator stopped")
	return 0
}

func firstNonNil(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
