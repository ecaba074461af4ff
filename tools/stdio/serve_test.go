package stdio

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// client is the far end of a Serve under test: it writes lines and reads
// the server's, one JSON object each.
type client struct {
	t    *testing.T
	in   *io.PipeWriter
	out  chan map[string]any
	done chan error
}

func newClient(t *testing.T, s *server.MCPServer) *client { return newDirectClient(t, s, nil) }

// newDirectClient is newClient with the tools direct names called
// without the server's decoding.
func newDirectClient(t *testing.T, s *server.MCPServer, direct DirectTool) *client {
	return newClientSeeing(t, s, direct, nil)
}

// newClientSeeing is newDirectClient handing made the server's loop.
func newClientSeeing(t *testing.T, s *server.MCPServer, direct DirectTool, made func(*loop)) *client {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	c := &client{t: t, in: inW, out: make(chan map[string]any, 64), done: make(chan error, 1)}
	go func() {
		c.done <- serve(context.Background(), s, inR, outW, slog.New(slog.DiscardHandler), direct, made)
		outW.Close()
	}()
	go func() {
		sc := bufio.NewScanner(outR)
		for sc.Scan() {
			var m map[string]any
			require.NoError(t, json.Unmarshal(sc.Bytes(), &m), sc.Text())
			c.out <- m
		}
		close(c.out)
	}()
	c.send(`{"jsonrpc":"2.0","id":"init","method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{"elicitation":{}},"clientInfo":{"name":"t","version":"1"}}}`)
	require.Equal(t, "init", c.next()["id"])
	c.send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	return c
}

func (c *client) send(line string) {
	_, err := io.WriteString(c.in, line+"\n")
	require.NoError(c.t, err)
}

func (c *client) next() map[string]any {
	select {
	case m := <-c.out:
		return m
	case <-time.After(10 * time.Second):
		c.t.Fatal("no line from the server")
		return nil
	}
}

func call(id any, tool string) string {
	b, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": id, "method": "tools/call",
		"params": map[string]any{"name": tool, "arguments": map[string]any{}, "_meta": map[string]any{"progressToken": "p"}}})
	return string(b)
}

func text(m map[string]any) string {
	res, _ := m["result"].(map[string]any)
	content, _ := res["content"].([]any)
	if len(content) == 0 {
		return fmt.Sprint(m)
	}
	return content[0].(map[string]any)["text"].(string)
}

// testServer has a tool that waits to be cancelled, one that reports
// progress, one that asks the client a question, and one that panics.
func testServer(cancelled chan<- string) *server.MCPServer {
	s := server.NewMCPServer("t", "1", server.WithToolCapabilities(false), server.WithElicitation())
	s.AddTool(mcp.NewTool("wait"), func(ctx context.Context, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		<-ctx.Done()
		cancelled <- "wait"
		return mcp.NewToolResultText("stopped"), nil
	})
	s.AddTool(mcp.NewTool("progress"), func(ctx context.Context, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		err := server.ServerFromContext(ctx).SendNotificationToClient(ctx, "notifications/progress", map[string]any{"progressToken": "p", "progress": 1})
		return mcp.NewToolResultText(fmt.Sprint("sent ", err)), nil
	})
	s.AddTool(mcp.NewTool("ask"), func(ctx context.Context, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		res, err := server.ServerFromContext(ctx).RequestElicitation(ctx, mcp.ElicitationRequest{Params: mcp.ElicitationParams{
			Message: "name?", RequestedSchema: map[string]any{"type": "object", "properties": map[string]any{"name": map[string]any{"type": "string"}}}}})
		if err != nil {
			return mcp.NewToolResultError(err.Error()), nil
		}
		return mcp.NewToolResultText(fmt.Sprintf("%s %v", res.Action, res.Content)), nil
	})
	s.AddTool(mcp.NewTool("boom"), func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) { panic("boom") })
	return s
}

// TestServeRoutesEveryKindOfMessage: a call waiting on its context does
// not hold up others and is cancelled by notifications/cancelled, which
// leaves it unanswered; a
// call's progress reaches the client before its answer; an elicitation is
// answered in the middle of a call; a panicking handler answers an
// internal error and the session goes on; a line longer than the read
// buffer is read whole; what does not parse gets the server's parse error.
func TestServeRoutesEveryKindOfMessage(t *testing.T) {
	cancelled := make(chan string, 4)
	c := newClient(t, testServer(cancelled))
	c.send(call(7, "wait"))
	c.send(call(8, "progress"))
	note := c.next()
	assert.Equal(t, "notifications/progress", note["method"], "progress first")
	assert.Equal(t, float64(8), c.next()["id"], "a waiting call holds up no other")

	c.send(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":7}}`)
	select {
	case <-cancelled:
	case <-time.After(10 * time.Second):
		t.Fatal("the waiting call was not cancelled")
	}
	// The cancelled call is not answered (the spec: a receiver should not
	// answer; the TypeScript SDK reports an answer to a call it cancelled as
	// a response to an unknown id). Pings answered meanwhile show the
	// session goes on; none of what arrives is an answer to 7.
	for i := range 5 {
		c.send(fmt.Sprintf(`{"jsonrpc":"2.0","id":"ping%d","method":"ping"}`, i))
		time.Sleep(20 * time.Millisecond)
	}
	for i := range 5 {
		m := c.next()
		require.NotEqual(t, float64(7), m["id"], "the cancelled call was answered: %v", m)
		assert.Equal(t, fmt.Sprintf("ping%d", i), m["id"])
	}

	c.send(call("q", "ask"))
	var ask map[string]any
	for ask == nil {
		if m := c.next(); m["method"] == "elicitation/create" {
			ask = m
		}
	}
	c.send(fmt.Sprintf(`{"jsonrpc":"2.0","id":%v,"result":{"action":"accept","content":{"name":"Ada"}}}`, ask["id"]))
	for {
		m := c.next()
		if m["id"] == "q" {
			assert.Equal(t, "accept map[name:Ada]", text(m))
			break
		}
	}

	c.send(call(9, "boom"))
	m := c.next()
	assert.Equal(t, float64(9), m["id"])
	assert.Equal(t, float64(mcp.INTERNAL_ERROR), m["error"].(map[string]any)["code"], "%v", m)

	long := fmt.Sprintf(`{"jsonrpc":"2.0","id":10,"method":"ping","params":{"_meta":{"pad":%q}}}`, strings.Repeat("x", 200<<10))
	c.send(long)
	assert.Equal(t, float64(10), c.next()["id"])
	c.send(`not json`)
	assert.Equal(t, float64(mcp.PARSE_ERROR), c.next()["error"].(map[string]any)["code"])
}

// TestServeEndsWithItsInput: when the client closes stdin, a call still
// running is cancelled and answered, and Serve returns.
func TestServeEndsWithItsInput(t *testing.T) {
	cancelled := make(chan string, 1)
	c := newClient(t, testServer(cancelled))
	c.send(call(1, "wait"))
	time.Sleep(50 * time.Millisecond)
	require.NoError(t, c.in.Close())
	assert.Equal(t, "stopped", text(c.next()))
	select {
	case err := <-c.done:
		assert.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return")
	}
}

// TestServeRefusesAnIDInUse: a request whose id a running call holds is
// refused as mcp-go refuses one (no id, invalid request), also when the
// running call is one the loop makes itself, which mcp-go does not know.
func TestServeRefusesAnIDInUse(t *testing.T) {
	release := make(chan struct{})
	slow := func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		<-release
		return mcp.NewToolResultText("done"), nil
	}
	s := server.NewMCPServer("t", "1", server.WithToolCapabilities(false))
	s.AddTool(mcp.NewTool("slow"), slow)
	c := newDirectClient(t, s, func(_ context.Context, name string) (server.ToolHandlerFunc, bool) { return slow, name == "slow" })
	plain := `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"slow","arguments":{}}}`
	c.send(plain)
	c.send(plain)
	refused := c.next()
	close(release)
	assert.Nil(t, refused["id"], "the refusal carries no id: %v", refused)
	if e, ok := refused["error"].(map[string]any); assert.True(t, ok, "an error: %v", refused) {
		assert.EqualValues(t, mcp.INVALID_REQUEST, e["code"])
		assert.Equal(t, "Request ID is already in use", e["message"])
	}
	done := c.next()
	assert.EqualValues(t, 7, done["id"])
	assert.Equal(t, "done", text(done))

	// Once answered, the id is free: a client may use it again at once.
	for range 300 {
		c.send(plain)
		again := c.next()
		require.EqualValues(t, 7, again["id"], "an answered id used again is refused: %v", again)
	}
}

// TestSequentialCallsRunWhereTheyAreRead: a client that waits for each
// answer has its requests run by the goroutine that read them; a worker
// woke a second thread for each (a third of sequential calls a second).
func TestSequentialCallsRunWhereTheyAreRead(t *testing.T) {
	s := server.NewMCPServer("t", "1", server.WithToolCapabilities(false))
	echo := func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultText("hi"), nil
	}
	s.AddTool(mcp.NewTool("echo"), echo)
	l := make(chan *loop, 1)
	c := newClientSeeing(t, s, nil, func(x *loop) { l <- x })
	for i := range 50 {
		c.send(fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"echo","arguments":{}}}`, i+1))
		m := c.next()
		require.EqualValues(t, i+1, m["id"])
		assert.Equal(t, "hi", text(m))
	}
	assert.Zero(t, (<-l).workers.started.Load(), "workers started for requests that came one at a time")
	c.in.Close()
}

// TestAWaitingCallHandsTheReadingOver: a call run where it was read that
// waits (here for a ping sent after it to be answered) hands the reading
// to another goroutine, so what comes next is read and answered, and the
// call's answer still comes once it ends.
func TestAWaitingCallHandsTheReadingOver(t *testing.T) {
	release := make(chan struct{})
	slow := func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		<-release
		return mcp.NewToolResultText("done"), nil
	}
	for _, direct := range []DirectTool{nil, func(_ context.Context, name string) (server.ToolHandlerFunc, bool) { return slow, name == "slow" }} {
		s := server.NewMCPServer("t", "1", server.WithToolCapabilities(false))
		s.AddTool(mcp.NewTool("slow"), slow)
		c := newDirectClient(t, s, direct)
		c.send(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"slow","arguments":{}}}`)
		time.Sleep(20 * time.Millisecond) // read alone, so run where it was read
		c.send(`{"jsonrpc":"2.0","id":2,"method":"ping"}`)
		assert.EqualValues(t, 2, c.next()["id"], "the ping waited for the call")
		release <- struct{}{}
		done := c.next()
		assert.EqualValues(t, 1, done["id"])
		assert.Equal(t, "done", text(done))
		c.in.Close()
	}
}
