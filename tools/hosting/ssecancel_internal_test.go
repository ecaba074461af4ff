package hosting

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq/basiqtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCancelledSSECallsAreNotAnswered: on legacy SSE, a call the client
// cancels gets no answer on the stream, and the session goes on; a cancel
// naming a request already answered does not hide the answer of a later
// request that reuses its id.
func TestCancelledSSECallsAreNotAnswered(t *testing.T) {
	tt := newToolsOnSimulator(t, nil, basiqtest.WithTimeScale(1))
	url := tt.serve(t, Options{Transport: "sse"})

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/sse", nil)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	events := make(chan string, 64)
	go func() {
		lines := bufio.NewScanner(resp.Body)
		for lines.Scan() {
			if data, ok := strings.CutPrefix(lines.Text(), "data: "); ok {
				events <- data
			}
		}
		close(events)
	}()
	next := func() string {
		select {
		case e := <-events:
			return e
		case <-time.After(20 * time.Second):
			t.Fatal("nothing on the stream")
			return ""
		}
	}
	endpoint := next()
	post := func(msg string) {
		r, err := http.Post(url+endpoint, "application/json", bytes.NewBufferString(msg))
		require.NoError(t, err)
		r.Body.Close()
		require.Equal(t, http.StatusAccepted, r.StatusCode)
	}
	post(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`)
	next()
	post(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	c := tt.sim.Connections()[0]
	post(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"refresh_connection","arguments":{"user_id":"` + c.UserID + `","connection_id":"` + c.ConnectionID + `"}}}`)
	job := regexp.MustCompile(`"job_id":"([^"]+)"`).FindStringSubmatch(next())
	require.NotNil(t, job)

	post(`{"jsonrpc":"2.0","id":"wait","method":"tools/call","params":{"name":"get_job","arguments":{"job_id":"` + job[1] + `","wait_seconds":60}}}`)
	time.Sleep(300 * time.Millisecond) // the wait polls the simulator
	post(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"wait"}}`)
	time.Sleep(300 * time.Millisecond) // the cancelled wait ends, unanswered
	post(`{"jsonrpc":"2.0","id":"after","method":"ping"}`)
	got := next()
	assert.NotContains(t, got, `"id":"wait"`, "the cancelled call was answered")
	assert.Contains(t, got, `"id":"after"`, "the session goes on")

	// A late cancel of an answered id does not hide a later answer to that id.
	post(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"after"}}`)
	post(`{"jsonrpc":"2.0","id":"after","method":"ping"}`)
	assert.Contains(t, next(), `"id":"after"`, "the reused id is answered")
}
