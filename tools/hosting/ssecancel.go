package hosting

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/basiq-mcp/basiq-mcp/tools/stdio"
	"github.com/mark3labs/mcp-go/mcp"
)

// sseCancels leaves out, on a legacy SSE stream, the answer to a request
// the client cancelled: mcp-go cancels the call and still sends its answer
// on the session's stream, where the spec asks for none (and the
// TypeScript SDK reports one as a response to an unknown id). It follows
// the ids each session posts until their answers go out, so that a cancel
// naming an id already answered never hides the answer of a later request
// that reuses it.
type sseCancels struct {
	mu       sync.Mutex
	sessions map[string]*sseSession // by mcp-go's session id
}

// sseSession is what one stream's session has asked and not been answered.
type sseSession struct {
	running   map[string]bool // id keys posted, not yet answered
	cancelled map[string]bool // of those, the ones the client cancelled
}

func newSSECancels() *sseCancels { return &sseCancels{sessions: map[string]*sseSession{}} }

// handler watches the message POSTs and the event streams it hands to next.
func (c *sseCancels) handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.URL.Query().Get("sessionId")
		switch {
		case r.Method == http.MethodGet:
			s := &sseStream{ResponseWriter: w, c: c}
			defer s.close()
			next.ServeHTTP(s, r)
		case r.Method == http.MethodPost && id != "":
			body, err := io.ReadAll(r.Body) // within LimitBody's bound
			if err == nil {
				c.posted(id, body)
			}
			replayBody(r, body, err)
			next.ServeHTTP(w, r)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// posted notes a request's id, or the request a notifications/cancelled
// names when it is still unanswered.
func (c *sseCancels) posted(session string, body []byte) {
	m, ok := stdio.ReadMessage(body)
	if !ok || m.Method == "" {
		return
	}
	var key string
	if m.Method == string(mcp.MethodNotificationCancelled) {
		if key, ok = cancelledID(body); !ok {
			return
		}
	} else if m.ID == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.sessions[session]
	switch {
	case s == nil:
	case key == "":
		s.running[m.ID] = true
	case s.running[key]:
		s.cancelled[key] = true
	}
}

// sent reports whether an event of session's stream may go out, and
// forgets the request it answers.
func (c *sseCancels) sent(session string, event []byte) bool {
	key, ok := answerKey(event)
	if !ok {
		return true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.sessions[session]
	if s == nil {
		return true
	}
	dropped := s.cancelled[key]
	delete(s.running, key)
	delete(s.cancelled, key)
	return !dropped
}

// sseStream is one GET event stream. mcp-go names its session in the
// first event (the endpoint to post to), and writes each event whole.
type sseStream struct {
	http.ResponseWriter
	c       *sseCancels
	session string
}

func (s *sseStream) Write(b []byte) (int, error) {
	if s.session == "" {
		s.follow(b)
	} else if !s.c.sent(s.session, b) {
		return len(b), nil
	}
	return s.ResponseWriter.Write(b)
}

// follow starts following the session the endpoint event names.
func (s *sseStream) follow(b []byte) {
	data, ok := bytes.CutPrefix(b, []byte("event: endpoint\ndata: "))
	if !ok {
		return
	}
	u, err := url.Parse(strings.TrimSpace(string(data)))
	if err != nil || u.Query().Get("sessionId") == "" {
		return
	}
	s.session = u.Query().Get("sessionId")
	s.c.mu.Lock()
	s.c.sessions[s.session] = &sseSession{running: map[string]bool{}, cancelled: map[string]bool{}}
	s.c.mu.Unlock()
}

// close forgets the stream's session once mcp-go has ended it.
func (s *sseStream) close() {
	if s.session != "" {
		s.c.mu.Lock()
		delete(s.c.sessions, s.session)
		s.c.mu.Unlock()
	}
}

// Flush passes a flush on: mcp-go flushes after every event.
func (s *sseStream) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap gives http.ResponseController the writer underneath.
func (s *sseStream) Unwrap() http.ResponseWriter { return s.ResponseWriter }
