package hosting

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"sync/atomic"

	"github.com/basiq-mcp/basiq-mcp/tools/stdio"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// heldWriter carries mcp-go's answer to a request the edge holds the id
// of. It frees the id as the answer is written, in JSON or as the last
// event of a stream: the answer reaches the client only after, so the id
// is free before the client can use it again, and it stays held while
// mcp-go streams the call's progress. Once the client has cancelled the
// request, the answer to it is left out and the stream ends without it,
// which is how a cancelled request goes unanswered over streamable HTTP. A
// status waits for the first write, so that a JSON answer left out can
// become an empty stream.
type heldWriter struct {
	http.ResponseWriter
	id        string // the request's id key
	release   func()
	cancelled atomic.Bool
	status    int // a status not passed on yet
	started   bool
}

// WriteHeader keeps the status until the body's first write.
func (hw *heldWriter) WriteHeader(code int) {
	if !hw.started && hw.status == 0 {
		hw.status = code
	}
}

func (hw *heldWriter) Write(b []byte) (int, error) {
	key, ok := answerKey(b)
	answer := ok && key == hw.id
	if answer {
		hw.release()
	}
	if answer && hw.cancelled.Load() {
		if !hw.started && hw.Header().Get("Content-Type") == "application/json" {
			hw.Header().Set("Content-Type", "text/event-stream")
			hw.status = http.StatusOK
		}
		hw.start()
		return len(b), nil
	}
	hw.start()
	return hw.ResponseWriter.Write(b)
}

// Flush passes a flush on, for mcp-go's event streams.
func (hw *heldWriter) Flush() {
	hw.start()
	if f, ok := hw.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// end passes on a status mcp-go set but wrote nothing after.
func (hw *heldWriter) end() {
	if hw.status != 0 {
		hw.start()
	}
}

func (hw *heldWriter) start() {
	if !hw.started {
		hw.started = true
		if hw.status != 0 {
			hw.ResponseWriter.WriteHeader(hw.status)
		}
	}
}

// Unwrap gives http.ResponseController the writer underneath.
func (hw *heldWriter) Unwrap() http.ResponseWriter { return hw.ResponseWriter }

// answerKey is the id key of the answer b carries, when b, one write of
// mcp-go's (a JSON message, or an event of a stream carrying one), is an
// answer to a request.
func answerKey(b []byte) (string, bool) {
	if rest, ok := bytes.CutPrefix(b, []byte("event: message\n")); ok {
		b = rest
	}
	if rest, ok := bytes.CutPrefix(b, []byte("data: ")); ok {
		b, _, _ = bytes.Cut(rest, []byte("\n"))
	}
	m, ok := stdio.ReadMessage(bytes.TrimSpace(b))
	return m.ID, ok && m.Method == "" && m.ID != ""
}

// writeNoAnswer ends a request the client cancelled without an answer: an
// event stream with nothing in it, one of the two forms an answer to a
// request may take.
func writeNoAnswer(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
}

// cancelledID is the id key of the request a notifications/cancelled names.
func cancelledID(notification []byte) (string, bool) {
	var n struct {
		Params struct {
			RequestID json.RawMessage `json:"requestId"`
		} `json:"params"`
	}
	if json.Unmarshal(notification, &n) != nil || len(n.Params.RequestID) == 0 {
		return "", false
	}
	return stdio.IDKey(n.Params.RequestID), true
}

// statelessCancels answers 202 to a notifications/cancelled posted without
// a session at 2026-07-28 that names no protocol version in its _meta, and
// hands everything else to next as it came. mcp-go refuses such a POST
// with 400, as it must refuse a request like it; but a notification asks
// for no answer, at 2026-07-28 a call is cancelled by closing its stream,
// and the official Go SDK, cancelling a call, posts this notification
// without _meta and then fails its session's next call on the refusal.
func statelessCancels(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get(server.HeaderKeySessionID) != "" || !jsonBody(r) ||
			!mcp.IsModernProtocol(r.Header.Get(mcp.HeaderProtocolVersion)) {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(r.Body) // within LimitBody's bound
		if err == nil && bareCancel(body) {
			w.WriteHeader(http.StatusAccepted)
			return
		}
		replayBody(r, body, err)
		next.ServeHTTP(w, r)
	})
}

// bareCancel reports whether body is a notifications/cancelled whose _meta
// states no protocol version.
func bareCancel(body []byte) bool {
	m, ok := stdio.ReadMessage(body)
	if !ok || m.Method != string(mcp.MethodNotificationCancelled) || m.ID != "" {
		return false
	}
	var n struct {
		Params struct {
			Meta map[string]any `json:"_meta"`
		} `json:"params"`
	}
	if json.Unmarshal(body, &n) != nil {
		return false
	}
	version, _ := n.Params.Meta[mcp.MetaKeyProtocolVersion].(string)
	return version == ""
}
