package main

import (
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq/basiqtest"
	"github.com/basiq-mcp/basiq-mcp/testdata/mcptest"
	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOfficialGoSDKClient: the official Go SDK's client, which asks for
// the stateless 2026-07-28 protocol first (server/discover) and falls back
// to initialize at 2025-11-25, works the server over stdio, streamable
// HTTP and legacy SSE, at the protocol it chooses (2026-07-28 on every
// transport) and at 2025-11-25. Each
// run has a server of its own (sandbox, its own guard state) and checks
// every tool's schemas, results against their output schemas, a prompt
// and the completion of its customer argument, progress and a ping during
// a call, a cancelled call, a destructive call confirmed by
// the SDK's user (or by the model's token where the session cannot ask),
// and the error codes of a bad prompt and an unknown resource.
func TestOfficialGoSDKClient(t *testing.T) {
	t.Parallel()
	transports := map[string]func(t *testing.T, env []string) sdk.Transport{
		"stdio": func(_ *testing.T, env []string) sdk.Transport {
			cmd := exec.Command(binary)
			cmd.Env = env
			return &sdk.CommandTransport{Command: cmd}
		},
		"http": func(t *testing.T, env []string) sdk.Transport {
			base, _, _ := startServer(t, env, "--transport", "http")
			return &sdk.StreamableClientTransport{Endpoint: base + "/mcp", MaxRetries: -1}
		},
		"sse": func(t *testing.T, env []string) sdk.Transport {
			base, _, _ := startServer(t, env, "--transport", "sse")
			return &sdk.SSEClientTransport{Endpoint: base + "/sse"}
		},
	}
	for name, transport := range transports {
		for _, version := range []string{"", "2025-11-25"} {
			t.Run(name+"/"+map[string]string{"": "sdk's choice"}[version]+version, func(t *testing.T) {
				t.Parallel()
				env := mcptest.SandboxEnv(t.TempDir(), "BASIQ_MCP_ALLOW_DESTRUCTIVE=true")
				goSDKSession(t, transport(t, env), version, name == "sse")
			})
		}
	}
}

// goSDKUser is the SDK client's side: the progress it heard and the
// questions put to its user, who types what typed holds.
type goSDKUser struct {
	mu       sync.Mutex
	progress []float64
	asked    []string
	typed    string
}

func (u *goSDKUser) options() *sdk.ClientOptions {
	return &sdk.ClientOptions{
		ProgressNotificationHandler: func(_ context.Context, r *sdk.ProgressNotificationClientRequest) {
			u.mu.Lock()
			defer u.mu.Unlock()
			u.progress = append(u.progress, r.Params.Progress)
		},
		ElicitationHandler: func(_ context.Context, r *sdk.ElicitRequest) (*sdk.ElicitResult, error) {
			u.mu.Lock()
			defer u.mu.Unlock()
			u.asked = append(u.asked, r.Params.Message)
			return &sdk.ElicitResult{Action: "accept", Content: map[string]any{"id": u.typed}}, nil
		},
	}
}

func (u *goSDKUser) heard() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.progress)
}

// goSDKSession runs the checks over one connection. Before 2026-07-28 a
// question reaches the client as a request mid-call, which legacy SSE
// (legacySSE) cannot carry; at 2026-07-28 it comes in the result, and ping
// is no longer part of the protocol.
func goSDKSession(t *testing.T, transport sdk.Transport, version string, legacySSE bool) {
	ctx := context.Background()
	user := &goSDKUser{}
	client := sdk.NewClient(&sdk.Implementation{Name: "go-sdk-interop", Version: "1"}, user.options())
	cs, err := client.Connect(ctx, transport, &sdk.ClientSessionOptions{ProtocolVersion: version})
	require.NoError(t, err)
	defer cs.Close()
	negotiated := cs.InitializeResult().ProtocolVersion
	t.Logf("negotiated %s", negotiated)
	modern := negotiated >= "2026-07-28"
	if version != "" {
		assert.Equal(t, version, negotiated)
	}
	assert.Equal(t, "basiq-mcp", cs.InitializeResult().ServerInfo.Name)

	schemas := map[string]*jsonschema.Schema{}
	for tool, err := range cs.Tools(ctx, nil) {
		require.NoError(t, err)
		assert.NotEmpty(t, tool.Title, tool.Name)
		require.NotNil(t, tool.Annotations, tool.Name)
		schemas[tool.Name] = compileSchema(t, tool.Name, tool.OutputSchema)
		compileSchema(t, tool.Name+" input", tool.InputSchema)
	}
	require.GreaterOrEqual(t, len(schemas), 25, "every tool")
	call := func(name string, args map[string]any) map[string]any {
		t.Helper()
		res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: name, Arguments: args})
		require.NoError(t, err, name)
		require.False(t, res.IsError, "%s: %v", name, res.Content)
		var out any
		b, _ := json.Marshal(res.StructuredContent)
		require.NoError(t, json.Unmarshal(b, &out))
		require.NoError(t, schemas[name].Validate(out), "%s: its result against its output schema", name)
		return out.(map[string]any)
	}
	assert.Equal(t, "defer", call("check_connector_status", map[string]any{"connector_id": "AU00006"})["refresh_now"])
	conn := activeConnection(t, call)
	call("list_transactions", map[string]any{"user_id": conn[0], "limit": 5})
	done, err := cs.Complete(ctx, &sdk.CompleteParams{Ref: &sdk.CompleteReference{Type: "ref/prompt", Name: "troubleshoot_connection"},
		Argument: sdk.CompleteParamsArgument{Name: "user_id", Value: conn[0][:4]}})
	require.NoError(t, err)
	assert.Contains(t, done.Completion.Values, conn[0], "a prompt's customer argument completes")
	prompt, err := cs.GetPrompt(ctx, &sdk.GetPromptParams{Name: "troubleshoot_connection", Arguments: map[string]string{"user_id": conn[0]}})
	require.NoError(t, err)
	require.NotEmpty(t, prompt.Messages)
	assert.Contains(t, prompt.Messages[0].Content.(*sdk.TextContent).Text, "diagnose_connection")

	job := call("refresh_connection", map[string]any{"user_id": conn[0], "connection_id": conn[1]})["decision"].(map[string]any)["job_id"].(string)
	waitCtx, cancel := context.WithCancel(ctx)
	waited := make(chan error, 1)
	go func() {
		_, err := cs.CallTool(waitCtx, &sdk.CallToolParams{Name: "get_job", Arguments: map[string]any{"job_id": job, "wait_seconds": 120},
			Meta: sdk.Meta{"progressToken": "wait"}})
		waited <- err
	}()
	require.Eventually(t, func() bool { return user.heard() > 0 }, 10*time.Second, 20*time.Millisecond, "the wait's progress reaches the SDK")
	if !modern {
		require.NoError(t, cs.Ping(ctx, nil), "a ping during the call")
	}
	cancel()
	select {
	case err := <-waited:
		assert.ErrorIs(t, err, context.Canceled)
	case <-time.After(10 * time.Second):
		t.Fatal("the cancelled call did not end")
	}
	assert.Equal(t, "defer", call("check_connector_status", map[string]any{"connector_id": "AU00006"})["refresh_now"], "the session goes on after the cancel")

	confirmDelete(t, cs, call, user, modern || !legacySSE)
	promptErr := rpcCode(cs.GetPrompt(ctx, &sdk.GetPromptParams{Name: "troubleshoot_connection", Arguments: map[string]string{}}))
	assert.Equal(t, int64(jsonrpc.CodeInvalidParams), promptErr, "a prompt missing its argument")
	resourceErr := rpcCode(cs.ReadResource(ctx, &sdk.ReadResourceParams{URI: "basiq://users/u-nobody"}))
	assert.Equal(t, map[bool]int64{false: -32002, true: jsonrpc.CodeInvalidParams}[modern], resourceErr, "an unknown resource (-32002; -32602 on 2026-07-28)")
	guide, err := cs.ReadResource(ctx, &sdk.ReadResourceParams{URI: "basiq://docs/getting-started"})
	require.NoError(t, err)
	assert.Contains(t, guide.Contents[0].Text, "consent link")
}

// activeConnection finds a customer's active connection through the tools.
func activeConnection(t *testing.T, call func(string, map[string]any) map[string]any) [2]string {
	for _, u := range call("list_users", map[string]any{})["users"].([]any) {
		user := u.(map[string]any)["id"].(string)
		for _, c := range call("list_connections", map[string]any{"user_id": user})["connections"].([]any) {
			if c.(map[string]any)["status"] == "active" {
				return [2]string{user, c.(map[string]any)["id"].(string)}
			}
		}
	}
	t.Fatal("no active connection")
	return [2]string{}
}

// confirmDelete deletes a user it made: the SDK's user types the id when
// the session can ask, the model passes the token back when it cannot.
func confirmDelete(t *testing.T, cs *sdk.ClientSession, call func(string, map[string]any) map[string]any, user *goSDKUser, canAsk bool) {
	id := call("create_user", map[string]any{"email": "go-sdk@example.com", "mobile": "+61400111444"})["id"].(string)
	user.mu.Lock()
	user.typed = id
	user.mu.Unlock()
	out := call("delete_user", map[string]any{"user_id": id})
	if canAsk {
		require.Len(t, user.asked, 1, "the SDK's user is asked once")
		assert.Contains(t, user.asked[0], id)
		assert.Equal(t, "done", out["status"], "%v", out)
		return
	}
	assert.Empty(t, user.asked, "nobody is asked where the session cannot carry the question")
	require.Equal(t, "preview", out["status"], "%v", out)
	out = call("delete_user", map[string]any{"user_id": id, "confirmation_token": out["confirmation_token"]})
	assert.Equal(t, "done", out["status"], "%v", out)
}

// compileSchema compiles a schema the server sent, as a client would.
func compileSchema(t *testing.T, name string, schema any) *jsonschema.Schema {
	t.Helper()
	require.NotNil(t, schema, "%s has a schema", name)
	b, err := json.Marshal(schema)
	require.NoError(t, err)
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(string(b)))
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	require.NoError(t, c.AddResource(name+".json", doc))
	s, err := c.Compile(name + ".json")
	require.NoError(t, err, name)
	return s
}

// rpcCode is the JSON-RPC error code of err, or 0.
func rpcCode[T any](_ T, err error) int64 {
	var e *jsonrpc.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return 0
}

// TestOfficialGoSDKSubscribes: the Go SDK's client subscribes to one
// customer (subscriptions/listen at 2026-07-28, resources/subscribe at
// 2025-11-25) over stdio and streamable HTTP, and hears of that customer's
// invalidated connection, found by the server's poll of Basiq's events,
// and of no other customer's.
func TestOfficialGoSDKSubscribes(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"stdio", "http"} {
		for _, version := range []string{"", "2025-11-25"} {
			t.Run(name+"/"+map[string]string{"": "sdk's choice"}[version]+version, func(t *testing.T) {
				t.Parallel()
				sim := basiqtest.NewServer(basiqtest.WithAPIKey("go-sdk-key"), basiqtest.WithTimeScale(0.01))
				t.Cleanup(sim.Close)
				var mine, other basiqtest.SeededConnection
				for _, c := range sim.Connections() {
					if c.Status == "active" && mine.UserID == "" {
						mine = c
					} else if c.Status == "active" && c.UserID != mine.UserID {
						other = c
						break
					}
				}
				env := mcptest.SandboxEnv(t.TempDir(), "BASIQ_API_KEY=go-sdk-key", "BASIQ_BASE_URL="+sim.URL)
				args := []string{"--events-poll", "200ms", "--background-delay", "0s"}
				var transport sdk.Transport
				if name == "stdio" {
					cmd := exec.Command(binary, args...)
					cmd.Env = env
					transport = &sdk.CommandTransport{Command: cmd}
				} else {
					base, _, _ := startServer(t, env, append(args, "--transport", "http")...)
					transport = &sdk.StreamableClientTransport{Endpoint: base + "/mcp", MaxRetries: -1}
				}
				var heard mcptest.Heard
				client := sdk.NewClient(&sdk.Implementation{Name: "go-sdk-interop", Version: "1"}, &sdk.ClientOptions{
					ResourceUpdatedHandler: func(_ context.Context, r *sdk.ResourceUpdatedNotificationRequest) {
						heard.Add(r.Params.URI)
					}})
				ctx := context.Background()
				cs, err := client.Connect(ctx, transport, &sdk.ClientSessionOptions{ProtocolVersion: version})
				require.NoError(t, err)
				defer cs.Close()
				t.Logf("negotiated %s", cs.InitializeResult().ProtocolVersion)
				uri := "basiq://users/" + mine.UserID
				require.NoError(t, cs.Subscribe(ctx, &sdk.SubscribeParams{URI: uri}))
				heard.OnlyItsCustomer(t, sim.URL, "go-sdk-key", other.ConnectionID, mine.ConnectionID, uri, 10*time.Second)
			})
		}
	}
}
