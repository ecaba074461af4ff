package hosting_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq/basiqtest"
	"github.com/basiq-mcp/basiq-mcp/testdata/mcptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAuditAfterKillNine: a replica is killed with SIGKILL while Basiq has
// carried out its create_user and not yet answered (no stop code runs).
// The client's retry through a fresh process waits out the dead one's
// lease, finds the customer at Basiq and replays it; the audit then holds,
// under the create's attempt id, the dead process's attempt, exactly one
// terminal outcome naming the customer, and the replay. Basiq made one
// customer.
func TestAuditAfterKillNine(t *testing.T) {
	t.Parallel()
	sim := basiqtest.NewServer(basiqtest.WithAPIKey("crash-key"), basiqtest.WithTimeScale(0.01))
	t.Cleanup(sim.Close)
	// Carried out, then the answer is held for a minute: the process dies
	// first.
	sim.InjectFault(basiqtest.Fault{Kind: basiqtest.FaultLoseAnswer, Method: http.MethodPost, Path: "/users", Latency: time.Minute, Times: 1})
	dir := t.TempDir()
	env := sandboxEnv("BASIQ_API_KEY=crash-key", "BASIQ_BASE_URL="+sim.URL)
	flags := []string{"--transport", "http", "--state-dir", dir, "--index-share", "0", "--events-poll", "0"}
	first, proc := mcptest.StartProcess(t, binary, env, flags...)
	args := map[string]any{"email": "crash@example.com", "mobile": "+61400999111", "first_name": "Crash", "idempotency_key": "crash-key-1"}

	go createAndForget(first, args) // its answer never comes
	require.Eventually(t, func() bool { return sim.Calls("POST /users") == 1 }, 10*time.Second, 10*time.Millisecond, "Basiq carries the create out")
	time.Sleep(100 * time.Millisecond) // the attempt line is written before the request is sent
	require.NoError(t, proc.Kill())

	second := mcptest.StartServer(t, binary, env, flags...)
	var res map[string]any
	var txt string
	require.Eventually(t, func() bool { // the dead process's lease runs out first
		res, txt = call(t, second, "create_user", args)
		return res["isError"] != true || !strings.Contains(txt, "still being carried out")
	}, 40*time.Second, time.Second)
	require.NotEqual(t, true, res["isError"], txt)
	made := res["structuredContent"].(map[string]any)["id"]

	require.Equal(t, []string{made.(string)}, sim.UsersWithEmail("crash@example.com"), "Basiq made one customer, the one replayed")

	var decisions []string
	terminal := 0
	f, err := os.Open(filepath.Join(dir, "audit.jsonl"))
	require.NoError(t, err)
	defer f.Close()
	for lines := bufio.NewScanner(f); lines.Scan(); {
		var e struct{ Tool, Decision, UserID, Attempt, Reason string }
		require.NoError(t, json.Unmarshal(lines.Bytes(), &e))
		if e.Tool != "create_user" {
			continue
		}
		decisions = append(decisions, e.Decision)
		assert.NotEmpty(t, e.Attempt)
		if e.Decision == "created" {
			terminal++
			assert.Equal(t, made, e.UserID, "the outcome names the customer")
		}
	}
	assert.Equal(t, []string{"attempt", "created", "replayed"}, decisions)
	assert.Equal(t, 1, terminal, "one terminal outcome for one write at Basiq")
}

// TestAbandonedCreateIsSettledWithoutARetry: after a replica is killed
// mid-create and no client ever retries, another process of the
// deployment finds the create left sending, looks it up at Basiq, and
// writes its outcome (created, naming the customer) under its attempt id;
// a late retry with the key then replays it.
func TestAbandonedCreateIsSettledWithoutARetry(t *testing.T) {
	t.Parallel()
	sim := basiqtest.NewServer(basiqtest.WithAPIKey("abandon-key"), basiqtest.WithTimeScale(0.01))
	t.Cleanup(sim.Close)
	sim.InjectFault(basiqtest.Fault{Kind: basiqtest.FaultLoseAnswer, Method: http.MethodPost, Path: "/users", Latency: time.Minute, Times: 1})
	dir := t.TempDir()
	env := sandboxEnv("BASIQ_API_KEY=abandon-key", "BASIQ_BASE_URL="+sim.URL)
	flags := []string{"--transport", "http", "--state-dir", dir, "--index-share", "0", "--events-poll", "0", "--background-delay", "0s"}
	first, proc := mcptest.StartProcess(t, binary, env, flags...)
	args := map[string]any{"email": "abandoned@example.com", "first_name": "Left", "idempotency_key": "abandoned-key-1"}
	go createAndForget(first, args) // its answer never comes
	require.Eventually(t, func() bool { return sim.Calls("POST /users") == 1 }, 10*time.Second, 10*time.Millisecond)
	time.Sleep(100 * time.Millisecond)
	require.NoError(t, proc.Kill())

	second := mcptest.StartServer(t, binary, env, flags...)
	var made string
	require.Eventually(t, func() bool {
		for _, e := range auditOf(t, dir) {
			if e.Tool == "create_user" && e.Decision == "created" {
				made = e.UserID
				return true
			}
		}
		return false
	}, 60*time.Second, 500*time.Millisecond, "the create's outcome is written without a retry")
	require.Equal(t, []string{made}, sim.UsersWithEmail("abandoned@example.com"))
	res, txt := call(t, second, "create_user", args)
	require.NotEqual(t, true, res["isError"], txt)
	assert.Equal(t, made, res["structuredContent"].(map[string]any)["id"], "a late retry replays it")
	var decisions []string
	for _, e := range auditOf(t, dir) {
		if e.Tool == "create_user" {
			decisions = append(decisions, e.Decision)
		}
	}
	assert.Equal(t, []string{"attempt", "created", "replayed"}, decisions)
}

type auditLine struct{ Tool, Decision, UserID, Attempt, Reason string }

func auditOf(t *testing.T, dir string) []auditLine {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "audit.jsonl"))
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []auditLine
	for lines := bufio.NewScanner(f); lines.Scan(); {
		var e auditLine
		if json.Unmarshal(lines.Bytes(), &e) == nil {
			out = append(out, e)
		}
	}
	return out
}

// createAndForget sends one stateless create_user call and drops whatever
// comes back: the test kills the process before it answers.
func createAndForget(base string, args map[string]any) {
	req := mcptest.StatelessRequest(base+"/mcp", "tools/call", map[string]any{"name": "create_user", "arguments": args}, nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
}
