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

// footprint is one server's idle RSS and its RSS with n sessions open, KiB.
func footprint(argv, env []string, n int) (idle, open int, err error) {
	srv, err := startServing(argv, env)
	if err != nil {
		return 0, 0, err
	}
	defer srv.stop()
	time.Sleep(2 * time.Second) // idle: past start (basiq-mcp hands the start's garbage back after a second)
	idle = rss(srv.cmd.Process.Pid)
	ids, err := openSessions(srv.url, n)
	if err != nil {
		return 0, 0, err
	}
	time.Sleep(300 * time.Millisecond)
	open = rss(srv.cmd.Process.Pid)
	closeSessions(srv.url, ids)
	return idle, open, nil
}

// memoryVsEcho sets basiq-mcp's memory and cold start beside the bare
// mcp-go echo built on the same mcp-go: idle RSS, RSS with c.sessions
// streamable HTTP sessions open, and process start to initialize.
func memoryVsEcho(c config, env []string) error {
	echo, err := buildEcho(c.module)
	if err != nil {
		return err
	}
	oi, oo, err := footprint([]string{c.bin, "--transport", "http", "--addr", "127.0.0.1:0"}, env, c.sessions)
	if err != nil {
		return err
	}
	ei, eo, err := footprint([]string{echo, "-transport", "http"}, env, c.sessions)
	if err != nil {
		return err
	}
	var ours, bare []time.Duration
	for range c.starts {
		d, err := firstResponse(c.bin, nil, env)
		if err != nil {
			return err
		}
		ours = append(ours, d)
		if d, err = firstResponse(echo, nil, env); err != nil {
			return err
		}
		bare = append(bare, d)
	}
	fmt.Printf("## Memory and cold start beside the bare mcp-go echo\n\n| figure | basiq-mcp | echo | ratio | target |\n|---|---|---|---|---|\n")
	fmt.Printf("| idle RSS | %d MiB | %d MiB | %.2f× | at most 1.5× |\n", oi/1024, ei/1024, float64(oi)/float64(ei))
	fmt.Printf("| RSS with %d sessions open | %d MiB | %d MiB | %.2f× | at most 1.3× |\n", c.sessions, oo/1024, eo/1024, float64(oo)/float64(eo))
	fmt.Printf("| cold start to initialize (median of %d) | %s | %s | %.2f× | at most 2× |\n\n", c.starts, us(pct(ours, .5)), us(pct(bare, .5)), ratio(pct(ours, .5), pct(bare, .5)))
	return nil
}
