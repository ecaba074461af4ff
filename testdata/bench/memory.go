package main

import (
	"bufio"
	"fmt"
	"io"
	"os/exec"
	"time"
)

// startServing runs argv (a server printing "listening … url=…") and
// returns it with its MCP endpoint.
func startServing(argv, env []string) (*server, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.SysProcAttr = dieWithDriver()
	cmd.Env = append(env, "BASIQ_MCP_LOG_LEVEL=info")
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	lines := bufio.NewScanner(stderr)
	for lines.Scan() {
		if m := listening.FindStringSubmatch(lines.Text()); m != nil {
			go io.Copy(io.Discard, stderr)
			return &server{cmd, m[1] + "/mcp"}, nil
		}
	}
	return nil, fmt.Errorf("%s did not start", argv[0])
}

// memoryVsEcho sets basiq-mcp's memory and cold start beside the bare
// mcp-go echo built on the same mcp-go: idle RSS, RSS with c.sessions
// streamable HTTP sessions open, and process start to initialize. Beside
// them, the echo with basiq-mcp's libraries linked (buildFloor) shows how
// much of the idle figure those libraries alone take.
func memoryVsEcho(c config, env []string) error {
	echo, err := buildEcho(c, "echo")
	if err != nil {
		return err
	}
	floor, libs, err := buildFloor(c)
	if err != nil {
		return err
	}
	busy := 2 * c.window
	ours := &footprint{argv: []string{c.bin, "--transport", "http", "--addr", "127.0.0.1:0"},
		call: &toolCall{"check_connector_status", map[string]any{"connector_id": "AU00000"}}}
	bare := &footprint{argv: []string{echo, "-transport", "http"}, call: &toolCall{"echo", map[string]any{"message": "hi"}}}
	if err := measureFootprints([]*footprint{ours, bare}, env, c.sessions, busy); err != nil {
		return err
	}
	linked := &footprint{argv: []string{floor, "-transport", "http"}}
	if err := measureFootprints([]*footprint{linked}, env, 0, 0); err != nil {
		return err
	}
	var oursStart, bareStart []time.Duration
	for range c.starts {
		d, err := firstResponse(c.bin, nil, env)
		if err != nil {
			return err
		}
		oursStart = append(oursStart, d)
		if d, err = firstResponse(echo, nil, env); err != nil {
			return err
		}
		bareStart = append(bareStart, d)
	}
	mib := func(kib int) string { return fmt.Sprintf("%.1f MiB", float64(kib)/1024) }
	times := func(a, b int) string { return fmt.Sprintf("%.2f×", float64(a)/float64(b)) }
	fmt.Printf("## Memory and cold start beside the bare mcp-go echo\n\n| figure | basiq-mcp | echo | ratio | target |\n|---|---|---|---|---|\n")
	fmt.Printf("| idle RSS | %s | %s | %s | at most 1.5× |\n", mib(ours.idle), mib(bare.idle), times(ours.idle, bare.idle))
	fmt.Printf("| idle RSS, anonymous (heap, stacks, runtime) | %s | %s | %s | – |\n", mib(ours.anon), mib(bare.anon), times(ours.anon, bare.anon))
	fmt.Printf("| idle RSS of the echo with basiq-mcp's %d libraries linked (it runs their init functions and nothing more) | %s | %s | %s | – |\n",
		libs, mib(linked.idle), mib(bare.idle), times(linked.idle, bare.idle))
	fmt.Printf("| RSS with %d sessions open | %s | %s | %s | at most 1.3× |\n", c.sessions, mib(ours.open), mib(bare.open), times(ours.open, bare.open))
	fmt.Printf("| RSS with them open, after %d clients called a tool for %s | %s | %s | %s | – |\n", busyClients, busy, mib(ours.busy), mib(bare.busy), times(ours.busy, bare.busy))
	fmt.Printf("| CPU per call meanwhile (`check_connector_status`; the echo's `echo`) | %s | %s | %.2f× | – |\n", us(ours.busyCPU), us(bare.busyCPU), ratio(ours.busyCPU, bare.busyCPU))
	fmt.Printf("| cold start to initialize (median of %d) | %s | %s | %.2f× | at most 2× |\n\n", c.starts, us(pct(oursStart, .5)), us(pct(bareStart, .5)), ratio(pct(oursStart, .5), pct(bareStart, .5)))
	if len(c.beside) > 0 {
		return idleBeside(c, env, echo)
	}
	return nil
}
