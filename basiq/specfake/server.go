package specfake

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
)

// Server answers every documented operation with one of its variants: the
// first (an example where the files give one) unless a test pins another.
// Links in the files point at au-api.basiq.io; the server rewrites them to
// itself, as Basiq's own links point at the host that served them, and a
// followed next link gets the last page. Anything the files do not
// document answers 404, or 405 for a known path with another method (GET
// /users, for one, exists only on a legacy page).
type Server struct {
	URL  string
	spec *Spec
	srv  *httptest.Server

	mu     sync.Mutex
	pinned map[string]int
	hits   map[string]int
}

// NewServer starts a server for spec; Close stops it.
func NewServer(spec *Spec) *Server {
	s := &Server{spec: spec, pinned: map[string]int{}, hits: map[string]int{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Pin makes op answer with its variant i until Reset.
func (s *Server) Pin(op *Operation, i int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pinned[op.Key()] = i
}

// Reset forgets pins and hits.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pinned, s.hits = map[string]int{}, map[string]int{}
}

// Hits lists the operations requested since the last Reset, token requests
// left out.
func (s *Server) Hits() []*Operation {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*Operation
	for _, o := range s.spec.Ops {
		if s.hits[o.Key()] > 0 && o.Path != "/token" {
			out = append(out, o)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key() < out[j].Key() })
	return out
}

const lastPage = "specfake=last"

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	op := s.spec.Match(r.Method, r.URL.Path)
	if op == nil {
		status, code := http.StatusNotFound, "resource-not-found"
		for _, m := range []string{"GET", "POST", "DELETE", "PUT", "PATCH"} {
			if s.spec.Match(m, r.URL.Path) != nil {
				status, code = http.StatusMethodNotAllowed, "method-not-allowed"
			}
		}
		writeError(w, status, code)
		return
	}
	s.mu.Lock()
	s.hits[op.Key()]++
	v := op.Variants[min(s.pinned[op.Key()], len(op.Variants)-1)]
	s.mu.Unlock()
	if v.Body == nil {
		w.WriteHeader(op.Status)
		return
	}
	body := s.rewrite(v.Body, r)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(op.Status)
	_, _ = w.Write(body)
}

// rewrite points the body's links at this server and makes a next link
// continue the request it answers, ending after one more page.
func (s *Server) rewrite(body []byte, r *http.Request) []byte {
	out := []byte(strings.ReplaceAll(string(body), "https://au-api.basiq.io", s.URL))
	var doc map[string]any
	if json.Unmarshal(out, &doc) != nil {
		return out
	}
	links, ok := doc["links"].(map[string]any)
	if !ok {
		return out
	}
	if _, has := links["next"]; !has {
		return out
	}
	if strings.Contains(r.URL.RawQuery, lastPage) {
		delete(links, "next")
	} else {
		links["next"] = s.URL + r.URL.Path + "?" + lastPage
	}
	if b, err := json.Marshal(doc); err == nil {
		return b
	}
	return out
}

func writeError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"type": "list", "correlationId": "specfake",
		"data": []map[string]string{{"type": "error", "code": code, "title": http.StatusText(status),
			"detail": "Not documented in Basiq's OpenAPI files."}}})
}
