package hosting

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

	"github.com/basiq-mcp/basiq-mcp/tools/guard"
	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/mark3labs/mcp-go/server"
)

// SigningAlgs are the JWS algorithms an access token may be signed with;
// "none" and HMAC (a shared secret is no proof from the issuer) never are.
var SigningAlgs = []string{oidc.RS256, oidc.RS384, oidc.RS512, oidc.PS256, oidc.PS384, oidc.PS512, oidc.ES256, oidc.ES384, oidc.ES512, oidc.EdDSA}

// OAuthOptions configure the resource server.
type OAuthOptions struct {
	Issuer   string
	Audience string   // this server's resource URI (RFC 8707), which tokens must name in aud
	Scopes   []string // the server's scopes: the metadata lists them, a token needs one
	// RequireBinding refuses a token without the basiq_users claim, so no
	// token can reach every customer by leaving the claim out.
	RequireBinding bool
	// KeyRefetch is the least time between two reads of the issuer's keys
	// (default 30 s): an unseen key id waits for it, a flood of them too.
	KeyRefetch time.Duration
}

// OAuth validates bearer JWTs as an OAuth 2.1 resource server: signed by a
// key the issuer publishes (keySet: re-read for an unseen key id at most
// once per 30 s), for this audience, within exp and nbf. JOSE handling is
// go-oidc's and go-jose's, not ours.
type OAuth struct {
	OAuthOptions
	verifier *oidc.IDTokenVerifier
	keys     *keySet
}

// NewOAuth reads the issuer's metadata (OpenID discovery, else RFC 8414)
// and its keys; an issuer that cannot be read stops start-up rather than
// serving unprotected.
func NewOAuth(ctx context.Context, o OAuthOptions) (*OAuth, error) {
	if u, err := url.Parse(o.Audience); err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("--oauth-audience must be this server's resource URI (https://host/mcp), not %q", o.Audience)
	}
	client := &http.Client{Timeout: 10 * time.Second} // a slow issuer delays a request rather than hanging it
	jwks, err := discoverKeys(oidc.ClientContext(ctx, client), o.Issuer)
	if err != nil {
		return nil, err
	}
	ks := newKeySet(jwks, client, SigningAlgs)
	if o.KeyRefetch > 0 {
		ks.gap = o.KeyRefetch
	}
	if err := ks.read(ctx); err != nil {
		return nil, err
	}
	v := oidc.NewVerifier(o.Issuer, ks, &oidc.Config{ClientID: o.Audience, SupportedSigningAlgs: SigningAlgs})
	return &OAuth{OAuthOptions: o, verifier: v, keys: ks}, nil
}

// discoverKeys finds the issuer's jwks_uri by OpenID discovery or, for an
// issuer without it, RFC 8414 metadata (the well-known segment goes between
// the host and the issuer's path, RFC 8414 section 3.1).
func discoverKeys(ctx context.Context, issuer string) (string, error) {
	p, oidcErr := oidc.NewProvider(ctx, issuer)
	if oidcErr == nil {
		var md struct {
			JWKSURI string `json:"jwks_uri"`
		}
		if err := p.Claims(&md); err == nil && md.JWKSURI != "" {
			return md.JWKSURI, nil
		}
	}
	u, err := url.Parse(issuer)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("the OAuth issuer %q is not a URL", issuer)
	}
	meta := u.Scheme + "://" + u.Host + "/.well-known/oauth-authorization-server" + strings.TrimSuffix(u.Path, "/")
	md, err := readMetadata(ctx, meta)
	if err != nil {
		return "", fmt.Errorf("the OAuth issuer's metadata could not be read (OpenID discovery: %v; RFC 8414: %w)", oidcErr, err)
	}
	if md.Issuer != issuer || md.JWKSURI == "" {
		return "", fmt.Errorf("%s names issuer %q and jwks_uri %q: the issuer must be %q and the keys published", meta, md.Issuer, md.JWKSURI, issuer)
	}
	return md.JWKSURI, nil
}

type serverMetadata struct {
	Issuer  string `json:"issuer"`
	JWKSURI string `json:"jwks_uri"`
}

func readMetadata(ctx context.Context, at string) (serverMetadata, error) {
	var md serverMetadata
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, at, nil)
	if err != nil {
		return md, err
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return md, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return md, fmt.Errorf("%s answered %d", at, resp.StatusCode)
	}
	return md, json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&md)
}

// Verify checks a raw bearer token and returns its caller.
func (o *OAuth) Verify(ctx context.Context, raw string) (guard.Caller, error) {
	tok, err := o.verifier.Verify(ctx, raw)
	if err != nil {
		return guard.Caller{}, err
	}
	var claims struct {
		ClientID string          `json:"client_id"`
		AZP      string          `json:"azp"`
		Scope    string          `json:"scope"`
		SCP      []string        `json:"scp"`
		Users    json.RawMessage `json:"basiq_users"`
	}
	if err := tok.Claims(&claims); err != nil {
		return guard.Caller{}, err
	}
	c := guard.Caller{Subject: tok.Subject, ClientID: claims.ClientID, Scopes: append(strings.Fields(claims.Scope), claims.SCP...)}
	if c.ClientID == "" {
		c.ClientID = claims.AZP
	}
	if c.Subject == "" && c.ClientID == "" {
		return guard.Caller{}, errors.New("the token names no subject or client")
	}
	if len(claims.Users) > 0 { // present: a list binds, and null binds to no customer
		c.Bound = true
		if string(claims.Users) != "null" && json.Unmarshal(claims.Users, &c.Customers) != nil {
			return guard.Caller{}, fmt.Errorf("the %s claim must be a list of Basiq user ids", guard.CustomersClaim)
		}
	} else if o.RequireBinding {
		return guard.Caller{}, &unbound{}
	}
	return c, nil
}

// unbound is a valid token without the customer claim where one is required.
type unbound struct{}

func (*unbound) Error() string {
	return "this server requires the " + guard.CustomersClaim + " claim (the customers a token may reach), and the token has none"
}

// MetadataURL is the RFC 9728 metadata's address for the audience: a 401
// names it so a client can find the authorization server.
func (o *OAuth) MetadataURL() string {
	u, _ := url.Parse(o.Audience)
	return u.Scheme + "://" + u.Host + server.ProtectedResourceMetadataPath(o.Audience)
}

// Metadata serves RFC 9728 protected-resource metadata (mcp-go's handler).
func (o *OAuth) Metadata() http.Handler {
	return server.NewProtectedResourceMetadataHandler(server.ProtectedResourceMetadataConfig{Resource: o.Audience,
		AuthorizationServers: []string{o.Issuer}, ScopesSupported: o.Scopes, BearerMethodsSupported: []string{"header"}, ResourceName: "basiq-mcp"})
}

// challenge answers 401 with the header that points a client at the
// metadata (MCP authorization spec, RFC 6750 and RFC 9728).
func (o *OAuth) challenge(w http.ResponseWriter, why string) {
	w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer resource_metadata=%q, error="invalid_token", error_description=%q`, o.MetadataURL(), why))
	http.Error(w, "Unauthorized: "+why, http.StatusUnauthorized)
}

// anyScope reports whether the caller holds at least one of the server's
// scopes: a valid token that allows nothing here is refused at the door.
func (o *OAuth) anyScope(c guard.Caller) bool {
	return len(o.Scopes) == 0 || slices.ContainsFunc(c.Scopes, func(s string) bool { return slices.Contains(o.Scopes, s) })
}

// insufficient answers 403 insufficient_scope naming the scope to ask for
// (RFC 6750), with the metadata for the rest.
func (o *OAuth) insufficient(w http.ResponseWriter, need string) {
	w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer error="insufficient_scope", scope=%q, resource_metadata=%q`, need, o.MetadataURL()))
	http.Error(w, "Forbidden: the access token does not carry the scope "+need+" this needs", http.StatusForbidden)
}
