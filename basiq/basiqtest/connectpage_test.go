package basiqtest

import (
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestConsentPageConnectsABank: an auth link's public URL is a form a
// person fills in; a bank without a web login is refused on the page
// (a wrong password, as at Basiq, fails the connection's job); a sandbox
// persona's login connects the link's user (a connection and its job at
// the API); a replaced link's page says it is no longer valid and
// connects nothing. Basiq's text on the page is escaped.
func TestConsentPageConnectsABank(t *testing.T) {
	srv := NewServer(WithTimeScale(0.001))
	defer srv.Close()
	auth := token(t, srv, url.Values{"scope": {"SERVER_ACCESS"}})
	id := newUser(t, srv, auth, "p@example.com", "+61400000998")
	status, link, _ := raw(t, srv, "POST", "/users/"+id+"/auth_link", auth, nil)
	require.Equal(t, 201, status)
	public := link["links"].(map[string]any)["public"].(string)

	get := func(u string) (int, string) {
		resp, err := srv.Client().Get(u)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	post := func(u string, form url.Values) (int, string) {
		resp, err := srv.Client().PostForm(u, form)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, page := get(public)
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, page, `<form method="post">`)
	assert.Contains(t, page, "Hooli Bank (AU00000)")
	assert.NotContains(t, page, "Aviato", "only banks with a web login are offered")

	code, page = post(public, url.Values{"institutionId": {"AU00007"}, "loginId": {"Whistler"}, "password": {"ShowBox"}})
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, page, `role="alert"`)
	assert.Contains(t, page, "not supported")
	assert.Empty(t, mustGet(t, srv, "/users/"+id+"/connections", auth)["data"], "nothing connected")

	code, page = post(public, url.Values{"institutionId": {"AU00000"}, "loginId": {"Whistler"}, "password": {"ShowBox"}})
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, page, "Connected.")
	conns := mustGet(t, srv, "/users/"+id+"/connections", auth)["data"].([]any)
	require.Len(t, conns, 1)
	assert.Contains(t, page, conns[0].(map[string]any)["id"].(string))

	status, _, _ = raw(t, srv, "POST", "/users/"+id+"/auth_link", auth, nil) // replaces the first link
	require.Equal(t, 201, status)
	code, page = get(public)
	assert.Equal(t, http.StatusNotFound, code)
	assert.Contains(t, page, "no longer valid")
	code, _ = post(public, url.Values{"institutionId": {"AU00000"}, "loginId": {"Whistler"}, "password": {"ShowBox"}})
	assert.Equal(t, http.StatusNotFound, code)
	assert.Len(t, mustGet(t, srv, "/users/"+id+"/connections", auth)["data"], 1, "a replaced link connects nothing")
}
