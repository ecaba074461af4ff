package hosting

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq/basiqtest"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCancelledHTTPCallsAreNotAnswered: a call the client cancels with
// notifications/cancelled ends without an answer to it, whoever runs it:
// the edge (a plain call), mcp-go answering in JSON (a call with _meta),
// or mcp-go streaming progress first. Its POST ends as an event stream
// with no answer in it, and the session goes on.
func TestCancelledHTTPCallsAreNotAnswered(t *testing.T) {
	e := newDirectEdge(t, 30*time.Minute, 0, basiqtest.WithTimeScale(1))
	session, post := e.open(t)
	job := e.refreshJob(t, post)
	cases := []struct{ id, meta string }{
		{"plain", ""},
		{"json", `"_meta":{},`},
		{"progress", `"_meta":{"progressToken":"p1"},`},
	}
	for _, tc := range cases {
		type answer struct {
			status      int
			contentType string
			body        string
		}
		got := make(chan answer, 1)
		go func() {
			msg := `{"jsonrpc":"2.0","id":"` + tc.id + `","method":"tools/call","params":{` + tc.meta + `"name":"get_job","arguments":{"job_id":"` + job + `","wait_seconds":60}}}`
			req, _ := http.NewRequest(http.MethodPost, e.url, bytes.NewBufferString(msg))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			req.Header.Set(server.HeaderKeySessionID, session)
			req.Header.Set(server.HeaderKeyProtocolVersion, "2025-06-18")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				got <- answer{body: err.Error()}
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			got <- answer{resp.StatusCode, resp.Header.Get("Content-Type"), string(b)}
		}()
		time.Sleep(300 * time.Millisecond) // the wait polls the simulator
		status, _ := post(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"` + tc.id + `"}}`)
		require.Equal(t, http.StatusAccepted, status)
		select {
		case a := <-got:
			assert.Equal(t, http.StatusOK, a.status, tc.id)
			assert.True(t, strings.HasPrefix(a.contentType, "text/event-stream"), "%s: %s", tc.id, a.contentType)
			assert.NotContains(t, a.body, `"id":"`+tc.id+`"`, "%s: the cancelled call was answered", tc.id)
			if tc.id == "progress" {
				assert.Contains(t, a.body, `"progressToken":"p1"`, "its progress came before the cancel")
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("%s: the cancelled wait ran on", tc.id)
		}
	}
	_, body := post(`{"jsonrpc":"2.0","id":"after","method":"ping"}`)
	assert.Contains(t, string(body), `"id":"after"`, "the session goes on")
}

// TestStatelessCancelWithoutMetaIsAccepted: at 2026-07-28, a
// notifications/cancelled without _meta (the official Go SDK sends one when
// a call's context ends) is accepted; a request without _meta is still
// refused as mcp-go refuses it.
func TestStatelessCancelWithoutMetaIsAccepted(t *testing.T) {
	e := newDirectEdge(t, 30*time.Minute, 0)
	post := func(msg string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, e.url, bytes.NewBufferString(msg))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set(mcp.HeaderProtocolVersion, "2026-07-28")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	status, _ := post(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":3,"reason":"context canceled"}}`)
	assert.Equal(t, http.StatusAccepted, status, "a cancel without _meta")
	status, _ = post(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":3,"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}`)
	assert.Equal(t, http.StatusAccepted, status, "a cancel with _meta, as mcp-go accepts it")
	status, body := post(`{"jsonrpc":"2.0","id":4,"method":"tools/list","params":{}}`)
	assert.Equal(t, http.StatusBadRequest, status, "a request without _meta: %s", body)
	assert.Contains(t, body, "io.modelcontextprotocol/protocolVersion")
}
