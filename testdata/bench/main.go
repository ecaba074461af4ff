// Command bench measures basiq-mcp as agents use it and prints the tables
// README's bench section quotes: per-call latency over stdio and streamable
// HTTP against the direct client call, throughput and tail latency against
// the official TypeScript reference server, cold start, memory with many
// sessions, bytes a model reads, and calls that reach Basiq.
//
//	go build -o /tmp/basiq-mcp . && go run ./testdata/bench -bin /tmp/basiq-mcp \
//	  -peer testdata/interop/node_modules/@modelcontextprotocol/server-everything/dist/index.js
//
// Every number comes from this run on this machine; compare ratios, not
// absolute times. -quick runs a short smoke version (CI), which fails only
// on errors or on broken upstream economy, never on timings.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/basiq/basiqtest"
)

type config struct {
	bin, peer string
	quick     bool
	calls     int           // sequential calls per latency measurement
	window    time.Duration // how long each throughput level runs
	sessions  int           // sessions opened for the memory measurement
	starts    int           // cold starts measured
}

func main() {
	var c config
	flag.StringVar(&c.bin, "bin", "", "the built basiq-mcp binary")
	flag.StringVar(&c.peer, "peer", "", "server-everything's dist/index.js (optional): the TypeScript reference server")
	flag.BoolVar(&c.quick, "quick", false, "a short smoke run")
	flag.Parse()
	if c.bin == "" {
		fmt.Fprintln(os.Stderr, "bench: -bin is required")
		os.Exit(2)
	}
	c.calls, c.window, c.sessions, c.starts = 300, 3*time.Second, 1000, 10
	if c.quick {
		c.calls, c.window, c.sessions, c.starts = 30, 300*time.Millisecond, 100, 2
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
	sim := basiqtest.NewServer(basiqtest.WithTimeScale(0.01))
	defer sim.Close()
	direct, err := basiq.NewClient("bench", basiq.WithBaseURL(sim.URL))
	if err != nil {
		return err
	}
	conn := sim.Connections()[0]
	env := ourEnv(sim.URL)
	fmt.Printf("# basiq-mcp bench (%s, %d calls per latency figure, %s per throughput level)\n\n", time.Now().UTC().Format(time.RFC3339), c.calls, c.window)

	if err := latency(ctx, c, env, direct, conn); err != nil {
		return err
	}
	if err := throughput(ctx, c, env); err != nil {
		return err
	}
	if err := coldStart(c, env); err != nil {
		return err
	}
	if err := memory(ctx, c, env); err != nil {
		return err
	}
	if err := economy(ctx, c, env, sim, conn); err != nil {
		return err
	}
	return upstream(ctx, c, env, sim)
}

// ourEnv runs basiq-mcp against the bench's own simulator, so that calls
// reaching "Basiq" can be counted there.
func ourEnv(simURL string) []string {
	state, _ := os.MkdirTemp("", "basiq-mcp-bench")
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "BASIQ_") {
			env = append(env, kv)
		}
	}
	return append(env, "BASIQ_API_KEY=bench", "BASIQ_BASE_URL="+simURL, "BASIQ_MCP_STATE_DIR="+state,
		"BASIQ_MCP_DOCS_URL=off", "BASIQ_MCP_LOG_LEVEL=warn", "NO_COLOR=1")
}
