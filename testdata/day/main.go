// Command day runs a day of operations against a deployment of basiq-mcp,
// compressed into minutes: three replicas on a Sentinel-watched Redis serve
// steady traffic (keyed creates retried until they settle, refreshes,
// reads) while the platform team's day happens to them: a deploy (SIGTERM,
// then the new process), a replica killed with SIGKILL, the Redis primary
// stopped (the sentinels fail over) and started again, and Basiq's token
// endpoint down for a minute. Then it checks that no write was lost, that
// every write's outcome is recorded once, that the guard invariants held,
// and that the deployment came back on its own. It exits 1 when any check
// fails.
//
//	go run ./testdata/day -bin BINARY
package main

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"syscall"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq/basiqtest"
)

func main() {
	bin := flag.String("bin", "", "the basiq-mcp binary")
	outage := flag.Duration("token-outage", time.Minute, "how long Basiq's token endpoint is down")
	flag.Parse()
	if *bin == "" {
		fmt.Fprintln(os.Stderr, "usage: day -bin BINARY")
		os.Exit(2)
	}
	if err := run(*bin, *outage); err != nil {
		fmt.Fprintln(os.Stderr, "day:", err)
		os.Exit(1)
	}
}

func run(bin string, outage time.Duration) error {
	began := time.Now()
	log := func(format string, args ...any) {
		fmt.Printf("%6.1fs  %s\n", time.Since(began).Seconds(), fmt.Sprintf(format, args...))
	}
	dir, err := os.MkdirTemp("", "basiq-mcp-day")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	redis, err := startTopology(dir)
	if err != nil {
		return err
	}
	defer redis.stop()
	sim := basiqtest.NewServer(basiqtest.WithAPIKey("day-key"), basiqtest.WithTimeScale(0.05))
	defer sim.Close()
	env := append(os.Environ(), "BASIQ_API_KEY=day-key", "BASIQ_BASE_URL="+sim.URL, "BASIQ_MCP_STATE_URL="+redis.url(),
		"BASIQ_MCP_DOCS_URL=off", "NO_COLOR=1")
	f := newFleet(bin, dir, env, 3)
	for i := range 3 {
		if err := f.start(i); err != nil {
			return err
		}
	}
	var conns [][2]string
	for _, c := range sim.Connections() {
		conns = append(conns, [2]string{c.UserID, c.ConnectionID})
	}
	l := newLoad(f, conns)
	stop := make(chan struct{})
	workers := l.run(6, stop)
	log("3 replicas on %s, 6 clients", redis.url())

	step := func(at time.Duration, what string, do func() error) error {
		time.Sleep(time.Until(began.Add(at)))
		log("%s", what)
		return do()
	}
	steps := []struct {
		at   time.Duration
		what string
		do   func() error
	}{
		{15 * time.Second, "deploy: SIGTERM to replica 0, then its new process", func() error {
			if code := f.stop(0, syscall.SIGTERM); code != 0 {
				log("replica 0 exited %d", code)
			}
			return f.start(0)
		}},
		{30 * time.Second, "SIGKILL to replica 1, started again 2 s later", func() error {
			f.stop(1, syscall.SIGKILL)
			time.Sleep(2 * time.Second)
			return f.start(1)
		}},
		{45 * time.Second, "Redis: the primary stops; the sentinels fail over; it starts again", func() error { return redis.restartPrimary(log) }},
		{75 * time.Second, fmt.Sprintf("Basiq's token endpoint down for %s (tokens expired)", outage), func() error {
			sim.InjectFault(basiqtest.Fault{Kind: basiqtest.FaultStatus, Method: http.MethodPost, Path: "/token", Status: http.StatusServiceUnavailable})
			sim.ExpireTokens()
			return nil
		}},
		{75*time.Second + outage, "Basiq's token endpoint back", func() error { sim.ClearFaults(); return nil }},
	}
	for _, s := range steps {
		if err := step(s.at, s.what, s.do); err != nil {
			return fmt.Errorf("%s: %w", s.what, err)
		}
	}
	time.Sleep(time.Until(began.Add(90*time.Second + outage)))
	close(stop)
	workers.Wait()
	log("traffic stopped; retrying the creates that have not settled")
	left := l.settle(90 * time.Second)
	log("settled (%d left)", left)
	return report(f, l, sim, left, log)
}
