package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"

	"github.com/basiq-mcp/basiq-mcp/testdata/mcptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestVersionAndPlaceholderKey: --version prints what serverInfo and
// /healthz say; a BASIQ_API_KEY left as a client's unfilled placeholder is
// warned about without being printed, and the simulator serves instead.
func TestVersionAndPlaceholderKey(t *testing.T) {
	out, err := exec.Command(binary, "--version").Output()
	require.NoError(t, err)
	line := strings.TrimSpace(string(out))
	require.Regexp(t, `^basiq-mcp (dev(\+[0-9a-f]{12}(\.dirty)?)?|v\d+\.\d+\.\d+\S*)$`, line)
	v := strings.TrimPrefix(line, "basiq-mcp ")

	placeholder := "${user_config.basiq_api_key}"
	cmd := exec.Command(binary)
	cmd.Env = append(sandboxEnv(), "BASIQ_API_KEY="+placeholder)
	var stderr mcptest.LockedBuffer
	cmd.Stderr = &stderr
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	require.NoError(t, cmd.Start())
	answers := bufio.NewScanner(stdout)
	answers.Buffer(make([]byte, 1<<20), 1<<22)
	ask := func(line string) string {
		io.WriteString(stdin, line+"\n")
		require.True(t, answers.Scan(), "an answer; stderr: %s", stderr.String())
		return answers.Text()
	}
	var init struct {
		Result struct {
			ServerInfo struct{ Version string } `json:"serverInfo"`
		}
	}
	require.NoError(t, json.Unmarshal([]byte(ask(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"v","version":"1"}}}`)), &init))
	assert.Equal(t, v, init.Result.ServerInfo.Version, "serverInfo says the same version")
	io.WriteString(stdin, `{"jsonrpc":"2.0","method":"notifications/initialized"}`+"\n")
	assert.Contains(t, ask(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"list_connectors","arguments":{"query":"hooli"}}}`), "Hooli",
		"the simulator answers in place of the placeholder")
	stdin.Close()
	require.NoError(t, cmd.Wait())
	assert.Contains(t, stderr.String(), "BASIQ_API_KEY holds an unfilled placeholder")
	assert.NotContains(t, stderr.String(), placeholder, "the value itself is not printed")

	base := mcptest.StartServer(t, binary, sandboxEnv(), "--transport", "http", "--state-dir", t.TempDir())
	resp, err := http.Get(base + "/healthz")
	require.NoError(t, err)
	defer resp.Body.Close()
	var health map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&health))
	assert.Equal(t, v, health["version"], "/healthz says the same version")
}

// binaryVersion is what the built binary says its version is (go test's
// own build carries no commit, the binary's may).
func binaryVersion(t *testing.T) string {
	out, err := exec.Command(binary, "--version").Output()
	require.NoError(t, err)
	return strings.TrimPrefix(strings.TrimSpace(string(out)), "basiq-mcp ")
}
