package hosting_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/testdata/mcptest"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestQueueSubscriberHearsOfEveryCustomer: a session subscribed to
// basiq://support/queue hears within seconds of Basiq's webhook that a
// customer changed, and reading the queue then shows the change.
func TestQueueSubscriberHearsOfEveryCustomer(t *testing.T) {
	t.Parallel()
	sim, base := webhookFed(t, "queue-key", "the queue test's webhook secret.")
	target := activeCustomers(t, sim, 1)[0]

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	//lint:ignore SA1019 the legacy subscription flow, with its GET stream
	c := httpClient(t, base, transport.WithContinuousListening())
	require.NoError(t, c.Start(ctx))
	defer c.Close()
	var mu sync.Mutex
	heard := 0
	c.OnNotification(func(n mcp.JSONRPCNotification) {
		if n.Method == mcp.MethodNotificationResourceUpdated && n.Params.AdditionalFields["uri"] == "basiq://support/queue" {
			mu.Lock()
			heard++
			mu.Unlock()
		}
	})
	subscribeLegacy(t, ctx, c, "basiq://support/queue")
	read := func() string {
		res, err := c.ReadResource(ctx, mcp.ReadResourceRequest{Params: mcp.ReadResourceParams{URI: "basiq://support/queue"}})
		require.NoError(t, err)
		return res.Contents[0].(mcp.TextResourceContents).Text
	}
	require.NotContains(t, read(), target.ConnectionID, "an active connection is not in the queue")
	time.Sleep(300 * time.Millisecond) // the GET stream is open

	require.NoError(t, mcptest.SimControl(sim.URL, "queue-key", "/_sim/connections/"+target.ConnectionID+"/invalidate"))
	require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return heard > 0 }, 5*time.Second, 20*time.Millisecond,
		"the queue's subscriber hears within 5 s")
	assert.Contains(t, read(), target.ConnectionID, "the queue read after the notice shows the change")
}
