package tools_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/basiq-mcp/basiq-mcp/testdata/mcptest"
	"github.com/basiq-mcp/basiq-mcp/tools"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// human answers elicitation requests the way a person at the client would.
type human struct {
	action mcp.ElicitationResponseAction
	typed  string
	asked  []string
}

func (h *human) Elicit(_ context.Context, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	h.asked = append(h.asked, req.Params.Message)
	return &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{Action: h.action, Content: map[string]any{"id": h.typed}}}, nil
}

func TestDestructiveToolsAskTheHumanWhenTheClientCan(t *testing.T) {
	h := newHarness(t, tools.Options{AllowDestructive: true})
	conns := h.sim.Connections()
	cases := []struct {
		name   string
		person human
		status string
	}{
		{"declined", human{action: mcp.ElicitationResponseActionDecline}, "not-confirmed"},
		{"wrong id", human{action: mcp.ElicitationResponseActionAccept, typed: "something-else"}, "not-confirmed"},
		{"confirmed", human{action: mcp.ElicitationResponseActionAccept}, "done"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := conns[i*3]
			if tc.person.typed == "" && tc.person.action == mcp.ElicitationResponseActionAccept {
				tc.person.typed = c.ConnectionID
			}
			mc, err := client.NewInProcessClientWithOptions(h.server, client.WithElicitationHandler(&tc.person))
			require.NoError(t, err)
			defer mc.Close()
			ctx := context.Background()
			require.NoError(t, mc.Start(ctx))
			mcptest.InitializeAs(t, ctx, mc, "with-a-human", &mcp.ElicitationCapability{})

			req := mcp.CallToolRequest{}
			req.Params.Name = "delete_connection"
			req.Params.Arguments = obj{"user_id": c.UserID, "connection_id": c.ConnectionID}
			res, err := mc.CallTool(ctx, req)
			require.NoError(t, err)
			require.False(t, res.IsError, text(res))
			require.Len(t, tc.person.asked, 1, "the human was asked once")
			assert.Contains(t, tc.person.asked[0], "type "+c.ConnectionID)
			assert.Equal(t, tc.status, res.StructuredContent.(map[string]any)["status"])
			_, getErr := h.deps.Client.GetConnection(ctx, c.UserID, c.ConnectionID)
			assert.Equal(t, tc.status == "done", getErr != nil, "deleted only when the human typed the id")
		})
	}
}

// TestSessionsThatCannotAskGetTheModelsWay: mcp-go's legacy SSE session
// cannot send a request to the client in the middle of a call, so a
// client there that declares elicitation gets what a client without it
// gets, a preview with a token and a link in the result, never a protocol
// error from a question that could not be put.
func TestSessionsThatCannotAskGetTheModelsWay(t *testing.T) {
	h := newHarness(t, tools.Options{AllowDestructive: true})
	srv := httptest.NewServer(server.NewSSEServer(h.server))
	defer srv.Close()
	tr, err := transport.NewSSE(srv.URL + "/sse")
	require.NoError(t, err)
	person := &human{action: mcp.ElicitationResponseActionAccept}
	mc := client.NewClient(tr, client.WithElicitationHandler(person))
	defer mc.Close()
	ctx := context.Background()
	require.NoError(t, mc.Start(ctx))
	mcptest.InitializeAs(t, ctx, mc, "sse-with-a-human", &mcp.ElicitationCapability{Form: &struct{}{}, URL: &struct{}{}})

	c := h.sim.Connections()[0]
	req := mcp.CallToolRequest{}
	req.Params.Name = "delete_connection"
	req.Params.Arguments = obj{"user_id": c.UserID, "connection_id": c.ConnectionID}
	res, err := mc.CallTool(ctx, req)
	require.NoError(t, err, "not a protocol error")
	require.False(t, res.IsError, text(res))
	out := res.StructuredContent.(map[string]any)
	assert.Equal(t, "preview", out["status"])
	assert.NotEmpty(t, out["confirmation_token"], "the model's two steps instead")

	req.Params.Name, req.Params.Arguments = "create_auth_link", obj{"user_id": c.UserID, "mobile": "+61400111222"}
	res, err = mc.CallTool(ctx, req)
	require.NoError(t, err, "not a protocol error")
	require.False(t, res.IsError, text(res))
	assert.NotEmpty(t, res.StructuredContent.(map[string]any)["url"], "the link in the result")
	assert.Empty(t, person.asked, "nothing was put to the human")
}
