package main

import (
	"bufio"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"time"
)

// besideFlag collects -beside NAME=COMMAND flags: other MCP servers,
// started over stdio, whose idle RSS the memory table sets beside
// basiq-mcp's and the echo's.
type besideFlag []string

func (b *besideFlag) String() string { return strings.Join(*b, ", ") }

// Set takes one NAME=COMMAND, the command split at spaces; a variable for
// it goes before it as in a shell (GITHUB_PERSONAL_ACCESS_TOKEN=x bin stdio).
func (b *besideFlag) Set(v string) error {
	name, command, ok := strings.Cut(v, "=")
	if !ok || name == "" || strings.TrimSpace(command) == "" {
		return fmt.Errorf("want NAME=COMMAND, got %q", v)
	}
	*b = append(*b, v)
	return nil
}

// stdioIdle is one server's RSS over stdio, KiB: idle before any message,
// and a second after answering initialize and tools/list.
type stdioIdle struct{ idle, anon, listed int }

// measureStdioIdle starts argv with stdin held open, reads its RSS after
// two seconds, then checks it answers initialize and tools/list and reads
// it again.
func measureStdioIdle(argv, env []string) (stdioIdle, error) {
	var vars []string
	for len(argv) > 1 && isVariable(argv[0]) {
		vars, argv = append(vars, argv[0]), argv[1:]
	}
	evict(argv[0])
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.SysProcAttr = dieWithDriver()
	cmd.Env = append(slices.Clone(env), vars...)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		return stdioIdle{}, err
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	time.Sleep(2 * time.Second)
	pid := cmd.Process.Pid
	m := stdioIdle{idle: rss(pid), anon: anonRSS(pid)}
	io.WriteString(stdin, `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}`+"\n"+
		`{"jsonrpc":"2.0","method":"notifications/initialized"}`+"\n"+`{"jsonrpc":"2.0","id":2,"method":"tools/list"}`+"\n")
	r := bufio.NewReader(stdout)
	for answered := 0; answered < 2; {
		line, err := r.ReadString('\n')
		if err != nil {
			return stdioIdle{}, fmt.Errorf("%s: no answer to initialize and tools/list: %v", argv[0], err)
		}
		if strings.Contains(line, `"result"`) && (strings.Contains(line, `"id":1`) || strings.Contains(line, `"id":2`)) {
			answered++
		}
	}
	time.Sleep(time.Second)
	m.listed = rss(pid)
	return m, nil
}

// idleBeside prints idle RSS over stdio for basiq-mcp, the echo and each
// -beside server, three starts each taking turns, medians: how far above
// the bare echo other Go MCP servers idle on this machine.
func idleBeside(c config, env []string, echo string) error {
	type row struct {
		name string
		argv []string
		env  []string
		runs []stdioIdle
	}
	rows := []*row{{name: "basiq-mcp", argv: []string{c.bin}, env: env}, {name: "bare mcp-go echo", argv: []string{echo}, env: env}}
	for _, b := range c.beside {
		name, command, _ := strings.Cut(b, "=")
		rows = append(rows, &row{name: name, argv: strings.Fields(command), env: driverEnv()})
	}
	for range 3 {
		for _, r := range rows {
			m, err := measureStdioIdle(r.argv, r.env)
			if err != nil {
				return err
			}
			r.runs = append(r.runs, m)
		}
	}
	median := func(runs []stdioIdle, f func(stdioIdle) int) int {
		v := make([]int, len(runs))
		for i, m := range runs {
			v[i] = f(m)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	mib := func(kib int) string { return fmt.Sprintf("%.1f MiB", float64(kib)/1024) }
	echoIdle := median(rows[1].runs, func(m stdioIdle) int { return m.idle })
	fmt.Printf("## Idle RSS over stdio beside other MCP servers (median of 3 starts each, in turns)\n\n| server | idle RSS | anonymous | ÷ echo | after tools/list |\n|---|---|---|---|---|\n")
	for _, r := range rows {
		idle := median(r.runs, func(m stdioIdle) int { return m.idle })
		fmt.Printf("| %s | %s | %s | %.2f× | %s |\n", r.name, mib(idle), mib(median(r.runs, func(m stdioIdle) int { return m.anon })),
			float64(idle)/float64(echoIdle), mib(median(r.runs, func(m stdioIdle) int { return m.listed })))
	}
	fmt.Println()
	return nil
}

// isVariable reports whether word is NAME=VALUE with a shell variable's
// name, as a shell reads a word before the command.
func isVariable(word string) bool {
	name, _, ok := strings.Cut(word, "=")
	if !ok || name == "" || name[0] >= '0' && name[0] <= '9' {
		return false
	}
	for _, r := range name {
		if r != '_' && (r < 'A' || r > 'Z') && (r < 'a' || r > 'z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}
