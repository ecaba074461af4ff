package guard_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/basiq/basiqtest"
	"github.com/basiq-mcp/basiq-mcp/tools/guard"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type fixture struct {
	sim    *basiqtest.Server
	client *basiq.Client
	path   string
	store  *guard.BoltStore
	audit  bytes.Buffer
}

func newFixture(t *testing.T, simOpts ...basiqtest.Option) *fixture {
	opts := append([]basiqtest.Option{basiqtest.WithTimeScale(0.001)}, simOpts...)
	f := &fixture{sim: basiqtest.NewServer(opts...), path: filepath.Join(t.TempDir(), "guard.db")}
	t.Cleanup(f.sim.Close)
	var err error
	f.client, err = basiq.NewClient("k", basiq.WithBaseURL(f.sim.URL))
	require.NoError(t, err)
	f.store, err = guard.OpenBolt(f.path)
	require.NoError(t, err)
	t.Cleanup(func() { f.store.Close() })
	return f
}

func (f *fixture) governor(p guard.Policy) *guard.Governor {
	return guard.NewGovernor(f.client, f.store, guard.NewAudit(&syncWriter{b: &f.audit}), p, nil, nil)
}

type syncWriter struct {
	mu sync.Mutex
	b  *bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// pick returns the first seeded connection matching the test.
func (f *fixture) pick(t *testing.T, match func(c basiqtest.SeededConnection) bool) basiqtest.SeededConnection {
	for _, c := range f.sim.Connections() {
		if match(c) {
			return c
		}
	}
	t.Fatal("no such seeded connection")
	return basiqtest.SeededConnection{}
}

func stale(c basiqtest.SeededConnection) bool {
	return c.Status == "active" && c.InstitutionID == "AU00000" && time.Since(c.LastUsed) > 2*time.Hour
}

func TestFiftySimultaneousRefreshesSendOne(t *testing.T) {
	f := newFixture(t)
	g := f.governor(guard.DefaultPolicy())
	c := f.pick(t, stale)
	var wg sync.WaitGroup
	outcomes := make(chan string, 50)
	for range 50 {
		wg.Go(func() {
			d, err := g.Refresh(context.Background(), "refresh_connection", c.UserID, c.ConnectionID, false)
			assert.NoError(t, err)
			outcomes <- d.Outcome
		})
	}
	wg.Wait()
	close(outcomes)
	counts := map[string]int{}
	for o := range outcomes {
		counts[o]++
	}
	assert.Equal(t, 1, f.sim.RefreshRequests(c.ConnectionID), "one Basiq refresh")
	assert.Equal(t, 1, counts[guard.Refreshed])
	assert.Equal(t, 49, counts[guard.ReusedJob]+counts[guard.Refused], "the rest reuse its job or meet the cooldown")
}

func TestRefusalsCarryAReasonAndARetryTime(t *testing.T) {
	f := newFixture(t)
	g := f.governor(guard.DefaultPolicy())
	ctx := context.Background()
	cases := []struct {
		name    string
		match   func(basiqtest.SeededConnection) bool
		outcome string
		reason  string
		retry   bool
	}{
		{"invalid credentials", func(c basiqtest.SeededConnection) bool {
			return c.Status == "invalid" && c.FailCode == "invalid-credentials"
		},
			guard.Refused, "re-consent", false},
		{"major outage", func(c basiqtest.SeededConnection) bool { return c.InstitutionID == "AU00006" }, guard.Deferred, "1 to 3 hours", true},
		{"partial outage", func(c basiqtest.SeededConnection) bool { return c.InstitutionID == "AU00005" }, guard.Deferred, "partial outage", true},
		{"cooldown", func(c basiqtest.SeededConnection) bool {
			return c.Status == "active" && time.Since(c.LastUsed) < 50*time.Minute
		}, guard.Refused, "cooldown is 1h0m0s", true},
	}
	for _, tc := range cases {
		c := f.pick(t, tc.match)
		d, err := g.Refresh(ctx, "refresh_connection", c.UserID, c.ConnectionID, false)
		require.NoError(t, err, tc.name)
		assert.Equal(t, tc.outcome, d.Outcome, tc.name)
		assert.Contains(t, d.Reason, tc.reason, tc.name)
		if tc.retry {
			at, err := time.Parse(time.RFC3339, d.RetryAt)
			require.NoError(t, err, tc.name)
			assert.True(t, at.After(time.Now()), tc.name)
		}
		assert.Zero(t, f.sim.RefreshRequests(c.ConnectionID), "%s: nothing sent", tc.name)
	}
	assert.Equal(t, 4, strings.Count(f.audit.String(), "\n"), "every decision is audited")
}

// reconsent plays the customer going through a consent link again (here
// for another bank of theirs): Basiq updates their consent, the trace that
// they acted.
func (f *fixture) reconsent(t *testing.T, c basiqtest.SeededConnection, others ...string) {
	t.Helper()
	for _, other := range append(others, "AU00000", "AU00003") {
		if other != c.InstitutionID {
			_, err := f.sim.CompleteConsent(c.UserID, basiqtest.ConsentRequest{InstitutionID: other, LoginID: "Whistler", Password: "ShowBox"})
			require.NoError(t, err)
			return
		}
	}
}

func userActionConnection(c basiqtest.SeededConnection) bool {
	return c.Status == "invalid" && c.FailCode == "account-not-accessible-requires-user-action"
}

// TestInvalidConnectionWaitsForTheCustomer: Basiq's docs say a refresh
// restores an invalid connection once the customer has acted; until
// something at Basiq shows they did (a newer consent, a connection update),
// a refresh is a futile bank login, so it is refused with the way forward
// (a consent link). With that evidence, one refresh goes and restores it.
func TestInvalidConnectionWaitsForTheCustomer(t *testing.T) {
	f := newFixture(t)
	g := f.governor(guard.DefaultPolicy())
	c := f.pick(t, userActionConnection)
	require.True(t, f.sim.ResolveAtBank(c.ConnectionID), "the customer accepts the bank's terms, which Basiq cannot see")
	d, err := g.Refresh(context.Background(), "refresh_connection", c.UserID, c.ConnectionID, false)
	require.NoError(t, err)
	assert.Equal(t, guard.Refused, d.Outcome)
	assert.Equal(t, guard.RuleStatus, d.Rule)
	assert.Contains(t, d.Reason, "create_auth_link")
	assert.Contains(t, d.Reason, "waits on the customer")
	assert.Empty(t, d.RetryAt, "no retry time that invites a loop")
	assert.Zero(t, f.sim.RefreshRequests(c.ConnectionID), "nothing sent")

	f.reconsent(t, c)
	d, err = g.Refresh(context.Background(), "refresh_connection", c.UserID, c.ConnectionID, false)
	require.NoError(t, err)
	assert.Equal(t, guard.Refreshed, d.Outcome, d.Reason)
	assert.Equal(t, 1, f.sim.RefreshRequests(c.ConnectionID))
	require.Eventually(t, func() bool {
		conn, err := f.client.GetConnection(context.Background(), c.UserID, c.ConnectionID)
		return err == nil && conn.Status == "active"
	}, 5*time.Second, 20*time.Millisecond, "the refresh restored the connection")
}

// TestInvalidConnectionIsRefreshedOnlyOnceADay: with evidence, one refresh
// goes; when it fails again (the customer had not yet acted at their bank),
// the newer failure waits on the customer again, and the day's try is spent.
func TestInvalidConnectionIsRefreshedOnlyOnceADay(t *testing.T) {
	f := newFixture(t)
	now := time.Now()
	g := guard.NewGovernor(f.client, f.store, guard.NewAudit(&syncWriter{b: &f.audit}), guard.DefaultPolicy(), nil, func() time.Time { return now })
	c := f.pick(t, userActionConnection)
	f.reconsent(t, c)
	d, err := g.Refresh(context.Background(), "refresh_connection", c.UserID, c.ConnectionID, false)
	require.NoError(t, err)
	require.Equal(t, guard.Refreshed, d.Outcome, d.Reason)
	require.Eventually(t, func() bool {
		j, err := f.client.GetJob(context.Background(), d.JobID)
		return err == nil && j.Finished()
	}, 5*time.Second, 10*time.Millisecond)
	now = now.Add(3 * time.Hour)
	d, err = g.Refresh(context.Background(), "refresh_connection", c.UserID, c.ConnectionID, false)
	require.NoError(t, err)
	assert.Equal(t, guard.Refused, d.Outcome)
	assert.Contains(t, d.Reason, "waits on the customer", "the refresh failed again: nothing shows the customer acted since")
	assert.Equal(t, 1, f.sim.RefreshRequests(c.ConnectionID), "the second try was not sent")
	time.Sleep(1100 * time.Millisecond) // Basiq's times have whole seconds: a consent in the failure's second is not "after" it
	f.reconsent(t, c, "AU00008")        // evidence again (at another bank), but the day's one try is spent
	d, err = g.Refresh(context.Background(), "refresh_connection", c.UserID, c.ConnectionID, false)
	require.NoError(t, err)
	assert.Equal(t, guard.Refused, d.Outcome)
	assert.Contains(t, d.Reason, "already refreshed")
	assert.Equal(t, 1, f.sim.RefreshRequests(c.ConnectionID))
}

func TestRunningJobIsReusedNotRefreshed(t *testing.T) {
	f := newFixture(t, basiqtest.WithTimeScale(1)) // a refresh takes ~10 s here
	g := f.governor(guard.DefaultPolicy())
	c := f.pick(t, stale)
	job, _, err := f.client.RefreshConnection(context.Background(), c.UserID, c.ConnectionID) // sent around the governor
	require.NoError(t, err)
	d, err := g.Refresh(context.Background(), "refresh_connection", c.UserID, c.ConnectionID, false)
	require.NoError(t, err)
	assert.Equal(t, guard.ReusedJob, d.Outcome)
	assert.Equal(t, job.ID, d.JobID)
	assert.Equal(t, 1, f.sim.RefreshRequests(c.ConnectionID))
}

func TestDailyCapSurvivesARestart(t *testing.T) {
	f := newFixture(t)
	p := guard.DefaultPolicy()
	p.Cooldown, p.DailyCapWeb = 0, 3
	g := f.governor(p)
	c := f.pick(t, stale)
	ctx := context.Background()
	for i := range 3 {
		d, err := g.Refresh(ctx, "refresh_connection", c.UserID, c.ConnectionID, false)
		require.NoError(t, err)
		require.Equal(t, guard.Refreshed, d.Outcome, "refresh %d", i+1)
		require.Eventually(t, func() bool {
			j, err := f.client.GetJob(ctx, d.JobID)
			return err == nil && j.Finished()
		}, 5*time.Second, 5*time.Millisecond)
	}
	d, err := g.Refresh(ctx, "refresh_connection", c.UserID, c.ConnectionID, false)
	require.NoError(t, err)
	assert.Equal(t, guard.Refused, d.Outcome)
	assert.Contains(t, d.Reason, "daily cap of 3")

	require.NoError(t, f.store.Close())
	reopened, err := guard.OpenBolt(f.path)
	require.NoError(t, err)
	f.store = reopened
	d, err = f.governor(p).Refresh(ctx, "refresh_connection", c.UserID, c.ConnectionID, false)
	require.NoError(t, err)
	assert.Equal(t, guard.Refused, d.Outcome, "a restart does not reset the cap")
	assert.Equal(t, 3, f.sim.RefreshRequests(c.ConnectionID))
}

func TestDeploymentWideBudget(t *testing.T) {
	f := newFixture(t)
	p := guard.DefaultPolicy()
	p.BudgetBurst, p.BudgetPerMinute = 2, 1
	g := f.governor(p)
	var outcomes []string
	for _, c := range f.sim.Connections() {
		if !stale(c) {
			continue
		}
		d, err := g.Refresh(context.Background(), "refresh_connection", c.UserID, c.ConnectionID, false)
		require.NoError(t, err)
		outcomes = append(outcomes, d.Outcome)
		if len(outcomes) == 3 {
			assert.Contains(t, d.Reason, "refresh budget shared by this deployment")
			break
		}
	}
	assert.Equal(t, []string{guard.Refreshed, guard.Refreshed, guard.Refused}, outcomes)
}

func TestDryRunShadowAndOff(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c := f.pick(t, stale)
	d, err := f.governor(guard.DefaultPolicy()).Refresh(ctx, "refresh_connection", c.UserID, c.ConnectionID, true)
	require.NoError(t, err)
	assert.Equal(t, guard.WouldRefresh, d.Outcome)
	assert.Zero(t, f.sim.RefreshRequests(c.ConnectionID), "a dry run sends nothing")
	recent := f.pick(t, func(c basiqtest.SeededConnection) bool {
		return c.Status == "active" && time.Since(c.LastUsed) < 50*time.Minute
	})
	shadow := guard.DefaultPolicy()
	shadow.Mode = guard.Shadow
	d, err = f.governor(shadow).Refresh(ctx, "refresh_connection", recent.UserID, recent.ConnectionID, false)
	require.NoError(t, err)
	assert.Equal(t, guard.Refreshed, d.Outcome, "shadow lets it through")
	assert.Contains(t, f.audit.String(), `"decision":"shadow-allowed"`)
	off := guard.DefaultPolicy()
	off.Mode = guard.Off
	inv := f.pick(t, func(c basiqtest.SeededConnection) bool { return c.Status == "invalid" })
	d, err = f.governor(off).Refresh(ctx, "refresh_connection", inv.UserID, inv.ConnectionID, false)
	require.NoError(t, err)
	assert.Equal(t, guard.Refreshed, d.Outcome, "off checks nothing")
}

func TestConfirmations(t *testing.T) {
	f := newFixture(t)
	now := time.Now()
	clock := func() time.Time { return now }
	c := guard.NewConfirmer(nil, f.store, clock)
	seen := guard.Digest("3 accounts and 120 transactions")
	ctx := guard.WithCaller(context.Background(), guard.Caller{Subject: "agent-7", ClientID: "support-bot", Scopes: []string{guard.ScopeDestructive}})
	tok, expires := c.Issue(ctx, "purge_connection", "u1/c1", seen, guard.ForModel)
	assert.WithinDuration(t, now.Add(guard.ConfirmTTL), expires, time.Second)

	var ce *guard.ConfirmError
	err := c.Redeem(ctx, tok, "purge_connection", "u1/c2", seen, guard.ForModel)
	require.ErrorAs(t, err, &ce)
	assert.Contains(t, err.Error(), "not purge_connection on u1/c2", "bound to its target")
	err = c.Redeem(ctx, tok, "delete_user", "u1/c1", seen, guard.ForModel)
	assert.ErrorAs(t, err, &ce, "bound to its action")
	stale, _ := c.Issue(ctx, "purge_connection", "u1/c1", seen, guard.ForModel)
	err = c.Redeem(ctx, stale, "purge_connection", "u1/c1", guard.Digest("3 accounts and 121 transactions"), guard.ForModel)
	assert.ErrorContains(t, err, "changed since the preview", "bound to what the preview showed")
	require.NoError(t, c.Redeem(ctx, tok, "purge_connection", "u1/c1", seen, guard.ForModel))
	assert.ErrorContains(t, c.Redeem(ctx, tok, "purge_connection", "u1/c1", seen, guard.ForModel), "already used")

	forged := tok[:len(tok)-3] + "AAA"
	assert.ErrorContains(t, c.Redeem(ctx, forged, "purge_connection", "u1/c1", seen, guard.ForModel), "not issued by this server")
	other := guard.NewConfirmer(nil, f.store, clock)
	tok2, _ := other.Issue(ctx, "purge_connection", "u1/c1", seen, guard.ForModel)
	assert.ErrorContains(t, c.Redeem(ctx, tok2, "purge_connection", "u1/c1", seen, guard.ForModel), "not issued by this server", "another key")
	assert.ErrorContains(t, c.Redeem(ctx, "garbage", "purge_connection", "u1/c1", seen, guard.ForModel), "not issued by this server")

	human, _ := c.Issue(ctx, "delete_user", "u8", seen, guard.ForHuman)
	assert.ErrorContains(t, c.Redeem(ctx, human, "delete_user", "u8", seen, guard.ForModel), "cannot be passed as a confirmation_token",
		"the elicitation's request state is not a confirmation token")

	// Sealed to the caller who asked for the preview: another caller, or the
	// deployment itself, is refused, and the token is not used up by them.
	mine, _ := c.Issue(ctx, "delete_user", "u7", seen, guard.ForModel)
	stranger := guard.WithCaller(context.Background(), guard.Caller{Subject: "agent-8", ClientID: "support-bot", Scopes: []string{guard.ScopeDestructive}})
	assert.ErrorContains(t, c.Redeem(stranger, mine, "delete_user", "u7", seen, guard.ForModel), "issued to another caller")
	assert.ErrorContains(t, c.Redeem(context.Background(), mine, "delete_user", "u7", seen, guard.ForModel), "issued to another caller")
	assert.NoError(t, c.Redeem(ctx, mine, "delete_user", "u7", seen, guard.ForModel), "the caller who asked still can")

	tok3, _ := c.Issue(ctx, "delete_user", "u9", seen, guard.ForModel)
	now = now.Add(guard.ConfirmTTL + time.Second)
	assert.ErrorContains(t, c.Redeem(ctx, tok3, "delete_user", "u9", seen, guard.ForModel), "expired")
}

// TestConfirmKeysMustBeStrong: a short or guessable sealing key falls to a
// dictionary attack on one preview token, so it is refused at start-up.
func TestConfirmKeysMustBeStrong(t *testing.T) {
	for _, weak := range []string{"changeme", "0123456789abcdef", strings.Repeat("a", 40)} {
		_, err := guard.ParseConfirmKey(weak)
		assert.Error(t, err, weak)
	}
	key, err := guard.ParseConfirmKey(strings.Repeat("ab", 32)) // 32 bytes as hex
	require.NoError(t, err)
	assert.Len(t, key, 32)
	key, err = guard.ParseConfirmKey("")
	assert.NoError(t, err)
	assert.Nil(t, key, "unset: a random key per process")
}

func TestIdempotency(t *testing.T) {
	f := newFixture(t)
	now := time.Now()
	i := guard.NewIdempotency(f.store, func() time.Time { return now })
	calls := 0
	create := func() (any, error) { calls++; return map[string]int{"n": calls}, nil }
	first, replayed, err := i.Do("create_user", "k1", map[string]string{"email": "a@b.co"}, create, nil)
	require.NoError(t, err)
	assert.False(t, replayed)
	again, replayed, err := i.Do("create_user", "k1", map[string]string{"email": "a@b.co"}, create, nil)
	require.NoError(t, err)
	assert.True(t, replayed)
	assert.JSONEq(t, string(first), string(again))
	assert.Equal(t, 1, calls)
	_, _, err = i.Do("create_user", "k1", map[string]string{"email": "other@b.co"}, create, nil)
	var ie *guard.IdempotencyError
	assert.ErrorAs(t, err, &ie)
	_, replayed, err = i.Do("create_report", "k1", map[string]string{"email": "a@b.co"}, create, nil)
	require.NoError(t, err)
	assert.False(t, replayed, "keys are per tool")
	now = now.Add(guard.IdempotencyTTL + time.Minute)
	_, replayed, err = i.Do("create_user", "k1", map[string]string{"email": "a@b.co"}, create, nil)
	require.NoError(t, err)
	assert.False(t, replayed, "after 24 h the key is fresh")
	assert.Equal(t, 3, calls)
}

// TestUnknownOutcomeNeverCreatesTwice: Basiq created it but the answer was
// lost (a 502 after the send). A retry with the same key sends nothing; it
// reconciles when it can and otherwise says what to check.
func TestUnknownOutcomeNeverCreatesTwice(t *testing.T) {
	f := newFixture(t)
	i := guard.NewIdempotency(f.store, nil)
	sent := 0
	lost := func() (any, error) {
		sent++
		return nil, &basiq.Error{StatusCode: 502, Method: "POST", Path: "/users"}
	}
	args := map[string]string{"email": "a@b.co"}
	_, _, err := i.Do("create_user", "k-lost", args, lost, nil)
	var unknown *guard.UnknownOutcomeError
	require.ErrorAs(t, err, &unknown)
	_, _, err = i.Do("create_user", "k-lost", args, lost, nil)
	assert.ErrorContains(t, err, "answer was lost")
	assert.Equal(t, 1, sent, "never sent twice")
	found := func(time.Time) (any, bool, error) { return map[string]string{"id": "u-made"}, true, nil }
	raw, replayed, err := i.Do("create_user", "k-lost", args, lost, found)
	require.NoError(t, err)
	assert.True(t, replayed)
	assert.JSONEq(t, `{"id":"u-made"}`, string(raw), "reconciled with what the first attempt made")
	assert.Equal(t, 1, sent)

	refused := func() (any, error) { sent++; return nil, &basiq.Error{StatusCode: 400, Method: "POST", Path: "/users"} }
	_, _, err = i.Do("create_user", "k-refused", args, refused, nil)
	require.Error(t, err)
	_, _, err = i.Do("create_user", "k-refused", args, refused, nil)
	require.Error(t, err)
	assert.Equal(t, 3, sent, "a create Basiq refused may be tried again")
}
