package basiq_test

import (
	"context"
	"sync"
	"testing"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/basiq/basiqtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRouteHidesIDs(t *testing.T) {
	for path, want := range map[string]string{
		"/token":                              "/token",
		"/users/u-123/connections/c9/refresh": "/users/{id}/connections/{id}/refresh",
		"/jobs/j1/mfa":                        "/jobs/{id}/mfa",
		"/users/ada/transactions":             "/users/{id}/transactions",
		"/reports/r1":                         "/reports/{id}",
	} {
		assert.Equal(t, want, basiq.Route(path), path)
	}
}

func TestObserverSeesEveryExchange(t *testing.T) {
	sim := basiqtest.NewServer()
	t.Cleanup(sim.Close)
	var mu sync.Mutex
	var seen []basiq.Exchange
	c, err := basiq.NewClient("key", basiq.WithBaseURL(sim.URL), basiq.WithObserver(func(e basiq.Exchange) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, e)
	}))
	require.NoError(t, err)
	require.NoError(t, c.Ready(context.Background()), "a token can be had")
	_, err = c.GetUser(context.Background(), "no-such-user")
	require.Error(t, err)
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, seen, 2)
	assert.Equal(t, basiq.Exchange{Method: "POST", Route: "/token", Status: 200}, basiq.Exchange{Method: seen[0].Method, Route: seen[0].Route, Status: seen[0].Status})
	assert.Equal(t, "/users/{id}", seen[1].Route)
	assert.Equal(t, 404, seen[1].Status)
	assert.False(t, c.BreakerOpen())
}

func TestReadyFailsWithoutAToken(t *testing.T) {
	sim := basiqtest.NewServer(basiqtest.WithAPIKey("the-right-key"))
	t.Cleanup(sim.Close)
	c, err := basiq.NewClient("a-wrong-key", basiq.WithBaseURL(sim.URL))
	require.NoError(t, err)
	err = c.Ready(context.Background())
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "a-wrong-key")
}
