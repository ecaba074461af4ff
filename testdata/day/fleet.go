package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/basiq-mcp/basiq-mcp/testdata/mcptest"
)

// fleet is the deployment: replicas of the binary on fixed loopback
// ports (a restart keeps its address, as a pod behind a service does),
// sharing the guard state in Redis; each keeps its audit in its own
// directory.
type fleet struct {
	bin   string
	env   []string
	dirs  []string
	ports []int
	mu    sync.Mutex
	procs []*exec.Cmd
	exits []int // each replica's exit statuses, in order
}

func newFleet(bin, dir string, env []string, n int) *fleet {
	f := &fleet{bin: bin, env: env, procs: make([]*exec.Cmd, n), exits: make([]int, 0)}
	for i := range n {
		f.dirs = append(f.dirs, filepath.Join(dir, fmt.Sprintf("replica%d", i)))
		f.ports = append(f.ports, freePort())
	}
	return f
}

func (f *fleet) base(i int) string { return fmt.Sprintf("http://127.0.0.1:%d", f.ports[i]) }

// start runs replica i and waits until it is ready.
func (f *fleet) start(i int) error {
	cmd := exec.Command(f.bin, "--transport", "http", "--addr", fmt.Sprintf("127.0.0.1:%d", f.ports[i]), "--state-dir", f.dirs[i],
		"--shutdown-delay", "1s", "--shutdown-timeout", "20s", "--background-delay", "2s")
	cmd.Env = f.env
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	logf, err := os.OpenFile(filepath.Join(filepath.Dir(f.dirs[i]), fmt.Sprintf("replica%d.log", i)), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	cmd.Stderr = logf
	if err := cmd.Start(); err != nil {
		return err
	}
	f.mu.Lock()
	f.procs[i] = cmd
	f.mu.Unlock()
	for range 100 {
		if status(f.base(i)+"/readyz") == http.StatusOK {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("replica %d did not become ready", i)
}

// stop ends replica i with sig and waits for it, keeping its exit status.
func (f *fleet) stop(i int, sig syscall.Signal) int {
	f.mu.Lock()
	cmd := f.procs[i]
	f.mu.Unlock()
	cmd.Process.Signal(sig)
	err := cmd.Wait()
	code := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	}
	if sig == syscall.SIGTERM {
		f.mu.Lock()
		f.exits = append(f.exits, code)
		f.mu.Unlock()
	}
	return code
}

func status(url string) int {
	resp, err := http.Get(url)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// callResult is one tool call's answer, or why none came.
type callResult struct {
	answered bool // a JSON-RPC result came back
	isError  bool
	text     string
	content  map[string]any
}

var hc = &http.Client{Timeout: 60 * time.Second}

// call makes one stateless (2026-07-28) tools/call on replica i.
func (f *fleet) call(i int, tool string, args map[string]any) callResult {
	req := mcptest.StatelessRequest(f.base(i)+"/mcp", "tools/call", map[string]any{"name": tool, "arguments": args}, nil)
	resp, err := hc.Do(req)
	if err != nil {
		return callResult{text: err.Error()}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	result, ok := mcptest.Message(raw)["result"].(map[string]any)
	if !ok {
		return callResult{text: fmt.Sprintf("HTTP %d: %.200s", resp.StatusCode, raw)}
	}
	r := callResult{answered: true}
	r.isError, _ = result["isError"].(bool)
	r.content, _ = result["structuredContent"].(map[string]any)
	if content, _ := result["content"].([]any); len(content) > 0 {
		first, _ := content[0].(map[string]any)
		r.text, _ = first["text"].(string)
	}
	return r
}

// auditLines reads every replica's audit.
func (f *fleet) auditLines() ([]map[string]any, error) {
	var out []map[string]any
	for _, d := range f.dirs {
		file, err := os.Open(filepath.Join(d, "audit.jsonl"))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for s := bufio.NewScanner(file); s.Scan(); {
			var e map[string]any
			if err := json.Unmarshal(s.Bytes(), &e); err != nil {
				file.Close()
				return nil, fmt.Errorf("%s: %w", d, err)
			}
			out = append(out, e)
		}
		file.Close()
	}
	return out, nil
}
