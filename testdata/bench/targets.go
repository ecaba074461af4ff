package main

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"

	"github.com/basiq-mcp/basiq-mcp/basiq/basiqtest"
)

// numCPU is the machine's core count as this process saw it at start.
func numCPU() int { return runtime.NumCPU() }

const (
	echoName = "mcp-go echo"
	peerName = "TypeScript reference"
	ourName  = "basiq-mcp"
)

// cheap are our candidates for the cheapest tool: search_docs never calls
// Basiq; check_connector_status is answered from the client's one-minute
// connector cache after its first call. The bench measures both and takes
// whichever costs less CPU per call at each level.
var cheap = []toolCall{
	{"search_docs", map[string]any{"query": "refresh limit"}},
	{"check_connector_status", map[string]any{"connector_id": "AU00000"}},
}

// fair measures the three servers side by side and prints the table and
// the four targets as ratios from this run.
func fair(c config, env []string, conn basiqtest.SeededConnection) error {
	echoBin, err := buildEcho(c, "echo")
	if err != nil {
		return err
	}
	echo := []toolCall{{"echo", map[string]any{"message": "hi"}}}
	cs := []contender{
		{name: echoName, stdioArgv: []string{echoBin}, httpArgv: []string{echoBin, "-transport", "http"}, env: os.Environ(),
			httpURL: urlAfter("listening url="), calls: echo},
		{name: ourName, stdioArgv: []string{c.bin}, httpArgv: []string{c.bin, "--transport", "http", "--addr", "127.0.0.1:0"}, env: env,
			httpURL: urlAfter("listening url="), calls: append(cheap[:len(cheap):len(cheap)],
				toolCall{"get_connection", map[string]any{"user_id": conn.UserID, "connection_id": conn.ConnectionID}})},
	}
	if c.peer != "" {
		const port = 18731
		cs = append(cs, contender{name: peerName, stdioArgv: []string{"node", c.peer, "stdio"}, httpArgv: []string{"node", c.peer, "streamableHttp"},
			env: append(os.Environ(), fmt.Sprintf("PORT=%d", port)), calls: echo,
			httpURL: func(line string) (string, bool) {
				return fmt.Sprintf("http://127.0.0.1:%d/mcp", port), strings.Contains(line, "listening on port")
			}})
	}
	levels := []int{1, 16, 64}
	fmt.Printf("## Side by side (lean driver; %s each level; server CPU per call from /proc)\n\n", c.window)
	var rs []result
	if strings.Contains(c.transports, "stdio") {
		if rs, err = fairStdio("stdio", "1", cs, levels, c.window); err != nil {
			return err
		}
		if pinned() {
			spread, err := fairStdio(spreadStdio, "all", cheapOnly(cs), levels[:2], c.window)
			if err != nil {
				return err
			}
			rs = append(rs, spread...)
		}
	}
	if strings.Contains(c.transports, "http") {
		hs, err := fairHTTP(cs, levels, c.window)
		if err != nil {
			return err
		}
		rs = append(rs, hs...)
	}
	printResults(rs)
	errs := 0
	for _, r := range rs {
		errs += r.errors
	}
	if errs > 0 {
		return fmt.Errorf("%d failed calls under load", errs)
	}
	if c.sideOnly {
		return nil
	}
	costs, err := overhead(c.module, c.iterations)
	if err != nil {
		return err
	}
	page, err := decodePage(c.module, c.decodeCount)
	if err != nil {
		return err
	}
	printTargets(rs, levels, costs, page)
	return nil
}

// spreadStdio names the results of servers started on every core, the
// driver's among them, as a client on a workstation starts them: the
// pinned table gives each server a core to itself, where Go runs one
// thread of goroutines (GOMAXPROCS=1) and a hand-off between two costs
// little; on every core it wakes a second thread.
const spreadStdio = "stdio, every core"

// cheapOnly is cs with our contender calling only its cheap tools.
func cheapOnly(cs []contender) []contender {
	out := slices.Clone(cs)
	for i := range out {
		if out[i].name == ourName {
			out[i].calls = cheap
		}
	}
	return out
}

// urlAfter finds "<marker>http://host:port" in a log line and gives the
// MCP endpoint there.
func urlAfter(marker string) func(string) (string, bool) {
	return func(line string) (string, bool) {
		_, rest, ok := strings.Cut(line, marker)
		if !ok {
			return "", false
		}
		return strings.Fields(rest)[0] + "/mcp", true
	}
}

// cheapestAt is our cheap tool with the least server CPU per call on one
// transport at one level.
func cheapestAt(rs []result, transport string, clients int) (result, bool) {
	var best result
	found := false
	for _, c := range cheap {
		if r, ok := find(rs, transport, ourName, c.tool, clients); ok && (!found || r.cpu < best.cpu) {
			best, found = r, true
		}
	}
	return best, found
}

// printTargets prints each target, what this run measured and whether it
// holds.
func printTargets(rs []result, levels []int, costs []layerCost, page pageDecode) {
	fmt.Println("## Targets (ratios from this run; our cheapest tool is the cheaper of search_docs and check_connector_status at each level)\n\n| target | measured | goal | holds |\n|---|---|---|---|")
	row := func(what string, v float64, unit, goal string, ok bool) {
		fmt.Printf("| %s | %.2f%s | %s | %s |\n", what, v, unit, goal, map[bool]string{true: "yes", false: "no"}[ok])
	}
	for _, t := range []string{"stdio", "streamable HTTP"} {
		for _, n := range levels {
			ours, ok1 := cheapestAt(rs, t, n)
			floor, ok2 := find(rs, t, echoName, "echo", n)
			if ok1 && ok2 {
				v := ratio(ours.cpu, floor.cpu)
				row(fmt.Sprintf("server CPU per call, %s ÷ mcp-go echo, %s, %d clients", ours.tool, t, n), v, "×", "≤ 1.3×", v <= 1.3)
			}
		}
	}
	for _, n := range levels {
		ours, ok1 := cheapestAt(rs, "streamable HTTP", n)
		peer, ok2 := find(rs, "streamable HTTP", peerName, "echo", n)
		if ok1 && ok2 {
			v := ours.rate / max(peer.rate, 1)
			row(fmt.Sprintf("streamable HTTP calls/s, %s ÷ TypeScript echo, %d clients", ours.tool, n), v, "×", "≥ 5×", v >= 5)
		}
	}
	if ours, ok := cheapestAt(rs, "stdio", 16); ok {
		if peer, ok := find(rs, "stdio", peerName, "echo", 16); ok {
			v := ours.rate / max(peer.rate, 1)
			row(fmt.Sprintf("stdio calls/s with 16 in flight, %s ÷ TypeScript echo", ours.tool), v, "×", "≥ 1×", v >= 1)
		}
	}
	if ours, ok := cheapestAt(rs, "stdio", 1); ok {
		if peer, ok := find(rs, "stdio", peerName, "echo", 1); ok {
			v := ours.rate / max(peer.rate, 1)
			row(fmt.Sprintf("stdio sequential calls/s, %s ÷ TypeScript echo", ours.tool), v, "×", "≥ 1.2×", v >= 1.2)
			if floor, ok := find(rs, "stdio", echoName, "echo", 1); ok {
				fmt.Printf("| (context) stdio sequential calls/s, mcp-go echo ÷ TypeScript echo: the SDK's own floor | %.2f× | – | – |\n", floor.rate/max(peer.rate, 1))
			}
		}
	}
	for _, n := range levels {
		ours, ok1 := cheapestAt(rs, spreadStdio, n)
		peer, ok2 := find(rs, spreadStdio, peerName, "echo", n)
		if ok1 && ok2 {
			fmt.Printf("| (context) stdio calls/s with %d in flight, %s ÷ TypeScript echo, with the servers on every core (as a workstation runs them) | %.2f× | – | – |\n", n, ours.tool, ours.rate/max(peer.rate, 1))
		}
	}
	goals := map[string]float64{"get_connection": 12, "list_transactions_100": 8}
	for _, c := range costs {
		added := 100 * (c.plain - c.direct) / max(c.direct, 1)
		goal := goals[c.name]
		row(fmt.Sprintf("%s in-process, a plain call as stdio and streamable HTTP answer it (stdio.Answer): MCP layer added to the direct call (%.0f µs → %.0f µs, GOGC=400)", c.name, c.direct, c.plain),
			added, "%", fmt.Sprintf("≤ %.0f%%", goal), added <= goal)
	}
	v := page.ours / page.plain
	row(fmt.Sprintf("a 100-row transactions page decoded by the client ÷ a plain json.Unmarshal of it (%.0f µs ÷ %.0f µs; go test -bench DecodePage100 ./basiq/)", page.ours/1000, page.plain/1000),
		v, "×", "≤ 1.3×", v <= 1.3)
	for _, c := range costs {
		fmt.Printf("| (context) %s in-process through mcp-go (HandleMessage, encoded as its HTTP transport does), as calls the direct path leaves to it are answered (%.0f µs → %.0f µs) | %.2f%% | – | – |\n",
			c.name, c.direct, c.mcpgo, 100*(c.mcpgo-c.direct)/max(c.direct, 1))
	}
	fmt.Println()
}
