// Package basiqtest is an offline, in-memory simulator of the Basiq API 3.0:
// the same paths, methods, status codes, headers, JSON shapes and error
// envelope, with seeded sandbox personas, jobs that advance over (scaled)
// time, reports computed from the simulated transactions, and fault
// injection. It uses the standard library only and does not import the
// basiq client, so each can check the other.
//
// Basiq has no API to create a connection (users consent in a hosted UI), so
// the simulator adds one test-only endpoint under /sandbox/ (and the Go
// method CompleteConsent) that does what a finished consent does.
package basiqtest

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"
)

// Simulator is the Basiq API in memory. It is an http.Handler; serve it with
// NewServer for tests or any http.Server. It is safe for concurrent use.
type Simulator struct {
	mu    sync.Mutex
	cfg   config
	mux   *http.ServeMux
	epoch time.Time // the clock's time when the data was seeded

	users       map[string]*simUser
	userOrder   []string
	conns       map[string]*simConn
	jobs        map[string]*simJob
	running     []*simJob // jobs not yet finished, oldest first
	authLinks   map[string]*simAuthLink
	consents    map[string][]*simConsent
	reports     map[string]*simReport
	reportOrder []string
	events      []*simEvent
	// connectorStatus overrides the catalogue's status of an institution
	// (set by the /_sim/connectors test control).
	connectorStatus map[string]string
	webhooks        []*simWebhook
	tokens          map[string]*simToken
	tokenTimes      []time.Time // issue times inside the rate-limit window
	reportTimes     []time.Time
	counter         uint64 // makes runtime-created ids deterministic

	calls     map[string]int // by route pattern
	refreshes map[string]int // refresh requests by connection id
	faults    []*Fault
}

type config struct {
	seed       uint64
	now        func() time.Time
	timeScale  float64
	apiKey     string
	faults     []Fault
	logger     *slog.Logger
	users      int
	noUserList bool
}

// Option configures a Simulator.
type Option func(*config)

// WithSeed fixes the seed: the same seed (and clock) gives the same ids and
// data in every run. The default seed is 1.
func WithSeed(seed uint64) Option { return func(c *config) { c.seed = seed } }

// WithClock replaces time.Now. Seeded data is dated relative to the clock's
// time when the simulator is created; jobs advance as the clock moves.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithTimeScale multiplies every job step duration (default 1: a few seconds
// per step, from each connector's published stats). 0.001 makes a whole
// refresh take about 10 ms.
func WithTimeScale(f float64) Option { return func(c *config) { c.timeScale = f } }

// WithAPIKey pins the one API key POST /token accepts. By default any
// non-empty key is accepted.
func WithAPIKey(key string) Option { return func(c *config) { c.apiKey = key } }

// WithFault installs a fault from the start; see Simulator.InjectFault.
func WithFault(f Fault) Option { return func(c *config) { c.faults = append(c.faults, f) } }

// WithLogger receives one debug record per request.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithoutUserList makes GET /users answer 405, as Basiq's published 3.0
// API does: the user list is documented only on a legacy page.
func WithoutUserList() Option { return func(c *config) { c.noUserList = true } }

// WithUsers sets how many users are seeded (default 34; at least the eight
// named personas are always seeded).
func WithUsers(n int) Option { return func(c *config) { c.users = n } }

// New returns a simulator seeded with demo data.
func New(opts ...Option) *Simulator {
	cfg := config{seed: 1, now: time.Now, timeScale: 1, users: 34}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.logger == nil {
		cfg.logger = slog.New(slog.DiscardHandler)
	}
	s := &Simulator{
		cfg: cfg, epoch: cfg.now().UTC().Truncate(time.Second),
		users: map[string]*simUser{}, conns: map[string]*simConn{}, jobs: map[string]*simJob{},
		authLinks: map[string]*simAuthLink{}, consents: map[string][]*simConsent{}, reports: map[string]*simReport{},
		tokens: map[string]*simToken{}, calls: map[string]int{}, refreshes: map[string]int{}, connectorStatus: map[string]string{},
	}
	for i := range cfg.faults {
		f := cfg.faults[i]
		s.faults = append(s.faults, &f)
	}
	s.seedData()
	s.routes()
	return s
}

func (s *Simulator) now() time.Time { return s.cfg.now().UTC() }

// scaled converts a real-world duration to simulated time.
func (s *Simulator) scaled(d time.Duration) time.Duration {
	return time.Duration(float64(d) * s.cfg.timeScale)
}

// Calls returns how many requests reached the route with this pattern, e.g.
// "POST /token" or "POST /users/{userId}/connections/{connectionId}/refresh".
// Requests refused by an injected fault are counted too.
func (s *Simulator) Calls(pattern string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[pattern]
}

// RefreshRequests returns how many refresh requests named this connection,
// through the single or the refresh-all endpoint.
func (s *Simulator) RefreshRequests(connectionID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refreshes[connectionID]
}

// ExpireTokens makes every token issued so far expired, as if an hour passed.
func (s *Simulator) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireTokensLocked()
}

func (s *Simulator) expireTokensLocked() {
	now := s.now()
	for _, t := range s.tokens {
		t.expires = now
	}
}

// Server is a Simulator listening on a loopback port, in the manner of
// httptest.Server.
type Server struct {
	*Simulator
	// URL is the base URL, e.g. http://127.0.0.1:40123.
	URL string
	ts  *httptest.Server
}

// NewServer starts a simulator on a loopback port. Call Close when done.
func NewServer(opts ...Option) *Server {
	sim := New(opts...)
	ts := httptest.NewServer(sim)
	return &Server{Simulator: sim, URL: ts.URL, ts: ts}
}

// Client returns an HTTP client configured for the server.
func (s *Server) Client() *http.Client { return s.ts.Client() }

// Close shuts the server down and waits for requests in flight.
func (s *Server) Close() { s.ts.Close() }
