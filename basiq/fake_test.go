package basiq_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/stretchr/testify/require"
)

// recorded is one request the fake API received (token requests aside).
type recorded struct {
	Method, Path, RawQuery, Filter, Body, Auth, ContentType string
}

// fakeAPI is an httptest server that issues tokens and hands every other
// request to respond, recording it.
type fakeAPI struct {
	*httptest.Server
	tokenCalls atomic.Int32
	mu         sync.Mutex
	reqs       []recorded
	respond    func(w http.ResponseWriter, r *http.Request)
	tokenDelay time.Duration
}

func newFakeAPI(t *testing.T, respond func(w http.ResponseWriter, r *http.Request)) *fakeAPI {
	f := &fakeAPI{respond: respond}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.URL.Path == "/token" {
			n := f.tokenCalls.Add(1)
			time.Sleep(f.tokenDelay)
			if r.Header.Get("basiq-version") != "3.0" || r.Header.Get("Authorization") != "Basic test-key" {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			json.NewEncoder(w).Encode(map[string]any{"access_token": "tok-" + string(rune('0'+n)), "token_type": "Bearer", "expires_in": 3600})
			return
		}
		f.mu.Lock()
		f.reqs = append(f.reqs, recorded{r.Method, r.URL.EscapedPath(), r.URL.RawQuery, r.URL.Query().Get("filter"), string(body),
			r.Header.Get("Authorization"), r.Header.Get("Content-Type")})
		f.mu.Unlock()
		f.respond(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeAPI) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.reqs...)
}

func (f *fakeAPI) client(t *testing.T, opts ...basiq.Option) *basiq.Client {
	fast := basiq.RetryPolicy{MaxAttempts: 4, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond, MaxElapsed: 2 * time.Second}
	c, err := basiq.NewClient("test-key", append([]basiq.Option{basiq.WithBaseURL(f.URL), basiq.WithRetryPolicy(fast)}, opts...)...)
	require.NoError(t, err)
	return c
}

// reply writes a JSON answer.
func reply(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// basiqError writes Basiq's error envelope.
func basiqError(w http.ResponseWriter, status int, code, detail string) {
	reply(w, status, `{"type":"list","correlationId":"corr-1","data":[{"type":"error","code":"`+code+`","title":"t","detail":"`+detail+`","source":{"parameter":"p"}}]}`)
}
