package hosting_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/testdata/mcptest"
	"github.com/basiq-mcp/basiq-mcp/tools/guard"
	"github.com/basiq-mcp/basiq-mcp/tools/hosting"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const audience, scope = "https://mcp.example.test/mcp", "basiq:read basiq:refresh"

// scopes are the server's, as main passes them.
var scopes = guard.Scopes

// TestOAuthResourceServer: only tokens the issuer signed for this audience,
// in their time window, pass; each refusal is a 401 pointing at the
// metadata; after the issuer rotates its key, new tokens work at once.
func TestOAuthResourceServer(t *testing.T) {
	is := mcptest.NewIssuer(t)
	k1 := is.Key
	oauth, err := hosting.NewOAuth(context.Background(), hosting.OAuthOptions{Issuer: is.URL, Audience: audience, Scopes: scopes})
	require.NoError(t, err)
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := guard.CallerFrom(r.Context())
		require.True(t, ok)
		json.NewEncoder(w).Encode(c)
	})
	h := hosting.RequireOAuth(oauth)(echo)
	send := func(token string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader("{}"))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}

	ok := send(mcptest.Sign(t, k1, "k1", is.Claims(audience, scope, nil)))
	require.Equal(t, 200, ok.Code, ok.Body.String())
	assert.JSONEq(t, `{"Subject":"agent-7","ClientID":"support-bot","Scopes":["basiq:read","basiq:refresh"],"Customers":null,"Bound":false}`, ok.Body.String())

	stranger, _ := rsa.GenerateKey(rand.Reader, 2048)
	good := mcptest.Sign(t, k1, "k1", is.Claims(audience, scope, nil))
	parts := strings.Split(good, ".")
	forged, _ := json.Marshal(is.Claims(audience, scope, func(c map[string]any) { c["sub"] = "admin" }))
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"at+jwt"}`)) + "." + parts[1] + "."
	for name, token := range map[string]string{
		"missing":         "",
		"expired":         mcptest.Sign(t, k1, "k1", is.Claims(audience, scope, func(c map[string]any) { c["exp"] = time.Now().Add(-time.Minute).Unix() })),
		"not yet valid":   mcptest.Sign(t, k1, "k1", is.Claims(audience, scope, func(c map[string]any) { c["nbf"] = time.Now().Add(time.Hour).Unix() })),
		"wrong audience":  mcptest.Sign(t, k1, "k1", is.Claims(audience, scope, func(c map[string]any) { c["aud"] = "https://other.example.test/mcp" })),
		"wrong issuer":    mcptest.Sign(t, k1, "k1", is.Claims(audience, scope, func(c map[string]any) { c["iss"] = "https://evil.example.test" })),
		"alg none":        none,
		"tampered":        parts[0] + "." + base64.RawURLEncoding.EncodeToString(forged) + "." + parts[2],
		"unpublished key": mcptest.Sign(t, stranger, "k1", is.Claims(audience, scope, nil)),
		"unknown key id":  mcptest.Sign(t, stranger, "k9", is.Claims(audience, scope, nil)),
		"not a JWT":       "a-long-random-token",
	} {
		rec := send(token)
		assert.Equal(t, 401, rec.Code, name)
		assert.Contains(t, rec.Header().Get("WWW-Authenticate"), `resource_metadata="https://mcp.example.test/.well-known/oauth-protected-resource/mcp"`, name)
	}

	hosting.SetKeyGap(oauth, 0) // rotation as if the 30 s since the last read had passed
	is.Rotate(t, "k2")
	k2 := is.Key
	rec := send(mcptest.Sign(t, k2, "k2", is.Claims(audience, scope, nil)))
	assert.Equal(t, 200, rec.Code, "a token signed with the new key works without a restart: %s", rec.Body.String())
	old := mcptest.Sign(t, k1, "k1", is.Claims(audience, scope, nil))
	assert.Equal(t, 401, send(old).Code, "the retired key no longer signs anything once the keys are read again")
}

// TestOAuthMetadata serves RFC 9728 metadata naming the issuer and scopes.
func TestOAuthMetadata(t *testing.T) {
	is := mcptest.NewIssuer(t)
	oauth, err := hosting.NewOAuth(context.Background(), hosting.OAuthOptions{Issuer: is.URL, Audience: audience, Scopes: []string{"basiq:read"}})
	require.NoError(t, err)
	rec := httptest.NewRecorder()
	oauth.Metadata().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/.well-known/oauth-protected-resource/mcp", nil))
	var md map[string]any
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &md))
	assert.Equal(t, audience, md["resource"])
	assert.Equal(t, []any{is.URL}, md["authorization_servers"])
	assert.Equal(t, []any{"basiq:read"}, md["scopes_supported"])

	_, err = hosting.NewOAuth(context.Background(), hosting.OAuthOptions{Issuer: is.URL, Audience: "not a uri", Scopes: scopes})
	assert.Error(t, err, "the audience must be a resource URI")
	_, err = hosting.NewOAuth(context.Background(), hosting.OAuthOptions{Issuer: "http://127.0.0.1:1", Audience: audience, Scopes: scopes})
	assert.Error(t, err, "an unreachable issuer stops start-up")
}

// TestOAuthWithoutOpenIDDiscovery: a plain OAuth authorization server,
// with RFC 8414 metadata and no OpenID discovery, works as well.
func TestOAuthWithoutOpenIDDiscovery(t *testing.T) {
	is := mcptest.NewIssuer(t)
	is.OAuthOnly()
	oauth, err := hosting.NewOAuth(context.Background(), hosting.OAuthOptions{Issuer: is.URL, Audience: audience, Scopes: scopes})
	require.NoError(t, err)
	c, err := oauth.Verify(context.Background(), is.Token(t, audience, "basiq:read"))
	require.NoError(t, err)
	assert.Equal(t, "agent-7", c.Subject)
	_, err = oauth.Verify(context.Background(), is.Token(t, "https://other.example.test/mcp", "basiq:read"))
	assert.Error(t, err, "the audience is still checked")
}
