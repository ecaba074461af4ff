package guard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// Caller is who sent an HTTP request, as its access token says.
type Caller struct {
	Subject  string   // the token's sub
	ClientID string   // client_id (RFC 9068), else azp
	Scopes   []string // scope (space-separated) or scp
	// Customers, when the token carries the basiq_users claim, are the
	// only Basiq user ids the caller may reach (a support agent bound to
	// the customers of its queue); Bound says the claim was there.
	Customers []string
	Bound     bool
}

// CustomersClaim is the access-token claim that binds a caller to some
// customers: a list of Basiq user ids.
const CustomersClaim = "basiq_users"

type callerKey struct{}

// WithCaller returns ctx carrying the caller.
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerFrom returns the caller ctx carries, if a token named one.
func CallerFrom(ctx context.Context) (Caller, bool) {
	c, ok := ctx.Value(callerKey{}).(Caller)
	return c, ok
}

// SigningAlgs are the JWS algorithms an access token may be signed with;
// "none" and HMAC (a shared secret is no proof from the issuer) never are.
var SigningAlgs = []string{oidc.RS256, oidc.RS384, oidc.RS512, oidc.PS256, oidc.PS384, oidc.PS512, oidc.ES256, oidc.ES384, oidc.ES512, oidc.EdDSA}

// OAuth validates bearer JWTs as an OAuth 2.1 resource server: signed by
// the issuer's published keys (discovered, cached, re-read when a token
// names a key not seen yet, so rotation needs no restart), for this
// audience, within exp and nbf. JOSE and JWKS handling are go-oidc's and
// go-jose's, not ours.
type OAuth struct {
	issuer, audience string
	verifier         *oidc.IDTokenVerifier
	scopes           []string // the scopes this server knows (Metadata)
}

// NewOAuth discovers the issuer's metadata (OpenID discovery) and keys.
// audience is this server's resource URI (RFC 8707), which tokens must
// name in aud; scopes are the server's, which the metadata lists and of
// which a token must carry at least one.
func NewOAuth(ctx context.Context, issuer, audience string, scopes []string) (*OAuth, error) {
	if u, err := url.Parse(audience); err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("guard: --oauth-audience must be this server's resource URI (https://host/mcp), not %q", audience)
	}
	// The client is kept for key fetches after a rotation: bound them, so a
	// slow issuer delays a request rather than hanging it.
	ctx = oidc.ClientContext(ctx, &http.Client{Timeout: 10 * time.Second})
	p, err := oidc.NewProvider(ctx, issuer)
	if err != nil {
		var e8414 error
		if p, e8414 = authServerProvider(ctx, issuer); e8414 != nil {
			return nil, fmt.Errorf("guard: the OAuth issuer's metadata could not be read (OpenID discovery: %v; RFC 8414: %w)", err, e8414)
		}
	}
	v := p.Verifier(&oidc.Config{ClientID: audience, SupportedSigningAlgs: SigningAlgs})
	return &OAuth{issuer: issuer, audience: audience, verifier: v, scopes: scopes}, nil
}

// authServerProvider reads RFC 8414 authorization-server metadata, for an
// issuer that does not serve OpenID discovery; the well-known segment goes
// between the host and the issuer's path (RFC 8414, section 3.1).
func authServerProvider(ctx context.Context, issuer string) (*oidc.Provider, error) {
	u, err := url.Parse(issuer)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("the issuer %q is not a URL", issuer)
	}
	meta := u.Scheme + "://" + u.Host + "/.well-known/oauth-authorization-server" + strings.TrimSuffix(u.Path, "/")
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, meta, nil)
	if err != nil {
		return nil, err
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var md struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s answered %d", meta, resp.StatusCode)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&md); err != nil {
		return nil, err
	}
	if md.Issuer != issuer || md.JWKSURI == "" {
		return nil, fmt.Errorf("%s names issuer %q and jwks_uri %q: the issuer must be %q and the keys published", meta, md.Issuer, md.JWKSURI, issuer)
	}
	return (&oidc.ProviderConfig{IssuerURL: md.Issuer, JWKSURL: md.JWKSURI}).NewProvider(ctx), nil
}

// Verify checks a raw bearer token and returns its caller.
func (o *OAuth) Verify(ctx context.Context, raw string) (Caller, error) {
	tok, err := o.verifier.Verify(ctx, raw)
	if err != nil {
		return Caller{}, err
	}
	var claims struct {
		ClientID string    `json:"client_id"`
		AZP      string    `json:"azp"`
		Scope    string    `json:"scope"`
		SCP      []string  `json:"scp"`
		Users    *[]string `json:"basiq_users"`
	}
	if err := tok.Claims(&claims); err != nil {
		return Caller{}, err
	}
	c := Caller{Subject: tok.Subject, ClientID: claims.ClientID, Scopes: append(strings.Fields(claims.Scope), claims.SCP...)}
	if c.ClientID == "" {
		c.ClientID = claims.AZP
	}
	if claims.Users != nil {
		c.Customers, c.Bound = *claims.Users, true
	}
	if c.Subject == "" && c.ClientID == "" {
		return Caller{}, errors.New("the token names no subject or client")
	}
	return c, nil
}

// MetadataPath is where RFC 9728 protected-resource metadata is served.
const MetadataPath = "/.well-known/oauth-protected-resource"

// MetadataURL is the metadata's address for the audience: a 401 names it
// so a client can find the authorization server.
func (o *OAuth) MetadataURL() string {
	u, _ := url.Parse(o.audience)
	return u.Scheme + "://" + u.Host + MetadataPath + strings.TrimSuffix(u.Path, "/")
}

// Metadata serves RFC 9728 protected-resource metadata.
func (o *OAuth) Metadata() http.Handler {
	body, _ := json.Marshal(map[string]any{"resource": o.audience, "authorization_servers": []string{o.issuer},
		"scopes_supported": o.scopes, "bearer_methods_supported": []string{"header"}, "resource_name": "basiq-mcp"})
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})
}

// challenge answers 401 with the header that points a client at the
// metadata (MCP authorization spec, RFC 6750 and RFC 9728).
func (o *OAuth) challenge(w http.ResponseWriter, why string) {
	w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer resource_metadata=%q, error="invalid_token", error_description=%q`, o.MetadataURL(), why))
	http.Error(w, "Unauthorized: "+why, http.StatusUnauthorized)
}

// anyScope reports whether the caller holds at least one of the server's
// scopes: a valid token that allows nothing here is refused at the door.
func (o *OAuth) anyScope(c Caller) bool {
	if len(o.scopes) == 0 {
		return true
	}
	for _, s := range c.Scopes {
		if slices.Contains(o.scopes, s) {
			return true
		}
	}
	return false
}

// insufficient answers 403 insufficient_scope naming the scope to ask for
// (RFC 6750), with the metadata for the rest.
func (o *OAuth) insufficient(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer error="insufficient_scope", scope=%q, resource_metadata=%q`, o.scopes[0], o.MetadataURL()))
	http.Error(w, "Forbidden: the access token carries none of this server's scopes ("+strings.Join(o.scopes, ", ")+"); ask for "+o.scopes[0]+" at least", http.StatusForbidden)
}
