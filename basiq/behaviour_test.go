package basiq_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestErrorEnvelopeBecomesTypedError(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		basiqError(w, 404, "resource-not-found", "Requested user does not exist.")
	})
	_, err := api.client(t).GetUser(context.Background(), "u404")
	require.Error(t, err)
	e, ok := basiq.AsError(err)
	require.True(t, ok)
	assert.Equal(t, 404, e.StatusCode)
	assert.Equal(t, "resource-not-found", e.Code)
	assert.Equal(t, "Requested user does not exist.", e.Detail)
	assert.Equal(t, "corr-1", e.CorrelationID)
	assert.Equal(t, "p", e.Source.Parameter)
	assert.Equal(t, "/users/u404", e.Path)
	assert.True(t, basiq.IsNotFound(err))
	assert.Contains(t, err.Error(), "404 resource-not-found: Requested user does not exist.")
	assert.Len(t, api.requests(), 1, "a 404 is not retried")
}

func TestGoneAndGatewayPages(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/users/u1/auth_link" {
			basiqError(w, 410, "resource-no-longer-available", "expired")
			return
		}
		w.WriteHeader(http.StatusBadGateway)
		w.Write([]byte("<html>bad gateway</html>"))
	})
	c := api.client(t)
	_, err := c.GetAuthLink(context.Background(), "u1")
	assert.True(t, basiq.IsGone(err))
	_, err = c.GetUser(context.Background(), "u1")
	e, ok := basiq.AsError(err)
	require.True(t, ok)
	assert.Equal(t, 502, e.StatusCode)
	assert.Empty(t, e.Code)
	assert.Equal(t, "Bad Gateway", e.Title)
	assert.Len(t, api.requests(), 1+4, "a 502 on a GET is retried up to MaxAttempts")
}

func TestRetriesIdempotentRequestsHonouringRetryAfter(t *testing.T) {
	var n atomic.Int32
	var gaps []time.Duration
	last := time.Now()
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		gaps = append(gaps, time.Since(last))
		last = time.Now()
		switch n.Add(1) {
		case 1:
			w.Header().Set("Retry-After", "1")
			basiqError(w, 429, "too-many-requests", "Query limit reached.")
			return
		case 2:
			basiqError(w, 503, "service-unavailable", "Service is currently unavailable.")
			return
		}
		reply(w, 200, userJSON)
	})
	u, err := api.client(t).GetUser(context.Background(), "u1")
	require.NoError(t, err)
	assert.Equal(t, "u1", u.ID)
	assert.Equal(t, int32(3), n.Load())
	assert.GreaterOrEqual(t, gaps[1], 900*time.Millisecond, "waited for Retry-After")
}

func TestRetryAfterBeyondBudgetIsReturned(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "120")
		basiqError(w, 429, "too-many-requests", "Query limit reached.")
	})
	start := time.Now()
	_, err := api.client(t).GetUser(context.Background(), "u1")
	assert.Less(t, time.Since(start), time.Second, "did not sleep for two minutes")
	wait, limited := basiq.IsRateLimited(err)
	assert.True(t, limited)
	assert.Equal(t, 120*time.Second, wait)
	assert.Contains(t, err.Error(), "retry after 2m0s")
	assert.Len(t, api.requests(), 1)
}

func TestNonIdempotentPostsAreNotRetried(t *testing.T) {
	for _, status := range []int{429, 500, 502, 503, 504} {
		api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) { basiqError(w, status, "x", "y") })
		c := api.client(t)
		_, _, err := c.RefreshConnection(context.Background(), "u1", "c1")
		require.Error(t, err)
		_, err = c.CreateUser(context.Background(), basiq.UserParams{Email: "a@b.co"})
		require.Error(t, err)
		assert.Len(t, api.requests(), 2, "status %d: one refresh and one create, never repeated", status)
	}
}

func TestMalformedBodyOnGetIsRetriedThenReported(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) { reply(w, 200, `{"type":"user","id":`) })
	_, err := api.client(t).GetUser(context.Background(), "u1")
	require.ErrorContains(t, err, "malformed response body")
	assert.Len(t, api.requests(), 4)
}

func TestNetworkErrorsAreRetriedForReads(t *testing.T) {
	var n atomic.Int32
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
			return
		}
		reply(w, 200, userJSON)
	})
	_, err := api.client(t).GetUser(context.Background(), "u1")
	require.NoError(t, err)
	assert.Equal(t, int32(2), n.Load())
}

func TestRefusedConnectionIsSafeToRetryEvenForPosts(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close() // nothing listens: every dial is refused
	c, err := basiq.NewClient("k", basiq.WithBaseURL("http://"+addr),
		basiq.WithRetryPolicy(basiq.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond, MaxElapsed: time.Second}))
	require.NoError(t, err)
	_, err = c.CreateUser(context.Background(), basiq.UserParams{Email: "a@b.co"})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "k@") // no credentials in the message
}

func TestExpiredTokenIsRenewedOnceAndTheRequestRepeated(t *testing.T) {
	var seen []string
	var mu sync.Mutex
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("Authorization"))
		mu.Unlock()
		if r.Header.Get("Authorization") == "Bearer tok-1" {
			reply(w, 403, `{"type":"list","correlationId":"c","data":[{"type":"error","code":"access-denied","title":"Access denied.","detail":"Token has expired","source":null}]}`)
			return
		}
		reply(w, 201, userJSON)
	})
	c := api.client(t)
	_, err := c.CreateUser(context.Background(), basiq.UserParams{Email: "a@b.co"})
	require.NoError(t, err)
	assert.Equal(t, []string{"Bearer tok-1", "Bearer tok-2"}, seen)
	assert.Equal(t, int32(2), api.tokenCalls.Load())
}

func TestTokenRejectedTwiceIsReturned(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		basiqError(w, 401, "invalid-authorization-token", "Invalid authorization token.")
	})
	_, err := api.client(t).GetUser(context.Background(), "u1")
	assert.True(t, basiq.IsAuthFailure(err))
	assert.Equal(t, int32(2), api.tokenCalls.Load(), "renewed once, not in a loop")
}

func TestOneTokenRequestFor1000ConcurrentCalls(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) { reply(w, 200, userJSON) })
	api.tokenDelay = 50 * time.Millisecond // every caller arrives while the token is being fetched
	c := api.client(t, basiq.WithHTTPClient(&http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 200}}))
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	for range 1000 {
		wg.Go(func() {
			_, err := c.GetUser(context.Background(), "u1")
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, int32(1), api.tokenCalls.Load())
}

func TestTokenIsRenewedBeforeItExpires(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) { reply(w, 200, userJSON) })
	c := api.client(t, basiq.WithClock(clock))
	get := func() {
		_, err := c.GetUser(context.Background(), "u1")
		require.NoError(t, err)
	}
	get()
	advance(25 * time.Minute)
	get()
	assert.Equal(t, int32(1), api.tokenCalls.Load(), "a token under half its life is reused")
	advance(10 * time.Minute) // 35 min: past half-life, still valid
	get()
	require.Eventually(t, func() bool { return api.tokenCalls.Load() == 2 }, time.Second, time.Millisecond, "renewed in the background")
	advance(70 * time.Minute) // far past expiry of the first; the second is fresh again only if renewed
	get()
	reqs := api.requests()
	assert.Equal(t, "Bearer tok-1", reqs[2].Auth, "the old token still served while the renewal ran")
}

func TestCancelledCallerDoesNotFailOthersWaitingForToken(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) { reply(w, 200, userJSON) })
	api.tokenDelay = 100 * time.Millisecond
	c := api.client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	var wg sync.WaitGroup
	var otherErr error
	wg.Go(func() { _, otherErr = c.GetUser(context.Background(), "u1") })
	_, err := c.GetUser(ctx, "u1")
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	wg.Wait()
	assert.NoError(t, otherErr)
	assert.Equal(t, int32(1), api.tokenCalls.Load())
}

func TestBadIDsNeverReachTheNetwork(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) { reply(w, 200, `{}`) })
	c := api.client(t)
	ctx := context.Background()
	for _, id := range []string{"../token", "a/b", "", "..", ".hidden", "a?b=c", "a#b", "a b", "ü", "%2e%2e", strings.Repeat("a", 129)} {
		_, err := c.GetUser(ctx, id)
		assert.ErrorContains(t, err, "user id", "id %q", id)
		_, err = c.GetConnection(ctx, "u1", id)
		assert.ErrorContains(t, err, "connection id", "id %q", id)
		_, _, err = c.RefreshConnection(ctx, "u1", id)
		assert.Error(t, err)
	}
	assert.Empty(t, api.requests())
	assert.Zero(t, api.tokenCalls.Load())
}

func TestFilterValuesAreQuotedAndEscaped(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) { reply(w, 200, `{"type":"list","data":[]}`) })
	c := api.client(t)
	_, err := c.ListTransactions(context.Background(), "u1", basiq.ListTransactionsOptions{Class: `pay'),account.id.eq('x`})
	require.NoError(t, err)
	assert.Equal(t, `transaction.class.eq('pay\'),account.id.eq(\'x')`, api.requests()[0].Filter)
	_, err = c.ListTransactions(context.Background(), "u1", basiq.ListTransactionsOptions{Class: "a\nb"})
	assert.ErrorContains(t, err, "control characters")
	_, err = c.ListTransactions(context.Background(), "u1", basiq.ListTransactionsOptions{
		From: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	assert.ErrorContains(t, err, "ends (2026-01-01) before it starts")
	_, err = c.ListTransactions(context.Background(), "u1", basiq.ListTransactionsOptions{PageOptions: basiq.PageOptions{Limit: 501}})
	assert.ErrorContains(t, err, "out of range")
	assert.Len(t, api.requests(), 1)
}

func TestNextLinksAreFollowedAsGivenButOnlyOnTheSameHost(t *testing.T) {
	var api *fakeAPI
	api = newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("next") {
		case "":
			reply(w, 200, `{"type":"list","data":[{"id":"t1"},{"id":"t2"}],"links":{"next":"`+api.URL+`/users/u1/transactions?next=abc%3D"}}`)
		case "abc=":
			reply(w, 200, `{"type":"list","data":[{"id":"t3"}],"links":{"next":"`+api.URL+`/users/u1/transactions?next=last"}}`)
		default:
			reply(w, 200, `{"type":"list","data":[{"id":"t4"}],"links":{}}`)
		}
	})
	c := api.client(t)
	txns, truncated, err := c.AllTransactions(context.Background(), "u1", basiq.ListTransactionsOptions{}, 0, 0)
	require.NoError(t, err)
	assert.False(t, truncated)
	assert.Len(t, txns, 4)
	assert.Equal(t, "next=abc%3D", api.requests()[1].RawQuery, "the cursor is sent exactly as given")

	txns, truncated, err = c.AllTransactions(context.Background(), "u1", basiq.ListTransactionsOptions{}, 3, 0)
	require.NoError(t, err)
	assert.True(t, truncated)
	assert.Len(t, txns, 3)

	_, err = c.ListTransactions(context.Background(), "u1", basiq.ListTransactionsOptions{PageOptions: basiq.PageOptions{Next: "https://evil.example/users/u1/transactions?next=x"}})
	assert.ErrorContains(t, err, "another host")
	sent := len(api.requests())
	for _, forged := range []string{"/token?next=x", "/users/u1/transactions/../../../reports?next=x", "/users/u1/transactions/%2e%2e/%2e%2e/u2/transactions?next=x",
		"/users/u1/transactionsX?next=x", "/users/u1/transactions/t1?next=x"} {
		_, err = c.ListTransactions(context.Background(), "u1", basiq.ListTransactionsOptions{PageOptions: basiq.PageOptions{Next: api.URL + forged}})
		assert.ErrorContains(t, err, "does not continue", forged)
	}
	assert.Len(t, api.requests(), sent, "no forged next link was followed")
}

func TestSecretsNeverAppearInErrors(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		basiqError(w, 400, "parameter-not-valid", "bad header "+r.Header.Get("Authorization")+" for key test-key")
	})
	_, err := api.client(t).GetUser(context.Background(), "u1")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "tok-1")
	assert.NotContains(t, err.Error(), "test-key")
	assert.Contains(t, err.Error(), "[REDACTED]")
}

func TestBadAPIKeyIsAnAuthFailure(t *testing.T) {
	api := newFakeAPI(t, nil)
	c, err := basiq.NewClient("wrong-key", basiq.WithBaseURL(api.URL))
	require.NoError(t, err)
	_, err = c.GetUser(context.Background(), "u1")
	var e *basiq.Error
	require.True(t, errors.As(err, &e))
	assert.Equal(t, "/token", e.Path)
	assert.NotContains(t, err.Error(), "wrong-key")
}

func TestNewClientValidatesOptions(t *testing.T) {
	_, err := basiq.NewClient("")
	assert.ErrorContains(t, err, "API key is required")
	_, err = basiq.NewClient("k", basiq.WithBaseURL("ftp://x"))
	assert.ErrorContains(t, err, "absolute http(s) URL")
	c, err := basiq.NewClient("k")
	require.NoError(t, err)
	assert.Equal(t, basiq.DefaultBaseURL, c.BaseURL())
}

func TestBaseURLWithAPathPrefix(t *testing.T) {
	var paths []string
	var mu sync.Mutex
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path+"?"+r.URL.RawQuery)
		mu.Unlock()
		if r.URL.Query().Get("next") == "" {
			reply(w, 200, `{"type":"list","data":[{"id":"t1"}],"links":{"next":"/proxy/basiq/users/u1/transactions?next=2"}}`)
			return
		}
		reply(w, 200, `{"type":"list","data":[{"id":"t2"}],"links":{}}`)
	})
	// The fake answers /token at the root; put the prefix only on data calls.
	c, err := basiq.NewClient("test-key", basiq.WithBaseURL(api.URL+"/proxy/basiq"),
		basiq.WithHTTPClient(&http.Client{Transport: prefixTokenPath{http.DefaultTransport}}))
	require.NoError(t, err)
	txns, _, err := c.AllTransactions(context.Background(), "u1", basiq.ListTransactionsOptions{}, 0, 0)
	require.NoError(t, err)
	assert.Len(t, txns, 2)
	assert.Equal(t, []string{"/proxy/basiq/users/u1/transactions?", "/proxy/basiq/users/u1/transactions?next=2"}, paths)
}

// prefixTokenPath sends /proxy/basiq/token to the fake's /token.
type prefixTokenPath struct{ next http.RoundTripper }

func (p prefixTokenPath) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Path, "/token") {
		r.URL.Path = "/token"
	}
	return p.next.RoundTrip(r)
}

func TestConnectorListsAreCachedBriefly(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		reply(w, 200, `{"type":"list","data":[{"type":"connector","id":"AU00000","status":"operational"}]}`)
	})
	c := api.client(t, basiq.WithClock(clock))
	ctx := context.Background()
	first, err := c.ListConnectors(ctx, basiq.ListConnectorsOptions{ID: "AU00000"})
	require.NoError(t, err)
	first.Data[0].Status = "tampered" // a caller's change must not reach the cache
	again, err := c.ListConnectors(ctx, basiq.ListConnectorsOptions{ID: "AU00000"})
	require.NoError(t, err)
	assert.Equal(t, "operational", again.Data[0].Status)
	assert.Len(t, api.requests(), 1, "the second lookup is served from the cache")
	assert.Equal(t, 1, c.ConnectorCacheHits())
	_, err = c.ListConnectors(ctx, basiq.ListConnectorsOptions{ID: "AU00002"})
	require.NoError(t, err)
	assert.Len(t, api.requests(), 2, "another query is another entry")
	mu.Lock()
	now = now.Add(basiq.DefaultConnectorCacheTTL)
	mu.Unlock()
	_, err = c.ListConnectors(ctx, basiq.ListConnectorsOptions{ID: "AU00000"})
	require.NoError(t, err)
	assert.Len(t, api.requests(), 3, "an expired entry is fetched again")

	off := api.client(t, basiq.WithConnectorCacheTTL(0))
	off.ListConnectors(ctx, basiq.ListConnectorsOptions{})
	off.ListConnectors(ctx, basiq.ListConnectorsOptions{})
	assert.Len(t, api.requests(), 5, "a TTL of 0 turns the cache off")
}

// TestCreateNeverSentForWantOfATokenDidNotHappen: when Basiq's token
// endpoint fails, a create is never sent, so its error must not say it
// may have happened (a keyed create would otherwise stay unknown for a
// day instead of being sent again).
func TestCreateNeverSentForWantOfATokenDidNotHappen(t *testing.T) {
	var creates atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/token" {
			basiqError(w, http.StatusServiceUnavailable, "service-unavailable", "Service Unavailable")
			return
		}
		creates.Add(1)
	}))
	t.Cleanup(srv.Close)
	c, err := basiq.NewClient("k", basiq.WithBaseURL(srv.URL),
		basiq.WithRetryPolicy(basiq.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond, MaxElapsed: time.Second}))
	require.NoError(t, err)
	_, err = c.CreateUser(context.Background(), basiq.UserParams{Email: "a@b.co"})
	require.Error(t, err)
	assert.Zero(t, creates.Load(), "nothing but the token was asked for")
	assert.False(t, basiq.MayHaveHappened(err), "%v", err)
	_, unavailable := basiq.IsUnavailable(err)
	assert.False(t, unavailable, "one failure does not open the breaker")
	var apiErr *basiq.Error
	assert.ErrorAs(t, err, &apiErr, "Basiq's own error is still there to read")
}
