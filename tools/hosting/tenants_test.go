package hosting_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq/basiqtest"
	"github.com/basiq-mcp/basiq-mcp/testdata/mcptest"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testRedis is a clean database of the shared test Redis (mcptest.Redis).
func testRedis(t *testing.T, db int) string { return mcptest.Redis(t, db) }

// call makes one stateless tool call on a loopback server without auth.
func call(t *testing.T, base, name string, args map[string]any) (map[string]any, string) {
	t.Helper()
	_, msg := mcptest.StatelessPost(t, base+"/mcp", "tools/call", map[string]any{"name": name, "arguments": args}, map[string]string{"Mcp-Name": name})
	res, ok := msg["result"].(map[string]any)
	require.True(t, ok, "%v", msg)
	return res, res["content"].([]any)[0].(map[string]any)["text"].(string)
}

// TestTwoDeploymentsOnOneRedis: a deployment whose own key Basiq refuses
// cannot read customers with the token another deployment on the same Redis
// database published, and one idempotency key makes a customer in each.
func TestTwoDeploymentsOnOneRedis(t *testing.T) {
	state := testRedis(t, 4)
	sim := basiqtest.NewServer(basiqtest.WithAPIKey("key-of-a"))
	t.Cleanup(sim.Close)
	other := basiqtest.NewServer(basiqtest.WithAPIKey("key-of-b"))
	t.Cleanup(other.Close)
	start := func(key, url string) string {
		return mcptest.StartServer(t, binary, sandboxEnv("BASIQ_API_KEY="+key, "BASIQ_BASE_URL="+url, "BASIQ_MCP_STATE_URL="+state),
			"--transport", "http", "--state-dir", t.TempDir())
	}
	a, refused, b := start("key-of-a", sim.URL), start("a-revoked-key", sim.URL), start("key-of-b", other.URL)
	user := sim.Connections()[0].UserID

	res, txt := call(t, a, "get_user", map[string]any{"user_id": user})
	require.NotEqual(t, true, res["isError"], txt)
	res, txt = call(t, refused, "get_user", map[string]any{"user_id": user})
	assert.Equal(t, true, res["isError"], "a refused key reads nothing with another deployment's token: %s", txt)
	assert.NotContains(t, txt, user+`","`, "no customer data")

	args := map[string]any{"email": "twin@example.com", "mobile": "+61400111333", "first_name": "Twin", "idempotency_key": "same-key-1"}
	resA, txtA := call(t, a, "create_user", args)
	resB, txtB := call(t, b, "create_user", args)
	require.NotEqual(t, true, resA["isError"], txtA)
	require.NotEqual(t, true, resB["isError"], txtB)
	assert.NotContains(t, txtB, "replayed", "deployment b's create is its own, not a's replayed")
}

// TestQuotasHoldAcrossReplicas: fifty simultaneous calls of one OAuth
// caller spread over three replicas on one Redis, against a quota of five,
// send exactly five: reports (Basiq bills each) and refreshes alike.
func TestQuotasHoldAcrossReplicas(t *testing.T) {
	state := testRedis(t, 5)
	sim := basiqtest.NewServer(basiqtest.WithAPIKey("replica-key"))
	t.Cleanup(sim.Close)
	is := mcptest.NewIssuer(t)
	var replicas []string
	for range 3 {
		replicas = append(replicas, mcptest.StartServer(t, binary, sandboxEnv("BASIQ_API_KEY=replica-key", "BASIQ_BASE_URL="+sim.URL,
			"BASIQ_MCP_STATE_URL="+state, "BASIQ_MCP_OAUTH_ISSUER="+is.URL, "BASIQ_MCP_OAUTH_AUDIENCE="+frontAudience),
			"--transport", "http", "--state-dir", t.TempDir(), "--caller-reports-per-day", "5", "--caller-refreshes-per-hour", "5",
			"--refresh-mode", "off"))
	}
	token := is.Token(t, frontAudience, "basiq:read basiq:write basiq:refresh")
	conns := sim.Connections()
	from := time.Now().AddDate(0, -3, 0).Format(time.DateOnly)
	var wg sync.WaitGroup
	var refused atomic.Int32
	for i := range 50 {
		wg.Go(func() {
			base := replicas[i%3]
			c := conns[i%len(conns)]
			for _, req := range []struct {
				name string
				args map[string]any
			}{
				{"create_report", map[string]any{"report_type": "CON_AFFOR_01", "title": fmt.Sprintf("Review %d", i), "user_id": c.UserID, "from_date": from}},
				{"refresh_connection", map[string]any{"user_id": c.UserID, "connection_id": c.ConnectionID}},
			} {
				_, msg := mcptest.StatelessPost(t, base+"/mcp", "tools/call", map[string]any{"name": req.name, "arguments": req.args},
					map[string]string{"Authorization": "Bearer " + token, "Mcp-Name": req.name})
				if res, ok := msg["result"].(map[string]any); ok && strings.Contains(fmt.Sprint(res["content"]), "quota of 5") {
					refused.Add(1)
				}
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 5, sim.Calls("POST /reports"), "exactly five reports reached Basiq")
	refreshes := 0
	for _, c := range conns {
		refreshes += sim.RefreshRequests(c.ConnectionID)
	}
	assert.Equal(t, 5, refreshes, "exactly five refreshes reached Basiq")
	assert.EqualValues(t, 90, refused.Load(), "every other call was refused by the caller's quota")
}

// TestStoreThatComesBackEmpty: Redis emptied (a restart without persistence)
// between two creates with one idempotency key makes one customer, not two:
// the second create first finds the first one at Basiq. The refresh budget
// starts spent.
func TestStoreThatComesBackEmpty(t *testing.T) {
	state := testRedis(t, 6)
	sim := basiqtest.NewServer(basiqtest.WithAPIKey("empty-key"))
	t.Cleanup(sim.Close)
	base := mcptest.StartServer(t, binary, sandboxEnv("BASIQ_API_KEY=empty-key", "BASIQ_BASE_URL="+sim.URL, "BASIQ_MCP_STATE_URL="+state),
		"--transport", "http", "--state-dir", t.TempDir(), "--refresh-cooldown", "1s")
	args := map[string]any{"email": "once@example.com", "mobile": "+61400111444", "first_name": "Once", "idempotency_key": "onboard-once"}
	res, first := call(t, base, "create_user", args)
	require.NotEqual(t, true, res["isError"], first)
	before := sim.Calls("POST /users")

	opt, err := redis.ParseURL(state)
	require.NoError(t, err)
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	require.NoError(t, rdb.FlushDB(context.Background()).Err(), "Redis comes back empty")

	res, second := call(t, base, "create_user", args)
	require.NotEqual(t, true, res["isError"], second)
	assert.Equal(t, before, sim.Calls("POST /users"), "no second customer was created")
	assert.Equal(t, res["structuredContent"].(map[string]any)["id"], firstID(t, first), "the first customer is answered")

	var target basiqtest.SeededConnection
	for _, c := range sim.Connections() {
		if c.Status == "active" && c.FailCode == "" {
			target = c
			break
		}
	}
	_, txt := call(t, base, "refresh_connection", map[string]any{"user_id": target.UserID, "connection_id": target.ConnectionID, "dry_run": true})
	assert.Contains(t, txt, "refresh budget shared by this deployment", "the budget starts spent after the store was emptied")
}

func firstID(t *testing.T, text string) string {
	var u struct{ ID string }
	require.NoError(t, json.Unmarshal([]byte(text), &u))
	return u.ID
}
