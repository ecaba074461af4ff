package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// contender is one server the fair bench measures: how to start it on each
// transport and which tools to call.
type contender struct {
	name      string
	stdioArgv []string
	httpArgv  []string
	env       []string
	// httpURL finds the endpoint in a line the server writes to stderr.
	httpURL func(line string) (string, bool)
	calls   []toolCall
}

type toolCall struct {
	tool string
	args map[string]any
}

// result is one contender's tool at one level on one transport.
type result struct {
	transport, server, tool string
	clients                 int
	rate                    float64
	p50, p99, cpu           time.Duration // cpu is the server's CPU per call
	errors                  int
}

// pinned reports whether server and driver get a core each; the driver
// takes core 0 for itself and whatever it runs in-process (the simulator).
func pinned() bool { return runtime.NumCPU() >= 2 && hasTaskset() }

func hasTaskset() bool { _, err := exec.LookPath("taskset"); return err == nil }

// pinDriver moves every thread of this process to core 0.
func pinDriver() error {
	return exec.Command("taskset", "-a", "-cp", "0", strconv.Itoa(os.Getpid())).Run()
}

// command builds argv, on core 1 when pinning.
func command(argv []string, env []string) *exec.Cmd { return commandOn("1", argv, env) }

// commandOn builds argv to run on cores (a taskset list) when pinning;
// "all" spreads it over every core, as a client on a workstation starts
// a server (a child would otherwise keep the driver's core 0).
func commandOn(cores string, argv []string, env []string) *exec.Cmd {
	if cores == "all" {
		cores = fmt.Sprintf("0-%d", numCPU()-1)
	}
	if pinned() {
		argv = append([]string{"taskset", "-c", cores}, argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	cmd.SysProcAttr = dieWithDriver()
	return cmd
}

// dieWithDriver has the kernel kill a server when the driver dies, so one
// killed mid-run (a closed pipe, ^C) leaves no server behind to load the
// machine.
func dieWithDriver() *syscall.SysProcAttr { return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} }

// startPinnedHTTP starts c's HTTP server and waits for it to say where.
func startPinnedHTTP(c contender) (*server, error) {
	cmd := command(c.httpArgv, c.env)
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	lines := bufio.NewScanner(stderr)
	for lines.Scan() {
		if url, ok := c.httpURL(lines.Text()); ok {
			go io.Copy(io.Discard, stderr)
			return &server{cmd, url}, nil
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	return nil, fmt.Errorf("%s did not start on HTTP", c.name)
}

// spin runs conc workers calling fn until window has passed and returns
// every call's latency and how many failed (the first failure is printed).
func spin(conc int, window time.Duration, fn func(worker int) error, report bool) ([]time.Duration, int) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	var all []time.Duration
	bad := 0
	deadline := time.Now().Add(window)
	for w := range conc {
		wg.Go(func() {
			mine := make([]time.Duration, 0, 4096)
			errs := 0
			for time.Now().Before(deadline) {
				t := time.Now()
				if err := fn(w); err != nil {
					if errs == 0 && report {
						fmt.Fprintln(os.Stderr, "bench: call failed:", err)
					}
					errs++
				}
				mine = append(mine, time.Since(t))
			}
			mu.Lock()
			all, bad = append(all, mine...), bad+errs
			mu.Unlock()
		})
	}
	wg.Wait()
	return all, bad
}

// fairHTTP measures every contender's tools over streamable HTTP, all
// servers running and taking turns (interleave); each turn opens its
// sessions, one connection each.
func fairHTTP(cs []contender, levels []int, window time.Duration) ([]result, error) {
	var servers []*server
	defer func() {
		for _, s := range servers {
			s.stop()
		}
	}()
	pids := make([]int, len(cs))
	for i, c := range cs {
		srv, err := startPinnedHTTP(c)
		if err != nil {
			return nil, err
		}
		servers, pids[i] = append(servers, srv), srv.cmd.Process.Pid
	}
	hc := newHTTPClient(levels[len(levels)-1])
	defer hc.CloseIdleConnections()
	return interleave("streamable HTTP", cs, pids, levels, window, func(i int, tc toolCall, conc int) (func(int) error, func(), error) {
		sessions := make([]*leanHTTP, 0, conc)
		release := func() {
			for _, s := range sessions {
				s.close()
			}
		}
		for range conc {
			s, err := openLeanHTTP(hc, servers[i].url)
			if err != nil {
				release()
				return nil, nil, err
			}
			sessions = append(sessions, s)
		}
		body := callBody(1, tc.tool, tc.args)
		return func(w int) error { return sessions[w].call(body) }, release, nil
	})
}

// fairStdio measures every contender's tools over stdio, all servers
// running on cores and taking turns (interleave), with 1, 16 or 64
// requests in flight on each one's pipe; transport names the results.
func fairStdio(transport, cores string, cs []contender, levels []int, window time.Duration) ([]result, error) {
	var servers []*leanStdio
	defer func() {
		for _, s := range servers {
			s.stop()
		}
	}()
	pids := make([]int, len(cs))
	for i, c := range cs {
		s, err := startLeanStdio(commandOn(cores, c.stdioArgv, c.env))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.name, err)
		}
		servers, pids[i] = append(servers, s), s.cmd.Process.Pid
	}
	return interleave(transport, cs, pids, levels, window, func(i int, tc toolCall, _ int) (func(int) error, func(), error) {
		return func(int) error { return servers[i].call(tc.tool, tc.args) }, func() {}, nil
	})
}

// printResults prints the side-by-side table.
func printResults(rs []result) {
	fmt.Println("| transport | clients | server | tool | calls/s | p50 | p99 | server CPU per call | errors |\n|---|---|---|---|---|---|---|---|---|")
	for _, r := range rs {
		fmt.Printf("| %s | %d | %s | %s | %.0f | %s | %s | %s | %d |\n", r.transport, r.clients, r.server, r.tool, r.rate, us(r.p50), us(r.p99), us(r.cpu), r.errors)
	}
	fmt.Println()
}

// find returns the result for one server, tool, transport and level.
func find(rs []result, transport, server, tool string, clients int) (result, bool) {
	for _, r := range rs {
		if r.transport == transport && r.server == server && r.tool == tool && r.clients == clients {
			return r, true
		}
	}
	return result{}, false
}

// layerCost is what the MCP layer adds to one in-process call: on the
// direct path both transports take for a plain call of a read-only tool,
// and through mcp-go, which answers every other call.
type layerCost struct {
	name                 string
	direct, plain, mcpgo float64 // µs: the client call alone, through the direct path, through mcp-go
}

// overhead runs the in-process benchmark of get_connection and a 100-row
// list_transactions (the direct client call against the same call through
// the server, alternated) with the GC settings the binary uses by default.
func overhead(module string, iterations int) ([]layerCost, error) {
	cmd := exec.Command("go", "test", "-run", "^$", "-bench", "Overhead", "-benchtime", fmt.Sprintf("%dx", iterations), "-count", "1", "./tools/")
	cmd.Dir = module
	cmd.Env = append(os.Environ(), "GOGC=400", "GOMEMLIMIT=512MiB")
	b, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("overhead benchmark: %v: %s", err, b)
	}
	var out []layerCost
	for _, line := range strings.Split(string(b), "\n") {
		name, ok := strings.CutPrefix(line, "BenchmarkOverhead/")
		if !ok {
			continue
		}
		f := strings.Fields(name)
		c := layerCost{name: strings.Split(f[0], "-")[0]}
		for i := 1; i < len(f); i++ {
			v, _ := strconv.ParseFloat(f[i-1], 64)
			switch f[i] {
			case "direct-µs":
				c.direct = v
			case "stdio-µs":
				c.plain = v
			case "mcpgo-µs":
				c.mcpgo = v
			}
		}
		if c.direct > 0 {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("overhead benchmark printed no figures: %s", b)
	}
	return out, nil
}
