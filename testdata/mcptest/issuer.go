package mcptest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Issuer is an OpenID issuer for tests: discovery, a JWKS it can rotate,
// and tokens signed with any key and claims, so every refusal a resource
// server must make can be built.
type Issuer struct {
	*httptest.Server
	mu   sync.Mutex
	keys []jose.JSONWebKey // published
	// Key and KeyID sign tokens; Rotate replaces them.
	Key       *rsa.PrivateKey
	KeyID     string
	oauthOnly bool
	keyReads  int
}

// KeyReads is how many times the JWKS was fetched.
func (is *Issuer) KeyReads() int {
	is.mu.Lock()
	defer is.mu.Unlock()
	return is.keyReads
}

// OAuthOnly makes the issuer serve RFC 8414 metadata alone, no OpenID
// discovery, as a plain OAuth authorization server does.
func (is *Issuer) OAuthOnly() {
	is.mu.Lock()
	defer is.mu.Unlock()
	is.oauthOnly = true
}

// NewIssuer starts an issuer publishing one RSA key, "k1".
func NewIssuer(t testing.TB) *Issuer {
	is := &Issuer{}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/oauth-authorization-server", func(w http.ResponseWriter, _ *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"issuer": is.URL, "jwks_uri": is.URL + "/jwks", "token_endpoint": is.URL + "/token"})
	})
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		is.mu.Lock()
		only := is.oauthOnly
		is.mu.Unlock()
		if only {
			http.NotFound(w, nil)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"issuer": is.URL, "jwks_uri": is.URL + "/jwks",
			"authorization_endpoint": is.URL + "/auth", "token_endpoint": is.URL + "/token", "id_token_signing_alg_values_supported": []string{"RS256"}})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, _ *http.Request) {
		is.mu.Lock()
		defer is.mu.Unlock()
		is.keyReads++
		json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: is.keys})
	})
	is.Server = httptest.NewServer(mux)
	t.Cleanup(is.Close)
	is.Rotate(t, "k1")
	return is
}

// Rotate publishes a new key, and only it, as issuers do after a rotation.
func (is *Issuer) Rotate(t testing.TB, kid string) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	is.mu.Lock()
	defer is.mu.Unlock()
	is.keys = []jose.JSONWebKey{{Key: &k.PublicKey, KeyID: kid, Algorithm: "RS256", Use: "sig"}}
	is.Key, is.KeyID = k, kid
}

// Claims are a valid access token's claims for audience, changed by mod.
func (is *Issuer) Claims(audience, scope string, mod func(map[string]any)) map[string]any {
	now := time.Now()
	c := map[string]any{"iss": is.URL, "aud": audience, "sub": "agent-7", "client_id": "support-bot",
		"scope": scope, "iat": now.Unix(), "nbf": now.Add(-time.Minute).Unix(), "exp": now.Add(time.Hour).Unix()}
	if mod != nil {
		mod(c)
	}
	return c
}

// Sign signs claims with key under kid as an RFC 9068 access token.
func Sign(t testing.TB, key *rsa.PrivateKey, kid string, claims map[string]any) string {
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: kid}}, (&jose.SignerOptions{}).WithType("at+jwt"))
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Token is a valid token from the issuer's current key.
func (is *Issuer) Token(t testing.TB, audience, scope string) string {
	return Sign(t, is.Key, is.KeyID, is.Claims(audience, scope, nil))
}
