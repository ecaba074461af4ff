package guard_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/basiq/basiqtest"
	"github.com/basiq-mcp/basiq-mcp/testdata/mcptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests run the guardrails the way people run the server: several
// basiq-mcp processes on one state file (editors each starting one, a
// script calling basiq-mcp call), restarts, and HTTP replicas on one Redis
// behind a round-robin balancer, all against one simulator that counts
// what reaches it.

// realEnv points the binary at sim as if it were Basiq, with its own state.
func realEnv(sim *basiqtest.Server, state string, extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "BASIQ_") {
			env = append(env, kv)
		}
	}
	return append(append(env, "NO_COLOR=1", "BASIQ_API_KEY=replica-test-key", "BASIQ_BASE_URL="+sim.URL,
		"BASIQ_MCP_STATE_DIR="+state, "BASIQ_MCP_DOCS_URL=off", "BASIQ_MCP_LOG_LEVEL=warn"), extra...)
}

// refreshable picks n connections every rule allows to refresh now: active,
// at an operational bank, with no job in the last two hours.
func refreshable(t *testing.T, sim *basiqtest.Server, n int) []basiqtest.SeededConnection {
	client, err := basiq.NewClient("k", basiq.WithBaseURL(sim.URL))
	require.NoError(t, err)
	var out []basiqtest.SeededConnection
	for _, c := range sim.Connections() {
		if c.Status != "active" || c.InstitutionID != "AU00000" || c.FailCode != "" || time.Since(c.LastUsed) < 2*time.Hour {
			continue
		}
		jobs, err := client.ListUserJobs(context.Background(), c.UserID, c.ConnectionID)
		require.NoError(t, err)
		recent := false
		for _, j := range jobs.Data {
			recent = recent || time.Since(j.Created.Time) < 2*time.Hour
		}
		if !recent {
			out = append(out, c)
		}
		if len(out) == n {
			break
		}
	}
	require.GreaterOrEqual(t, len(out), n, "the simulator has enough refreshable connections")
	return out[:n]
}

func refreshArgs(c basiqtest.SeededConnection) string {
	return fmt.Sprintf(`{"user_id":%q,"connection_id":%q}`, c.UserID, c.ConnectionID)
}

func sent(sim *basiqtest.Server, conns []basiqtest.SeededConnection) (total, most int) {
	for _, c := range conns {
		n := sim.RefreshRequests(c.ConnectionID)
		total += n
		most = max(most, n)
	}
	return total, most
}

// TestProcessesShareOneStateFile: 20 processes refreshing 20 connections at
// once share one budget (5 here); 10 processes refreshing one connection
// send one refresh; a restart remembers both.
func TestProcessesShareOneStateFile(t *testing.T) {
	bin := mcptest.Binary(t, "../..")
	sim := basiqtest.NewServer(basiqtest.WithTimeScale(0.01))
	t.Cleanup(sim.Close)
	state := t.TempDir()
	env := realEnv(sim, state, "BASIQ_MCP_REFRESH_BUDGET=5")
	conns := refreshable(t, sim, 21)
	run := func(args string) (string, error) {
		cmd := exec.Command(bin, "call", "refresh_connection", args)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	var wg sync.WaitGroup
	for _, c := range conns[:20] {
		wg.Add(1)
		go func() { defer wg.Done(); run(refreshArgs(c)) }()
	}
	wg.Wait()
	total, most := sent(sim, conns[:20])
	assert.Equal(t, 5, total, "20 processes, one budget of 5")
	assert.Equal(t, 1, most)
	out, _ := run(refreshArgs(conns[20])) // a new process: a restart remembers the budget
	assert.Contains(t, out, "budget")
	assert.Zero(t, sim.RefreshRequests(conns[20].ConnectionID))

	one := refreshable(t, sim, 21)[20]
	fresh := realEnv(sim, t.TempDir())
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(bin, "call", "refresh_connection", refreshArgs(one))
			cmd.Env = fresh
			cmd.Run()
		}()
	}
	wg.Wait()
	assert.Equal(t, 1, sim.RefreshRequests(one.ConnectionID), "10 processes, one connection: one refresh")
}

// replica is one basiq-mcp HTTP server.
type replica struct{ url string }

func startReplica(t *testing.T, bin string, env []string) replica {
	t.Helper()
	return replica{mcptest.StartServer(t, bin, append(env, "BASIQ_MCP_LOG_LEVEL=info"), "--transport", "http", "--toolsets", "all", "--allow-destructive")}
}

// roundRobin is the load balancer: each request goes to the next replica.
func roundRobin(t *testing.T, replicas []replica) string {
	var n atomic.Uint64
	lb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		target, _ := url.Parse(replicas[int(n.Add(1))%len(replicas)].url)
		r.URL.Scheme, r.URL.Host, r.Host, r.RequestURI = target.Scheme, target.Host, target.Host, ""
		resp, err := http.DefaultTransport.RoundTrip(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		buf := new(bytes.Buffer)
		buf.ReadFrom(resp.Body)
		w.Write(buf.Bytes())
	}))
	t.Cleanup(lb.Close)
	return lb.URL
}

// callStateless sends one tools/call as a stateless 2026-07-28 request and
// returns the tool result (structured content and the error flag).
func callStateless(t *testing.T, base, tool string, args map[string]any) (map[string]any, bool) {
	t.Helper()
	meta := map[string]any{"io.modelcontextprotocol/protocolVersion": "2026-07-28",
		"io.modelcontextprotocol/clientInfo": map[string]any{"name": "replica-test", "version": "1"}, "io.modelcontextprotocol/clientCapabilities": map[string]any{}}
	body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": "tools/call",
		"params": map[string]any{"name": tool, "arguments": args, "_meta": meta}})
	req, _ := http.NewRequest(http.MethodPost, base+"/mcp", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("MCP-Protocol-Version", "2026-07-28")
	req.Header.Set("Mcp-Method", "tools/call")
	req.Header.Set("Mcp-Name", tool)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw := new(bytes.Buffer)
	raw.ReadFrom(resp.Body)
	payload := raw.Bytes()
	if i := bytes.Index(payload, []byte("data: ")); i >= 0 { // an event stream with one message
		payload = bytes.TrimSpace(bytes.SplitN(payload[i+6:], []byte("\n"), 2)[0])
	}
	var msg struct {
		Result struct {
			IsError           bool           `json:"isError"`
			StructuredContent map[string]any `json:"structuredContent"`
			Content           []struct{ Text string }
		}
		Error *struct{ Message string }
	}
	require.NoError(t, json.Unmarshal(payload, &msg), "%s", payload)
	require.Nil(t, msg.Error, "%s: protocol error", tool)
	if msg.Result.IsError && len(msg.Result.Content) > 0 {
		return map[string]any{"error": msg.Result.Content[0].Text}, true
	}
	return msg.Result.StructuredContent, msg.Result.IsError
}

// TestReplicasOnOneRedis: three streamable-HTTP replicas on one Redis,
// behind a round-robin balancer, driven concurrently, allow exactly what one
// server allows: one budget, one refresh per connection, one use of a
// confirmation, one user per idempotency key, one token request.
func TestReplicasOnOneRedis(t *testing.T) {
	redis := redisURL(t, 2)
	bin := mcptest.Binary(t, "../..")
	sim := basiqtest.NewServer(basiqtest.WithTimeScale(0.01))
	t.Cleanup(sim.Close)
	key := strings.Repeat("5a", 32)
	var replicas []replica
	for range 3 {
		replicas = append(replicas, startReplica(t, bin, realEnv(sim, t.TempDir(), "BASIQ_MCP_STATE_URL="+redis,
			"BASIQ_MCP_CONFIRM_KEY="+key, "BASIQ_MCP_REFRESH_BUDGET=6", "BASIQ_MCP_REFRESH_BULK_CUSTOMERS=0"))) // the budget is what this test counts
	}
	lb := roundRobin(t, replicas)
	conns := refreshable(t, sim, 12)
	tokens := sim.Calls("POST /token") // the test's own look at the jobs took one

	var wg sync.WaitGroup
	for i := range 36 { // three calls per connection, all at once
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := conns[i%len(conns)]
			callStateless(t, lb, "refresh_connection", map[string]any{"user_id": c.UserID, "connection_id": c.ConnectionID})
		}()
	}
	wg.Wait()
	total, most := sent(sim, conns)
	assert.Equal(t, 6, total, "36 calls over 3 replicas, one budget of 6")
	assert.Equal(t, 1, most, "never two refreshes of one connection")
	assert.Equal(t, tokens+1, sim.Calls("POST /token"), "three replicas share one server token")

	before := sim.Calls("POST /users")
	var created sync.Map
	for range 9 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, isErr := callStateless(t, lb, "create_user", map[string]any{"email": "replica@example.com", "idempotency_key": "replica-key-0001"})
			if !isErr {
				created.Store(out["id"], true)
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, before+1, sim.Calls("POST /users"), "one idempotency key, one user, across replicas")
	n := 0
	created.Range(func(any, any) bool { n++; return true })
	assert.Equal(t, 1, n, "every answer names the same user")

	target := conns[0]
	preview, isErr := callStateless(t, lb, "delete_connection", map[string]any{"user_id": target.UserID, "connection_id": target.ConnectionID})
	require.False(t, isErr, "%v", preview)
	var deleted, told atomic.Int32
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, isErr := callStateless(t, lb, "delete_connection", map[string]any{"user_id": target.UserID, "connection_id": target.ConnectionID,
				"confirmation_token": preview["confirmation_token"]})
			switch msg, _ := out["message"].(string); {
			case !isErr && strings.HasPrefix(msg, "It was already done"):
				told.Add(1) // it arrived after the delete: the 404 is our own delete's
			case !isErr:
				deleted.Add(1)
			default:
				assert.Contains(t, out["error"], "already used")
			}
		}()
	}
	wg.Wait()
	assert.EqualValues(t, 1, deleted.Load(), "a confirmation is used once, whichever replica sees it")
	assert.Equal(t, 1, sim.Calls("DELETE /users/{userId}/connections/{connectionId}"), "one delete reached Basiq")
}

// TestStoreDownFailsClosed: with the shared store unreachable, the server
// starts, reads work, writes and refreshes are refused with a clear tool
// error, and /healthz says which store it is and that it does not answer.
func TestStoreDownFailsClosed(t *testing.T) {
	bin := mcptest.Binary(t, "../..")
	sim := basiqtest.NewServer(basiqtest.WithTimeScale(0.01))
	t.Cleanup(sim.Close)
	r := startReplica(t, bin, realEnv(sim, t.TempDir(), "BASIQ_MCP_STATE_URL=redis://127.0.0.1:1/0"))
	c := refreshable(t, sim, 1)[0]
	out, isErr := callStateless(t, r.url, "get_user", map[string]any{"user_id": c.UserID})
	assert.False(t, isErr, "reads keep working: %v", out)
	out, isErr = callStateless(t, r.url, "refresh_connection", map[string]any{"user_id": c.UserID, "connection_id": c.ConnectionID})
	assert.True(t, isErr)
	assert.Contains(t, out["error"], "guard store is not answering")
	out, isErr = callStateless(t, r.url, "create_user", map[string]any{"email": "down@example.com"})
	assert.True(t, isErr)
	assert.Contains(t, out["error"], "writes are stopped")
	assert.Zero(t, sim.RefreshRequests(c.ConnectionID))
	resp, err := http.Get(r.url + "/healthz")
	require.NoError(t, err)
	defer resp.Body.Close()
	var health map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&health))
	assert.Equal(t, "redis", health["store"])
	assert.Equal(t, false, health["store_ok"])
	assert.Equal(t, "degraded", health["status"])
}
