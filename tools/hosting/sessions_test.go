package hosting_test

import (
	"context"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/testdata/mcptest"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSessionsPerClientAreCapped: a client address holds at most
// --sessions-per-client sessions; a new one ends the least recently used,
// whose next request is refused as an ended session, while the others go on.
func TestSessionsPerClientAreCapped(t *testing.T) {
	base := mcptest.StartServer(t, binary, sandboxEnv(), "--transport", "http", "--sessions-per-client", "2")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	open := func() *client.Client {
		c, err := client.NewStreamableHttpClient(base + "/mcp")
		require.NoError(t, err)
		require.NoError(t, c.Start(ctx))
		t.Cleanup(func() { c.Close() })
		mcptest.Initialize(t, ctx, c)
		return c
	}
	ping := func(c *client.Client) error {
		_, err := c.ListResourceTemplates(ctx, mcp.ListResourceTemplatesRequest{})
		return err
	}
	first, second := open(), open()
	require.NoError(t, ping(second))
	require.NoError(t, ping(first)) // first is now the most recently used
	third := open()                 // ends second, the least recently used
	assert.NoError(t, ping(first))
	assert.NoError(t, ping(third))
	err := ping(second)
	assert.Error(t, err, "the least recently used session was ended")
	_, lerr := third.ListTools(ctx, mcp.ListToolsRequest{})
	assert.NoError(t, lerr)
}
