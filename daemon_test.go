package main

import (
	"bytes"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/basiq-mcp/basiq-mcp/testdata/mcptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// daemonOf finds the sandbox daemon started for state (its output goes to
// the state's sandbox.log) and returns its PID.
func daemonOf(t *testing.T, state string) int {
	t.Helper()
	logFile := filepath.Join(state, "sandbox", "sandbox.log")
	outs, _ := filepath.Glob("/proc/[0-9]*/fd/1")
	for _, p := range outs {
		if target, err := os.Readlink(p); err == nil && target == logFile {
			pid, _ := strconv.Atoi(strings.Split(p, "/")[2])
			return pid
		}
	}
	t.Fatal("no sandbox daemon runs for " + state)
	return 0
}

// TestSandboxDaemonTrustsOnlyItself: the daemon of "basiq-mcp call
// --sandbox" never receives the real BASIQ_API_KEY, keeps its secret where
// only the user reads it, and a listener that takes its port after it ends
// is not trusted: it is asked for a proof and never sent the secret.
func TestSandboxDaemonTrustsOnlyItself(t *testing.T) {
	state := t.TempDir()
	const realKey = "sk-live-never-to-the-daemon"
	run := func() string {
		cmd := exec.Command(binary, "call", "--sandbox", "list_report_types")
		cmd.Env = mcptest.SandboxEnv(state, "BASIQ_API_KEY="+realKey)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, string(out))
		return string(out)
	}
	assert.Contains(t, run(), "CON_AFFOR_01")
	pid := daemonOf(t, state)
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGTERM) })
	environ, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	require.NoError(t, err)
	assert.NotContains(t, string(environ), realKey, "the daemon never receives BASIQ_API_KEY")
	assert.NotContains(t, string(environ), "BASIQ_", "nor any other BASIQ_ setting")
	for path, mode := range map[string]os.FileMode{filepath.Join(state, "sandbox"): 0o700, filepath.Join(state, "sandbox", "sandbox.secret"): 0o600} {
		fi, err := os.Stat(path)
		require.NoError(t, err)
		assert.Equal(t, mode, fi.Mode().Perm(), path)
	}
	secret, _ := os.ReadFile(filepath.Join(state, "sandbox", "sandbox.secret"))

	// The daemon ends; another process takes its port.
	url, _ := os.ReadFile(filepath.Join(state, "sandbox", "sandbox.url"))
	require.NoError(t, syscall.Kill(pid, syscall.SIGTERM))
	addr := strings.TrimPrefix(string(url), "http://")
	var ln net.Listener
	for range 100 {
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		exec.Command("sleep", "0.05").Run()
	}
	require.NoError(t, err, "the port is free once the daemon ended")
	var mu sync.Mutex
	var seen []string
	impostor := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body bytes.Buffer
		body.ReadFrom(r.Body)
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.String()+" "+r.Header.Get("Authorization")+" "+body.String())
		mu.Unlock()
		w.Write([]byte("trust me"))
	})}
	go impostor.Serve(ln)
	t.Cleanup(func() { impostor.Close() })

	assert.Contains(t, run(), "CON_AFFOR_01", "a new daemon serves the call")
	t.Cleanup(func() { syscall.Kill(daemonOf(t, state), syscall.SIGTERM) })
	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(t, seen, "the impostor was asked to prove itself")
	for _, req := range seen {
		assert.True(t, strings.HasPrefix(req, "GET /sandbox/proof?nonce="), "only a proof was asked of it: %s", req)
		assert.NotContains(t, req, strings.TrimSpace(string(secret)), "the secret never reaches it")
	}
	newURL, _ := os.ReadFile(filepath.Join(state, "sandbox", "sandbox.url"))
	assert.NotEqual(t, string(url), string(newURL))
}

// TestWebhooksSubscribeCommand: "basiq-mcp webhooks subscribe URL" makes
// the subscription through Basiq's API (here the simulator's) and prints
// the secret to set, on stdout only; bad usage exits 2.
func TestWebhooksSubscribeCommand(t *testing.T) {
	cmd := exec.Command(binary, "webhooks", "subscribe", "https://mcp.example.test/webhooks/basiq")
	cmd.Env = sandboxEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), stderr.String())
	assert.Regexp(t, `subscribed to 9 event types .*\nSet BASIQ_WEBHOOK_SECRET=whsec_[A-Za-z0-9+/=]+ on every replica`, stdout.String())
	assert.NotContains(t, stderr.String(), "whsec_", "the secret reaches no log")
	for _, args := range [][]string{{"webhooks"}, {"webhooks", "subscribe", "not a url"}, {"webhooks", "unsubscribe", "https://x"}} {
		bad := exec.Command(binary, args...)
		bad.Env = sandboxEnv()
		err := bad.Run()
		var ee *exec.ExitError
		require.ErrorAs(t, err, &ee, "%v", args)
		assert.Equal(t, 2, ee.ExitCode(), "%v", args)
	}
}
