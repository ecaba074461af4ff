package basiqtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// raw sends one request and decodes the JSON answer (nil for none).
func raw(t *testing.T, srv *Server, method, path, auth string, body io.Reader, hdr ...string) (int, map[string]any, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, body)
	require.NoError(t, err)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(b) > 0 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		require.NoError(t, json.Unmarshal(b, &out), string(b))
	}
	return resp.StatusCode, out, resp.Header
}

// newUser creates a user at the simulator and returns its id.
func newUser(t *testing.T, srv *Server, auth, email, mobile string) string {
	t.Helper()
	body := fmt.Sprintf(`{"email":%q,"mobile":%q}`, email, mobile)
	status, user, _ := raw(t, srv, "POST", "/users", auth, strings.NewReader(body), "Content-Type", "application/json")
	require.Equal(t, 201, status)
	return user["id"].(string)
}

func token(t *testing.T, srv *Server, form url.Values) string {
	t.Helper()
	status, out, _ := raw(t, srv, "POST", "/token", "Basic key", strings.NewReader(form.Encode()),
		"basiq-version", "3.0", "Content-Type", "application/x-www-form-urlencoded")
	require.Equal(t, 200, status, out)
	assert.Equal(t, "Bearer", out["token_type"])
	assert.EqualValues(t, 3600, out["expires_in"])
	return "Bearer " + out["access_token"].(string)
}

// firstError returns the code of the first error in an envelope, checking
// the envelope's shape on the way.
func firstError(t *testing.T, out map[string]any) map[string]any {
	t.Helper()
	require.Equal(t, "list", out["type"])
	require.NotEmpty(t, out["correlationId"])
	data := out["data"].([]any)
	require.NotEmpty(t, data)
	e := data[0].(map[string]any)
	assert.Equal(t, "error", e["type"])
	return e
}

func TestTokenEndpointRules(t *testing.T) {
	srv := NewServer(WithAPIKey("key"))
	defer srv.Close()
	form := strings.NewReader("scope=SERVER_ACCESS")
	cases := []struct {
		name, auth, version, body string
		status                    int
		code, detail              string
	}{
		{"no auth", "", "3.0", "scope=SERVER_ACCESS", 400, "parameter-not-supplied", "Authorization header parameter is required"},
		{"bearer instead of basic", "Bearer x", "3.0", "scope=SERVER_ACCESS", 400, "parameter-not-valid", "Invalid authorization header"},
		{"no version", "Basic key", "", "scope=SERVER_ACCESS", 400, "parameter-not-valid", "Basiq-version must be specified in HTTP request header"},
		{"old version", "Basic key", "0.9", "scope=SERVER_ACCESS", 400, "parameter-not-valid", ""},
		{"wrong key", "Basic other", "3.0", "scope=SERVER_ACCESS", 404, "parameter-not-valid", "Unable to authenticate. Please, check your API key"},
		{"bad scope", "Basic key", "3.0", "scope=ROOT", 400, "parameter-not-valid", ""},
		{"client without user", "Basic key", "3.0", "scope=CLIENT_ACCESS", 400, "parameter-not-supplied", ""},
	}
	_ = form
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, out, _ := raw(t, srv, "POST", "/token", tc.auth, strings.NewReader(tc.body),
				"basiq-version", tc.version, "Content-Type", "application/x-www-form-urlencoded")
			assert.Equal(t, tc.status, status)
			e := firstError(t, out)
			assert.Equal(t, tc.code, e["code"])
			if tc.detail != "" {
				assert.Equal(t, tc.detail, e["detail"])
			}
		})
	}
}

func TestBearerChecks(t *testing.T) {
	clock := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	srv := NewServer(WithClock(func() time.Time { return clock }))
	defer srv.Close()
	server := token(t, srv, url.Values{"scope": {"SERVER_ACCESS"}})
	conns := srv.Connections()
	userA, userB := conns[0].UserID, conns[len(conns)-1].UserID
	client := token(t, srv, url.Values{"scope": {"CLIENT_ACCESS"}, "userId": {userA}})

	status, out, _ := raw(t, srv, "GET", "/users/"+userA, "", nil)
	assert.Equal(t, 401, status)
	assert.Equal(t, "invalid-authorization-token", firstError(t, out)["code"])

	status, out, _ = raw(t, srv, "GET", "/users/"+userA, client, nil)
	assert.Equal(t, 403, status)
	assert.Equal(t, "forbidden-access", firstError(t, out)["code"])

	status, _, _ = raw(t, srv, "GET", "/connectors", client, nil)
	assert.Equal(t, 200, status, "CLIENT tokens may list connectors")

	status, refresh, _ := raw(t, srv, "POST", "/users/"+userB+"/connections/"+conns[len(conns)-1].ConnectionID+"/refresh", server, nil)
	require.Equal(t, 202, status)
	status, out, _ = raw(t, srv, "GET", "/jobs/"+refresh["id"].(string), client, nil)
	assert.Equal(t, 401, status, "a CLIENT token bound to another user")
	assert.Equal(t, "unauthorized-access", firstError(t, out)["code"])

	srv.ExpireTokens()
	status, out, _ = raw(t, srv, "GET", "/users/"+userA, server, nil)
	assert.Equal(t, 403, status)
	e := firstError(t, out)
	assert.Equal(t, "access-denied", e["code"])
	assert.Equal(t, "Token has expired", e["detail"])
}

func TestEnvelopeRoutingAndContentRules(t *testing.T) {
	srv := NewServer()
	defer srv.Close()
	auth := token(t, srv, url.Values{"scope": {"SERVER_ACCESS"}})
	user := srv.Connections()[0].UserID

	_, a, _ := raw(t, srv, "GET", "/users/nope", auth, nil)
	_, b, _ := raw(t, srv, "GET", "/users/nope", auth, nil)
	assert.NotEqual(t, a["correlationId"], b["correlationId"], "a fresh correlationId each time")
	assert.Equal(t, "Requested user does not exist.", firstError(t, a)["detail"])

	cases := []struct {
		name, method, path string
		body               io.Reader
		hdr                []string
		status             int
		code               string
	}{
		{"unknown route", "GET", "/nothing/here", nil, nil, 404, "resource-not-found"},
		{"wrong method", "PUT", "/users/" + user, nil, nil, 405, "method-not-allowed"},
		{"double slash", "GET", "/users//connections", nil, nil, 403, "request-not-valid"},
		{"bad id", "GET", "/users/a%20b", nil, nil, 400, "parameter-not-valid"},
		{"bad filter", "GET", "/users/" + user + "/transactions?filter=" + url.QueryEscape("transaction.nope.eq('x')"), nil, nil, 400, "parameter-not-valid"},
		{"garbled filter", "GET", "/users/" + user + "/transactions?filter=" + url.QueryEscape("account.id.eq('x"), nil, nil, 400, "parameter-not-valid"},
		{"bad date", "GET", "/users/" + user + "/transactions?filter=" + url.QueryEscape("transaction.postDate.gt('yesterday')"), nil, nil, 400, "parameter-not-valid"},
		{"limit too big", "GET", "/users/" + user + "/transactions?limit=501", nil, nil, 400, "parameter-not-valid"},
		{"limit not a number", "GET", "/users/" + user + "/transactions?limit=ten", nil, nil, 400, "parameter-not-valid"},
		{"bad next", "GET", "/users/" + user + "/transactions?next=zzz", nil, nil, 400, "parameter-not-valid"},
		{"accept xml", "GET", "/users/" + user, nil, []string{"Accept", "application/xml"}, 400, "unsupported-accept"},
		{"form body on json endpoint", "POST", "/users", strings.NewReader("email=a"), []string{"Content-Type", "text/plain"}, 415, "unsupported-content-type"},
		{"empty user", "POST", "/users", strings.NewReader("{}"), []string{"Content-Type", "application/json"}, 400, "parameter-not-supplied"},
		{"not json", "POST", "/users", strings.NewReader("{"), []string{"Content-Type", "application/json"}, 400, "invalid-content"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, out, _ := raw(t, srv, tc.method, tc.path, auth, tc.body, tc.hdr...)
			assert.Equal(t, tc.status, status)
			assert.Equal(t, tc.code, firstError(t, out)["code"])
		})
	}
	errs := firstError(t, mustGet(t, srv, "/users/"+user+"/transactions?limit=501", auth))
	assert.Equal(t, "Maximum limit allowed is 500", errs["detail"])
	assert.Equal(t, "limit", errs["source"].(map[string]any)["parameter"])
}

func mustGet(t *testing.T, srv *Server, path, auth string) map[string]any {
	_, out, _ := raw(t, srv, "GET", path, auth, nil)
	return out
}

func TestPagingFollowsOpaqueCursorsWithTheFilter(t *testing.T) {
	srv := NewServer()
	defer srv.Close()
	auth := token(t, srv, url.Values{"scope": {"SERVER_ACCESS"}})
	user := srv.Connections()[0].UserID
	filter := url.QueryEscape("transaction.direction.eq('debit')")
	page := mustGet(t, srv, "/users/"+user+"/transactions?limit=50&filter="+filter, auth)
	total := int(page["size"].(float64))
	require.Greater(t, total, 100)
	seen := map[string]bool{}
	for pages := 0; ; pages++ {
		require.Less(t, pages, 100)
		for _, d := range page["data"].([]any) {
			tx := d.(map[string]any)
			assert.Equal(t, "debit", tx["direction"])
			assert.False(t, seen[tx["id"].(string)], "no repeats")
			seen[tx["id"].(string)] = true
		}
		next, ok := page["links"].(map[string]any)["next"].(string)
		if !ok {
			break
		}
		u, err := url.Parse(next)
		require.NoError(t, err)
		assert.Equal(t, []string{"next"}, keys(u.Query()), "the cursor carries the filter; nothing else is sent")
		page = mustGet(t, srv, u.RequestURI(), auth)
	}
	assert.Len(t, seen, total)
}

func keys(v url.Values) []string {
	var out []string
	for k := range v {
		out = append(out, k)
	}
	return out
}

func TestFaultInjection(t *testing.T) {
	srv := NewServer(WithFault(Fault{Kind: FaultStatus, Status: 502, Path: "/connectors", Times: 1}))
	defer srv.Close()
	auth := token(t, srv, url.Values{"scope": {"SERVER_ACCESS"}})
	status, out, _ := raw(t, srv, "GET", "/connectors", auth, nil)
	assert.Equal(t, 502, status)
	assert.Nil(t, out, "a gateway page is not Basiq's envelope")
	status, _, _ = raw(t, srv, "GET", "/connectors", auth, nil)
	assert.Equal(t, 200, status, "Times: 1 fires once")

	srv.InjectFault(Fault{Kind: FaultStatus, Status: 429, RetryAfter: 30 * time.Second})
	status, out, hdr := raw(t, srv, "GET", "/connectors", auth, nil)
	assert.Equal(t, 429, status)
	assert.Equal(t, "30", hdr.Get("Retry-After"))
	assert.Equal(t, "too-many-requests", firstError(t, out)["code"])
	srv.ClearFaults()

	srv.InjectFault(Fault{Kind: FaultMalformed, Times: 1})
	req, _ := http.NewRequest("GET", srv.URL+"/connectors", nil)
	req.Header.Set("Authorization", auth)
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.False(t, json.Valid(b))

	srv.InjectFault(Fault{Kind: FaultDrop, Times: 1})
	req, _ = http.NewRequest("GET", srv.URL+"/connectors", nil)
	// A fresh connection: Go's transport silently repeats a GET dropped on a
	// reused one, which would hide the fault.
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	_, err = fresh.Do(req)
	assert.Error(t, err, "the connection is dropped")

	srv.InjectFault(Fault{Kind: FaultLatency, Latency: 50 * time.Millisecond, Times: 1})
	start := time.Now()
	raw(t, srv, "GET", "/connectors", auth, nil)
	assert.GreaterOrEqual(t, time.Since(start), 50*time.Millisecond)
	assert.Equal(t, 6, srv.Calls("GET /connectors"))
}

func TestSandboxConsentEndpointAndConnectPage(t *testing.T) {
	srv := NewServer(WithTimeScale(0.001))
	defer srv.Close()
	auth := token(t, srv, url.Values{"scope": {"SERVER_ACCESS"}})
	id := newUser(t, srv, auth, "s@example.com", "+61400000999")

	status, out, _ := raw(t, srv, "POST", "/sandbox/users/"+id+"/consent", auth,
		strings.NewReader(`{"institutionId":"AU00000","loginId":"richard","password":"tabsnotspaces","state":"xyz"}`), "Content-Type", "application/json")
	require.Equal(t, 201, status, out)
	jobs := out["jobIds"].([]any)
	require.Len(t, jobs, 1)
	assert.Contains(t, out["redirect"], "state=xyz")
	require.Eventually(t, func() bool {
		job := mustGet(t, srv, "/jobs/"+jobs[0].(string), auth)
		steps := job["steps"].([]any)
		return steps[len(steps)-1].(map[string]any)["status"] == "success"
	}, 5*time.Second, 5*time.Millisecond)
	accts := mustGet(t, srv, "/users/"+id+"/accounts", auth)
	assert.Len(t, accts["data"], 10, "richard's ten accounts")

	status, out, _ = raw(t, srv, "POST", "/sandbox/users/"+id+"/consent", auth,
		strings.NewReader(`{"institutionId":"AU00000","method":"pdf","loginId":"richard","password":"x"}`), "Content-Type", "application/json")
	assert.Equal(t, 400, status)
	assert.Equal(t, "institution-not-supported", firstError(t, out)["code"])

	status, link, _ := raw(t, srv, "POST", "/users/"+id+"/auth_link", auth, nil)
	require.Equal(t, 201, status)
	resp, err := srv.Client().Get(link["links"].(map[string]any)["public"].(string))
	require.NoError(t, err)
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Contains(t, string(page), "/sandbox/users/{userId}/consent")
}

func TestReportPDFAndValidation(t *testing.T) {
	srv := NewServer(WithTimeScale(0.001))
	defer srv.Close()
	auth := token(t, srv, url.Values{"scope": {"SERVER_ACCESS"}})
	user := srv.Connections()[0].UserID
	post := func(body string) (int, map[string]any) {
		status, out, _ := raw(t, srv, "POST", "/reports", auth, strings.NewReader(body), "Content-Type", "application/json")
		return status, out
	}
	status, out := post(`{"reportType":"BUS_AFFOR_01","title":"b","filters":[]}`)
	assert.Equal(t, 403, status, "business affordability is not enabled")
	assert.Equal(t, "forbidden-access", firstError(t, out)["code"])
	assert.Contains(t, firstError(t, out)["detail"], "enabled for Business Affordability")
	status, out = post(`{"reportType":"CON_AFFOR_01","title":"` + strings.Repeat("x", 51) + `","filters":[]}`)
	assert.Equal(t, 400, status)
	assert.Equal(t, "title", firstError(t, out)["source"].(map[string]any)["parameter"])
	status, out = post(`{"reportType":"CON_AFFOR_01","title":"dup","filters":[{"name":"fromDate","value":"2026-01-01"},{"name":"toDate","value":"2026-02-01"},{"name":"accounts","value":[]},{"name":"users","value":["` + user + `","` + user + `"]}]}`)
	assert.Equal(t, 400, status)
	assert.Contains(t, firstError(t, out)["detail"], "more than once")
	status, out = post(`{"reportType":"STATEMENT_01","title":"st","filters":[{"name":"fromDate","value":"2026-01-01"},{"name":"user","value":"` + user + `"},{"name":"account","value":"nope"}]}`)
	assert.Equal(t, 400, status)
	assert.Contains(t, firstError(t, out)["detail"], "does not belong")

	accts := mustGet(t, srv, "/users/"+user+"/accounts", auth)["data"].([]any)
	account := accts[0].(map[string]any)["id"].(string)
	status, job := post(`{"reportType":"STATEMENT_01","title":"st","filters":[{"name":"fromDate","value":"2026-01-01"},{"name":"user","value":"` + user + `"},{"name":"account","value":"` + account + `"}]}`)
	require.Equal(t, 202, status, job)
	var reportURL string
	require.Eventually(t, func() bool {
		j := mustGet(t, srv, "/jobs/"+job["id"].(string), auth)
		if j["status"] != "success" {
			return false
		}
		reportURL = j["steps"].([]any)[0].(map[string]any)["result"].(map[string]any)["url"].(string)
		return true
	}, 5*time.Second, 5*time.Millisecond)
	req, _ := http.NewRequest("GET", srv.URL+reportURL, nil)
	req.Header.Set("Authorization", auth)
	req.Header.Set("Accept", "application/pdf")
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	pdf, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, "application/pdf", resp.Header.Get("Content-Type"))
	assert.True(t, strings.HasPrefix(string(pdf), "%PDF-1.4") && strings.HasSuffix(string(pdf), "%%EOF\n"))
	txns := mustGet(t, srv, reportURL+"/transactions?limit=5", auth)
	assert.Len(t, txns["data"], 5, "the report's transaction snapshot")
}

func TestDocumentedLimits(t *testing.T) {
	clock := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	srv := NewServer(WithClock(func() time.Time { return clock }))
	defer srv.Close()
	form := url.Values{"scope": {"SERVER_ACCESS"}}
	for i := range 1500 {
		status, _, _ := raw(t, srv, "POST", "/token", "Basic k", strings.NewReader(form.Encode()),
			"basiq-version", "3.0", "Content-Type", "application/x-www-form-urlencoded")
		require.Equal(t, 200, status, "token %d", i+1)
	}
	status, out, hdr := raw(t, srv, "POST", "/token", "Basic k", strings.NewReader(form.Encode()),
		"basiq-version", "3.0", "Content-Type", "application/x-www-form-urlencoded")
	assert.Equal(t, 403, status, "the 1,501st token in five minutes: a flood of token requests is a 403")
	assert.Equal(t, "request-not-valid", firstError(t, out)["code"])
	assert.Equal(t, "300", hdr.Get("Retry-After"))

	// Basiq caps sandbox connections at 500 per partner.
	user := srv.Connections()[0].UserID
	var err error
	for n := len(srv.Connections()); n < maxSandboxConnections; n++ {
		srv.mu.Lock()
		u := srv.users[user]
		c := &simConn{ID: srv.nextID("connection"), UserID: user, InstitutionID: "AU00000", Method: "web", Status: "active", scale: 1, generated: true}
		srv.conns[c.ID] = c
		u.conns = append(u.conns, c.ID)
		srv.mu.Unlock()
	}
	fresh := srv.users[srv.userOrder[len(srv.userOrder)-1]].ID
	_, err = srv.CompleteConsent(fresh, ConsentRequest{InstitutionID: "AU00002", LoginID: "jared", Password: "django"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "too-many-sandbox-connections")
}

func TestSecondJobWithCredentialsInUseWaitsSixMinutes(t *testing.T) {
	now := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	srv := NewServer(WithClock(func() time.Time { return now }))
	defer srv.Close()
	users := srv.Connections()
	a, b := users[0].UserID, users[len(users)-1].UserID
	first, err := srv.CompleteConsent(a, ConsentRequest{InstitutionID: "NZ00001", LoginID: "richard", Password: "tabsnotspaces"})
	require.NoError(t, err)
	second, err := srv.CompleteConsent(b, ConsentRequest{InstitutionID: "NZ00001", LoginID: "richard", Password: "tabsnotspaces"})
	require.NoError(t, err)
	auth := token(t, srv, url.Values{"scope": {"SERVER_ACCESS"}})
	stepStatus := func(job string) string {
		return mustGet(t, srv, "/jobs/"+job, auth)["steps"].([]any)[0].(map[string]any)["status"].(string)
	}
	assert.Equal(t, "in-progress", stepStatus(first.JobIDs[0]))
	assert.Equal(t, "pending", stepStatus(second.JobIDs[0]), "paused while the same credentials are in use")
	now = now.Add(5 * time.Minute)
	assert.Equal(t, "pending", stepStatus(second.JobIDs[0]))
	now = now.Add(2 * time.Minute)
	assert.NotEqual(t, "pending", stepStatus(second.JobIDs[0]), "resumed after six minutes")
}

// TestSpellingsFollowThePublishedFiles: method, consent scopes and Open
// Banking statuses as Basiq's files and docs spell them.
func TestSpellingsFollowThePublishedFiles(t *testing.T) {
	srv := NewServer(WithTimeScale(1000)) // jobs wait: the new connection stays in its first status
	defer srv.Close()
	auth := token(t, srv, url.Values{"scope": {"SERVER_ACCESS"}})
	user := srv.Connections()[0].UserID
	res, err := srv.CompleteConsent(user, ConsentRequest{InstitutionID: "AU00000", Method: "open-banking",
		LoginID: openBankingLogin.Member, Password: openBankingLogin.OTP})
	require.NoError(t, err)
	conn := mustGet(t, srv, "/users/"+user+"/connections/"+res.ConnectionID, auth)
	assert.Equal(t, "openbanking", conn["method"], "data.yml's spelling")
	assert.Equal(t, "init", conn["status"], "an Open Banking connection that passed authorisation")

	for _, filter := range []string{"connector.method.eq('open-banking')", "connector.method.eq('openbanking')"} {
		list := mustGet(t, srv, "/connectors?filter="+url.QueryEscape(filter), auth)
		require.NotEmpty(t, list["data"], filter)
		assert.Equal(t, "openbanking", list["data"].([]any)[0].(map[string]any)["method"])
	}
	consents := mustGet(t, srv, "/users/"+user+"/consents", auth)
	perms := consents["data"].([]any)[0].(map[string]any)["data"].(map[string]any)["permissions"].([]any)
	assert.Equal(t, "account.basic", perms[0].(map[string]any)["scope"], "core.yml's consent examples")
}
