// Command bench measures basiq-mcp as agents use it and prints the tables
// README's bench section quotes. Side by side, in one run: a bare mcp-go
// server with one echo tool (the floor our SDK allows here), the official
// TypeScript reference server's echo, and basiq-mcp's cheapest tool and
// get_connection, over stdio and streamable HTTP at 1, 16 and 64 clients,
// with the server's CPU per call read from /proc; then the in-process cost of
// the MCP layer, cold start, memory with many sessions, bytes a model reads,
// and calls that reach Basiq.
//
//	go build -o /tmp/basiq-mcp . && go run ./testdata/bench -bin /tmp/basiq-mcp \
//	  -peer testdata/interop/node_modules/@modelcontextprotocol/server-everything/dist/index.js
//
// The driver speaks plain HTTP and newline-delimited JSON (lean.go), and on a
// machine with two cores or more it pins itself to core 0 and each server to
// core 1 with taskset. Every number comes from this run on this machine;
// compare ratios, not absolute times. -quick runs a short smoke version
// (CI), which fails only on errors or broken upstream economy, never on
// timings.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq/basiqtest"
)

type config struct {
	bin, peer, module string
	scratch           string // this run's temporary files, removed at its end
	quick, sideOnly   bool
	queueOnly         bool
	memoryOnly        bool
	transports        string        // which side-by-side transports to run
	window            time.Duration // how long each load level runs
	sessions          int           // sessions open for the RSS beside the echo
	roundSessions     int           // sessions each round of the memory table opens
	starts            int           // cold starts measured
	iterations        int           // in-process benchmark iterations
	decodeCount       int           // runs of the page decode benchmark
	beside            besideFlag    // other servers whose idle RSS is shown beside the echo's
}

func main() {
	var c config
	flag.StringVar(&c.bin, "bin", "", "the built basiq-mcp binary")
	flag.StringVar(&c.peer, "peer", "", "server-everything's dist/index.js (optional): the TypeScript reference server")
	flag.StringVar(&c.module, "module", ".", "the basiq-mcp module root (to build the echo floor and run the in-process benchmark)")
	flag.BoolVar(&c.quick, "quick", false, "a short smoke run")
	flag.BoolVar(&c.sideOnly, "side-by-side-only", false, "only the side-by-side load table (for profiling a server under load)")
	flag.BoolVar(&c.queueOnly, "queue-only", false, "only the support queue's Basiq requests and the scan's pace")
	flag.StringVar(&c.transports, "transports", "stdio,http", "the side-by-side transports: stdio, http or both")
	flag.BoolVar(&c.memoryOnly, "memory-only", false, "only memory and cold start beside the bare echo")
	flag.Var(&c.beside, "beside", "NAME=COMMAND (repeatable): another MCP server over stdio whose idle RSS the memory table shows beside the echo's")
	sessions := flag.Int("sessions", 0, "sessions open for the RSS beside the echo (default 10000)")
	flag.Parse()
	if c.bin == "" {
		fmt.Fprintln(os.Stderr, "bench: -bin is required")
		os.Exit(2)
	}
	c.window, c.sessions, c.roundSessions, c.starts, c.iterations, c.decodeCount = 3*time.Second, 10000, 1000, 10, 3000, 5
	if c.quick {
		c.window, c.sessions, c.roundSessions, c.starts, c.iterations, c.decodeCount = 300*time.Millisecond, 100, 100, 2, 50, 1
	}
	if *sessions > 0 {
		c.sessions = *sessions
	}
	if c.peer != "" {
		if _, err := os.Stat(c.peer); err != nil {
			fmt.Fprintf(os.Stderr, "bench: no peer at %s; skipping the comparisons\n", c.peer)
			c.peer = ""
		}
	}
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(c config) error {
	ctx := context.Background()
	var err error
	if c.scratch, err = os.MkdirTemp("", "basiq-mcp-bench"); err != nil {
		return err
	}
	defer os.RemoveAll(c.scratch)
	if pinned() {
		if err := pinDriver(); err != nil {
			return fmt.Errorf("taskset: %w", err)
		}
	}
	sim := basiqtest.NewServer(basiqtest.WithTimeScale(0.01))
	defer sim.Close()
	conn := sim.Connections()[0]
	env := ourEnv(c.scratch, sim.URL)
	host, _ := os.Hostname()
	fmt.Printf("# basiq-mcp bench (%s on %s: %d cores, pinned: %v; %s per load level)\n\n",
		time.Now().UTC().Format(time.RFC3339), host, numCPU(), pinned(), c.window)

	if c.queueOnly {
		return queue(ctx, c)
	}
	if c.memoryOnly {
		return memoryVsEcho(c, env)
	}
	if err := fair(c, env, conn); err != nil || c.sideOnly {
		return err
	}
	if err := coldStart(c, env); err != nil {
		return err
	}
	if err := memory(ctx, c, env); err != nil {
		return err
	}
	if err := memoryVsEcho(c, env); err != nil {
		return err
	}
	if err := economy(ctx, c, env, sim, conn); err != nil {
		return err
	}
	if err := upstream(ctx, c, env, sim); err != nil {
		return err
	}
	if err := events(ctx, c, env, sim); err != nil {
		return err
	}
	return queue(ctx, c)
}

// ourEnv runs basiq-mcp against the bench's own simulator, so that calls
// reaching "Basiq" can be counted there; everything else is the default
// configuration, a log line per call at info included (to a pipe, no colour).
func ourEnv(scratch, simURL string) []string {
	state, _ := os.MkdirTemp(scratch, "state")
	return append(driverEnv(), "BASIQ_API_KEY=bench", "BASIQ_BASE_URL="+simURL, "BASIQ_MCP_STATE_DIR="+state,
		"BASIQ_MCP_DOCS_URL=off", "NO_COLOR=1")
}

// driverEnv is the driver's environment without basiq-mcp's settings or
// the GC settings: each server runs as its users would start it.
func driverEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "BASIQ_") && !strings.HasPrefix(kv, "GOGC=") && !strings.HasPrefix(kv, "GOMEMLIMIT=") {
			env = append(env, kv)
		}
	}
	return env
}

// buildEcho builds the bare mcp-go echo server from testdata into the
// run's scratch directory; extra go build flags come first (-overlay).
func buildEcho(c config, name string, flags ...string) (string, error) {
	bin := filepath.Join(c.scratch, name)
	cmd := exec.Command("go", append(append([]string{"build", "-o", bin}, flags...), "./testdata/bench/echo")...)
	cmd.Dir = c.module
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the echo server: %v: %s", err, out)
	}
	return bin, nil
}
