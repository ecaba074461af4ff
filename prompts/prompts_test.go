package prompts_test

import (
	"context"
	"flag"
	"github.com/basiq-mcp/basiq-mcp/tools/guard"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/basiq-mcp/basiq-mcp/prompts"
	"github.com/basiq-mcp/basiq-mcp/testdata/mcptest"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func newClient(t *testing.T) *client.Client {
	s := server.NewMCPServer("t", "1", server.WithPromptCapabilities(false))
	prompts.Register(s, func(string) bool { return true }, guard.NewAccess(nil))
	return mcptest.Connect(t, s, "prompts-test")
}

func get(c *client.Client, name string, args map[string]string) (string, error) {
	req := mcp.GetPromptRequest{}
	req.Params.Name, req.Params.Arguments = name, args
	res, err := c.GetPrompt(context.Background(), req)
	if err != nil {
		return "", err
	}
	return res.Messages[0].Content.(mcp.TextContent).Text, nil
}

func TestPromptListGolden(t *testing.T) {
	c := newClient(t)
	list, err := c.ListPrompts(context.Background(), mcp.ListPromptsRequest{})
	require.NoError(t, err)
	require.Len(t, list.Prompts, 4)
	for _, p := range list.Prompts {
		assert.NotEmpty(t, p.Description, p.Name)
		for _, a := range p.Arguments {
			assert.NotEmpty(t, a.Description, "%s.%s is documented", p.Name, a.Name)
		}
	}
	mcptest.Golden(t, filepath.Join("..", "testdata", "prompts.golden.json"), list.Prompts, *update, "go test ./prompts -update")
}

// toolish matches words shaped like this server's tool names.
var toolish = regexp.MustCompile(`\b(?:(?:list|get|create|refresh|check|purge|delete|search|answer|diagnose|complete)_[a-z_]+|support_queue)\b`)

func TestPromptsRenderAndNameOnlyTheirTools(t *testing.T) {
	c := newClient(t)
	args := map[string]map[string]string{
		"connect_bank":            {"customer_email": "ada@example.com"},
		"troubleshoot_connection": {"user_id": "u-1", "connection_id": "c-1"},
		"affordability_review":    {"user_id": "u-1", "months": "3"},
		"explain_spending":        {"user_id": "u-1", "from_date": "2026-01-01", "to_date": "2026-03-31"},
	}
	for _, p := range prompts.All() {
		text, err := get(c, p.Def.Name, args[p.Def.Name])
		require.NoError(t, err, p.Def.Name)
		named := map[string]bool{}
		for _, m := range toolish.FindAllString(text, -1) {
			named[m] = true
		}
		declared := map[string]bool{}
		for _, tl := range p.Tools {
			declared[tl] = true
			assert.True(t, named[tl], "%s declares %s but its text does not name it", p.Def.Name, tl)
		}
		for tl := range named {
			assert.True(t, declared[tl], "%s names %s without declaring it", p.Def.Name, tl)
		}
	}
}

func TestPromptArgumentsAreChecked(t *testing.T) {
	c := newClient(t)
	cases := []struct {
		name string
		args map[string]string
		want string
	}{
		{"troubleshoot_connection", map[string]string{}, `needs the argument "user_id"`},
		{"troubleshoot_connection", map[string]string{"user_id": "../token"}, `user_id "../token" is not valid`},
		{"explain_spending", map[string]string{"user_id": "u", "from_date": "yesterday"}, "YYYY-MM-DD"},
		{"explain_spending", map[string]string{"user_id": "u", "from_date": "2026-03-01", "to_date": "2026-01-01"}, "before from_date"},
		{"affordability_review", map[string]string{"user_id": "u", "months": "99"}, "1 to 24"},
		{"connect_bank", map[string]string{}, "customer_email or customer_mobile"},
		{"connect_bank", map[string]string{"customer_email": "a@b.co", "extra": "x"}, `no argument "extra"`},
	}
	for _, tc := range cases {
		_, err := get(c, tc.name, tc.args)
		assert.ErrorContains(t, err, tc.want, tc.name)
	}
	_, err := get(c, "no_such_prompt", nil)
	assert.Error(t, err)
}
