package hosting_test

import (
	"bufio"
	"io"
	"os/exec"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq/basiqtest"
	"github.com/basiq-mcp/basiq-mcp/testdata/mcptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestGracefulShutdown: on SIGTERM /readyz turns 503 at once while the
// server still answers for --shutdown-delay; then it stops taking
// connections, lets a call in flight (a get_job waiting on a refresh that
// outlasts the delay) finish with its answer, and exits 0.
func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	sim := basiqtest.NewServer(basiqtest.WithAPIKey("stop-key"), basiqtest.WithTimeScale(0.5))
	t.Cleanup(sim.Close)
	cmd := exec.Command(binary, "--transport", "http", "--addr", "127.0.0.1:0", "--state-dir", t.TempDir(), "--index-share", "0",
		"--shutdown-delay", "1s", "--shutdown-timeout", "20s")
	cmd.Env = sandboxEnv("BASIQ_API_KEY=stop-key", "BASIQ_BASE_URL="+sim.URL)
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill() })
	var base string
	lines := bufio.NewScanner(stderr)
	for lines.Scan() {
		if m := regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+)`).FindStringSubmatch(lines.Text()); m != nil {
			base = m[1]
			break
		}
	}
	require.NotEmpty(t, base)
	go io.Copy(io.Discard, stderr)

	var target basiqtest.SeededConnection
	for _, c := range sim.Connections() {
		if c.Status == "active" && c.InstitutionID == "AU00000" && c.LastJobState == "succeeded" && time.Since(c.LastUsed) > 2*time.Hour {
			target = c
			break
		}
	}
	require.NotEmpty(t, target.UserID)
	res, txt := call(t, base, "refresh_connection", map[string]any{"user_id": target.UserID, "connection_id": target.ConnectionID})
	require.NotEqual(t, true, res["isError"], txt)
	job := res["structuredContent"].(map[string]any)["decision"].(map[string]any)["job_id"].(string)

	waited := make(chan map[string]any, 1)
	go func() {
		res, _ := call(t, base, "get_job", map[string]any{"job_id": job, "wait_seconds": 30})
		waited <- res
	}()
	time.Sleep(300 * time.Millisecond) // the call is in flight
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	time.Sleep(100 * time.Millisecond)
	code, body := mcptest.Get(t, base+"/readyz", "")
	assert.Equal(t, 503, code, "readiness fails at once: %s", body)
	assert.Contains(t, body, `"draining":true`)
	res, txt = call(t, base, "list_connectors", map[string]any{"query": "hooli"})
	assert.NotEqual(t, true, res["isError"], "calls are still served during the delay: %s", txt)

	select {
	case res := <-waited:
		sc, _ := res["structuredContent"].(map[string]any)
		assert.Equal(t, "succeeded", sc["status"], "the call in flight finished with its answer: %v", res)
	case <-time.After(25 * time.Second):
		t.Fatal("the call in flight never answered")
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		assert.NoError(t, err, "a stop asked for exits 0")
	case <-time.After(25 * time.Second):
		t.Fatal("the server did not stop")
	}
}
