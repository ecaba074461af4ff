package tools

import (
	"net/http"
	"testing"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/stretchr/testify/assert"
)

// TestLimitsAreToldApartFromBadCredentials: Basiq answers some limits with
// 403 (API.md 3, 4): those must not send the operator to check a key that works.
func TestLimitsAreToldApartFromBadCredentials(t *testing.T) {
	cases := []struct {
		name      string
		err       *basiq.Error
		want, not string
	}{
		{"token flood", &basiq.Error{StatusCode: http.StatusForbidden, Code: basiq.CodeRequestNotValid, Title: "Invalid request", Method: "POST", Path: "/token"},
			"the API key is fine", "check BASIQ_API_KEY"},
		{"429", &basiq.Error{StatusCode: http.StatusTooManyRequests, Method: "GET", Path: "/users/u1"}, "rate limit", "check BASIQ_API_KEY"},
		{"sandbox cap", &basiq.Error{StatusCode: http.StatusForbidden, Code: basiq.CodeTooManySandbox, Method: "POST", Path: "/users/u1/auth_link"},
			"sandbox connection limit", "check BASIQ_API_KEY"},
		{"bad key", &basiq.Error{StatusCode: http.StatusUnauthorized, Code: basiq.CodeInvalidToken, Method: "GET", Path: "/users/u1"}, "check BASIQ_API_KEY", "rate limit"},
		{"disabled product", &basiq.Error{StatusCode: http.StatusForbidden, Code: basiq.CodeAccessDenied, Detail: "Please contact us to have your API key enabled for Connections.", Method: "GET", Path: "/users/u1/connections"},
			"check BASIQ_API_KEY", "rate limit"},
		{"filter refused", &basiq.Error{StatusCode: http.StatusBadRequest, Code: basiq.CodeParameterNotValid, Source: &basiq.ErrorSource{Parameter: "filter"},
			Detail: "The provided filter parameter is in invalid format or unsupported", Method: "GET", Path: "/users/u1/connections"}, "not your values", "fix that value"},
	}
	for _, c := range cases {
		msg := explain(c.err)
		assert.Contains(t, msg, c.want, c.name)
		assert.NotContains(t, msg, c.not, c.name)
	}
}
