package main

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// buildBinary compiles basiq-mcp once per test run.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "basiq-mcp")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, string(out))
	return bin
}

func TestSimulatorCommandServesAndStopsOnSignal(t *testing.T) {
	bin := buildBinary(t)
	cmd := exec.Command(bin, "simulator", "--addr", "127.0.0.1:0", "--time-scale", "0.01")
	cmd.Env = append(os.Environ(), "NO_COLOR=1", "BASIQ_SIMULATOR_API_KEY=pinned-key")
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill() })

	lines := bufio.NewScanner(stderr)
	require.True(t, lines.Scan(), "a first log line")
	m := regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+)`).FindStringSubmatch(lines.Text())
	require.NotNil(t, m, lines.Text())

	ctx := context.Background()
	wrong, err := basiq.NewClient("other-key", basiq.WithBaseURL(m[1]))
	require.NoError(t, err)
	_, err = wrong.ListConnectors(ctx, basiq.ListConnectorsOptions{})
	assert.True(t, basiq.IsAuthFailure(err), "the pinned key is enforced: %v", err)

	c, err := basiq.NewClient("pinned-key", basiq.WithBaseURL(m[1]))
	require.NoError(t, err)
	connectors, err := c.ListConnectors(ctx, basiq.ListConnectorsOptions{ID: "AU00000"})
	require.NoError(t, err)
	assert.Equal(t, "Hooli Bank", connectors.Data[0].Institution.Name)

	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	done := make(chan error, 1)
	go func() {
		for lines.Scan() {
		}
		done <- cmd.Wait()
	}()
	select {
	case err := <-done:
		require.NoError(t, err, "exit status 0 after SIGINT")
	case <-time.After(10 * time.Second):
		t.Fatal("the simulator did not stop on SIGINT")
	}
	rest, _ := bufio.NewReader(stdout).Peek(1)
	assert.Empty(t, rest, "nothing on stdout")
}

func TestUsageAndUnknownCommand(t *testing.T) {
	var b bytes.Buffer
	assert.Equal(t, 2, run(nil, &b))
	assert.Contains(t, b.String(), "basiq-mcp simulator")
	b.Reset()
	assert.Equal(t, 2, run([]string{"frobnicate"}, &b))
	assert.Contains(t, b.String(), `unknown command "frobnicate"`)
	b.Reset()
	assert.Equal(t, 0, run([]string{"simulator", "--help"}, &b))
	assert.Contains(t, b.String(), "BASIQ_SIMULATOR_API_KEY")
	b.Reset()
	assert.Equal(t, 2, run([]string{"simulator", "--time-scale", "0"}, &b))
	assert.Contains(t, b.String(), "--time-scale must be above 0")
}
