package basiqtest

import (
	"fmt"
	"mime"
	"net/http"
	"strings"
	"time"
)

const (
	scopeServer = "SERVER_ACCESS"
	scopeClient = "CLIENT_ACCESS"

	tokenWindow    = 5 * time.Minute // Basiq allows 1,500 token requests per 5 minutes
	tokenWindowMax = 1500
	tokenLifetime  = time.Hour // Basiq tokens last 3600 s
)

// postToken issues a token, as POST /token does: Basic auth with the key as
// issued, basiq-version 3.0, a form body with scope (and userId for
// CLIENT_ACCESS).
func (s *Simulator) postToken(x *exchange) {
	auth := x.r.Header.Get("Authorization")
	key, isBasic := strings.CutPrefix(auth, "Basic ")
	switch {
	case auth == "":
		x.missingParam("Authorization", "Authorization header parameter is required")
		return
	case !isBasic || strings.TrimSpace(key) == "":
		x.badParam("Authorization", "Invalid authorization header")
		return
	}
	switch v := x.r.Header.Get("basiq-version"); v {
	case "3.0":
	case "":
		x.fail(http.StatusBadRequest, "parameter-not-valid", "Parameter value is not valid",
			"Basiq-version must be specified in HTTP request header", &errSource{Parameter: "basiq-version", Pointer: "header/basiq-version"})
		return
	default:
		x.badParam("basiq-version", "Version "+v+" is not supported by this simulator; use 3.0")
		return
	}
	if s.cfg.apiKey != "" && strings.TrimSpace(key) != s.cfg.apiKey {
		x.fail(http.StatusNotFound, "parameter-not-valid", "Parameter value is not valid", "Unable to authenticate. Please, check your API key", nil)
		return
	}
	if mt, _, _ := mime.ParseMediaType(x.r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" && mt != "" {
		x.fail(http.StatusUnsupportedMediaType, "unsupported-content-type", "Content type is not supported",
			"Content type "+mt+" is not supported on requested endpoint.", nil)
		return
	}
	if err := x.r.ParseForm(); err != nil {
		x.fail(http.StatusBadRequest, "invalid-content", "Invalid request content", "Posted content is not in valid format.", nil)
		return
	}
	scope, userID := x.r.PostForm.Get("scope"), x.r.PostForm.Get("userId")
	if scope == "" {
		scope = scopeServer
	}
	if scope != scopeServer && scope != scopeClient {
		x.badParam("scope", "Scope must be SERVER_ACCESS or CLIENT_ACCESS")
		return
	}
	if scope == scopeClient {
		if userID == "" {
			x.missingParam("userId", "userId is required for CLIENT_ACCESS tokens")
			return
		}
		if s.users[userID] == nil {
			x.notFound("Requested user does not exist.")
			return
		}
	}
	if !s.allowToken(x) {
		return
	}
	tok := newToken()
	s.tokens[tok] = &simToken{Scope: scope, UserID: userID, expires: x.now.Add(tokenLifetime)}
	x.json(http.StatusOK, obj{"access_token": tok, "token_type": "Bearer", "expires_in": int(tokenLifetime.Seconds())})
}

// allowToken enforces Basiq's token rate limit over a sliding window.
func (s *Simulator) allowToken(x *exchange) bool {
	if ok, retry := admit(&s.tokenTimes, x.now, tokenWindow, tokenWindowMax); !ok {
		// API.md 3 [H]: a flood of token requests from one address is a 403
		// request-not-valid "Invalid request" (newer docs also list 429).
		if retry > 0 {
			x.w.Header().Set("Retry-After", fmt.Sprint(int(retry.Seconds()+0.999)))
		}
		x.fail(http.StatusForbidden, "request-not-valid", "Invalid request", "Invalid request.", nil)
		return false
	}
	// Expired tokens are forgotten so a long-running simulator does not grow.
	for k, t := range s.tokens {
		if x.now.Sub(t.expires) > time.Hour {
			delete(s.tokens, k)
		}
	}
	return true
}
