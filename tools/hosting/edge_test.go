package hosting_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/basiq-mcp/basiq-mcp/tools/hosting"
	"github.com/stretchr/testify/assert"
)

func TestHTTPGuard(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) })
	open := []string{"/healthz"}
	h := hosting.Chain(ok, hosting.CheckOrigin([]string{"https://agent.example"}), hosting.Except(open, hosting.RateLimit(60, 3)),
		hosting.LimitBody(100), hosting.Except(open, hosting.RequireToken("s3cret-token")))
	do := func(method, path, auth, origin, body, remote string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, path, strings.NewReader(body))
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		if remote != "" {
			r.RemoteAddr = remote
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	assert.Equal(t, 200, do("GET", "/healthz", "", "", "", "").Code, "healthz needs no token")
	w := do("POST", "/mcp", "", "", "{}", "")
	assert.Equal(t, 401, w.Code)
	assert.Contains(t, w.Header().Get("WWW-Authenticate"), "Bearer")
	assert.Equal(t, 401, do("POST", "/mcp", "Bearer wrong", "", "{}", "").Code)
	assert.Equal(t, 401, do("POST", "/mcp", "s3cret-token", "", "{}", "").Code, "the Bearer scheme is required")
	assert.Equal(t, 200, do("POST", "/mcp", "bearer s3cret-token", "", "{}", "10.0.0.4:1").Code, "the scheme is case-insensitive (RFC 9110)")
	assert.Equal(t, 200, do("POST", "/mcp", "Bearer s3cret-token", "", "{}", "10.0.0.1:1").Code)
	assert.Equal(t, 403, do("POST", "/mcp", "Bearer s3cret-token", "https://evil.example", "{}", "10.0.0.2:1").Code)
	assert.Equal(t, 200, do("POST", "/mcp", "Bearer s3cret-token", "http://localhost:6274", "{}", "10.0.0.2:1").Code)
	assert.Equal(t, 200, do("POST", "/mcp", "Bearer s3cret-token", "https://agent.example", "{}", "10.0.0.2:1").Code)
	assert.Equal(t, 413, do("POST", "/mcp", "Bearer s3cret-token", "", strings.Repeat("x", 101), "10.0.0.3:1").Code)

	for range 3 {
		assert.Equal(t, 200, do("POST", "/mcp", "Bearer s3cret-token", "", "{}", "10.0.0.9:1").Code)
	}
	w = do("POST", "/mcp", "Bearer s3cret-token", "", "{}", "10.0.0.9:2")
	assert.Equal(t, 429, w.Code, "the burst is per client address")
	assert.NotEmpty(t, w.Header().Get("Retry-After"))
	assert.Equal(t, 200, do("POST", "/mcp", "Bearer s3cret-token", "", "{}", "10.0.0.10:1").Code, "other clients are unaffected")

	assert.True(t, hosting.IsLoopback("127.0.0.1:8080"))
	assert.True(t, hosting.IsLoopback("[::1]:8080"))
	assert.True(t, hosting.IsLoopback("localhost:8080"))
	assert.False(t, hosting.IsLoopback("0.0.0.0:8080"))
	assert.False(t, hosting.IsLoopback(":8080"))
}
