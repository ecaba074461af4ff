package tools_test

import (
	"context"
	"strings"
	"testing"

	"github.com/basiq-mcp/basiq-mcp/testdata/mcptest"
	"github.com/basiq-mcp/basiq-mcp/tools"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// opener is a client's user who is offered pages to open.
type opener struct {
	action  mcp.ElicitationResponseAction
	offered []mcp.ElicitationParams
}

func (o *opener) Elicit(_ context.Context, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	o.offered = append(o.offered, req.Params)
	return &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{Action: o.action}}, nil
}

// TestConsentLinkIsOpenedForTheHuman: a client that can open URLs for its
// user is asked to open the consent page (the simulator's here, as Basiq's
// on a real key), once, and the result is the link that page was; one
// that cannot, or offers only forms, gets the link in the result alone.
func TestConsentLinkIsOpenedForTheHuman(t *testing.T) {
	h := newHarness(t, tools.Options{})
	var users []string
	for _, c := range h.sim.Connections() {
		if len(users) < 3 && (len(users) == 0 || users[len(users)-1] != c.UserID) {
			users = append(users, c.UserID)
		}
	}
	call := func(t *testing.T, caps *mcp.ElicitationCapability, person *opener, user string) *mcp.CallToolResult {
		mc, err := client.NewInProcessClientWithOptions(h.server, client.WithElicitationHandler(person))
		require.NoError(t, err)
		t.Cleanup(func() { mc.Close() })
		ctx := context.Background()
		require.NoError(t, mc.Start(ctx))
		mcptest.InitializeAs(t, ctx, mc, "opens-pages", caps)
		req := mcp.CallToolRequest{}
		req.Params.Name, req.Params.Arguments = "create_auth_link", obj{"user_id": user, "mobile": "+61400111222"}
		res, err := mc.CallTool(ctx, req)
		require.NoError(t, err)
		require.False(t, res.IsError, text(res))
		return res
	}
	t.Run("opened", func(t *testing.T) {
		person := &opener{action: mcp.ElicitationResponseActionAccept}
		res := call(t, &mcp.ElicitationCapability{URL: &struct{}{}}, person, users[0])
		require.Len(t, person.offered, 1, "offered once")
		link := res.StructuredContent.(map[string]any)["url"].(string)
		assert.Equal(t, mcp.ElicitationModeURL, person.offered[0].Mode)
		assert.Equal(t, link, person.offered[0].URL, "the page offered is the link made")
		assert.True(t, strings.HasPrefix(link, h.sim.URL), "the simulator's own consent page")
		assert.Contains(t, res.StructuredContent.(map[string]any)["next_step"], "was opened")
		current, err := h.deps.Client.GetAuthLink(context.Background(), users[0])
		require.NoError(t, err)
		assert.Equal(t, link, current.PublicURL(), "one link made: the answer did not make another")
	})
	t.Run("declined", func(t *testing.T) {
		person := &opener{action: mcp.ElicitationResponseActionDecline}
		res := call(t, &mcp.ElicitationCapability{URL: &struct{}{}}, person, users[1])
		require.Len(t, person.offered, 1)
		assert.Contains(t, res.StructuredContent.(map[string]any)["next_step"], "did not open")
	})
	t.Run("forms only", func(t *testing.T) {
		person := &opener{action: mcp.ElicitationResponseActionAccept}
		res := call(t, &mcp.ElicitationCapability{Form: &struct{}{}}, person, users[2])
		assert.Empty(t, person.offered, "a client that cannot open URLs is not asked")
		assert.NotEmpty(t, res.StructuredContent.(map[string]any)["url"])
	})
}
