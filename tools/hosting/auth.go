package hosting

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"

	"github.com/basiq-mcp/basiq-mcp/tools/guard"
)

// bearer returns the token of an "Authorization: Bearer <token>" header;
// the scheme is case-insensitive (RFC 9110, section 11.1).
func bearer(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	token = strings.TrimSpace(token)
	return token, ok && strings.EqualFold(scheme, "Bearer") && token != ""
}

// RequireToken lets through only requests carrying the static bearer
// token. The token is only compared here, never forwarded to Basiq, and a
// request with it is the deployment's own (no caller, no scopes).
func RequireToken(token string) Middleware {
	want := sha256.Sum256([]byte(token))
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			raw, ok := bearer(r)
			got := sha256.Sum256([]byte(raw))
			if !ok || subtle.ConstantTimeCompare(got[:], want[:]) != 1 { // equal-length digests: no timing hint
				w.Header().Set("WWW-Authenticate", `Bearer realm="basiq-mcp"`)
				http.Error(w, "Unauthorized: send Authorization: Bearer <token>", http.StatusUnauthorized)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// RequireOAuth lets through only requests with a valid access token that
// carries one of the server's scopes (and, when required, the customer
// claim), and puts the caller in the request's context (guard.CallerFrom).
func RequireOAuth(o *OAuth) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			raw, ok := bearer(r)
			if !ok {
				o.challenge(w, "send Authorization: Bearer <access token>")
				return
			}
			caller, err := o.Verify(r.Context(), raw)
			var ub *unbound
			switch {
			case errors.As(err, &ub):
				o.challenge(w, ub.Error())
				return
			case err != nil:
				o.challenge(w, "the access token is not valid here (issuer, audience, signature or time)")
				return
			case !o.anyScope(caller):
				o.insufficient(w, o.Scopes[0])
				return
			}
			next.ServeHTTP(w, r.WithContext(guard.WithCaller(r.Context(), caller)))
		})
	}
}

// RequireScope refuses, with 403 insufficient_scope, an OAuth caller
// without scope (/metrics needs basiq:metrics); o nil means no OAuth, and
// the static token or loopback already decided.
func RequireScope(o *OAuth, scope string) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if c, ok := guard.CallerFrom(r.Context()); o != nil && (!ok || !c.HasScope(scope)) {
				o.insufficient(w, scope)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
