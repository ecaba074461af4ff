package mcptest

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Heard records the resource URIs a subscriber is told have changed,
// whichever client library tells it.
type Heard struct {
	mu   sync.Mutex
	uris []string
}

// Add records one notifications/resources/updated; safe from any goroutine.
func (h *Heard) Add(uri string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.uris = append(h.uris, uri)
}

// OnlyItsCustomer lets the subscription's stream open, changes another
// customer's connection and then the subscriber's own at the simulator
// (as key), and expects to hear of uri alone, once: the first within
// within, and nothing more half a second later.
func (h *Heard) OnlyItsCustomer(t testing.TB, simURL, key, otherConnection, ownConnection, uri string, within time.Duration) {
	t.Helper()
	time.Sleep(500 * time.Millisecond) // the stream is open, the first poll made
	require.NoError(t, SimControl(simURL, key, "/_sim/connections/"+otherConnection+"/invalidate"))
	require.NoError(t, SimControl(simURL, key, "/_sim/connections/"+ownConnection+"/invalidate"))
	require.Eventually(t, func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		return len(h.uris) > 0
	}, within, 20*time.Millisecond, "the subscriber hears of its customer within %s", within)
	time.Sleep(500 * time.Millisecond)
	h.mu.Lock()
	defer h.mu.Unlock()
	assert.Equal(t, []string{uri}, h.uris, "its customer's change, once, and no other customer's")
}
