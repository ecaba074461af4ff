package hosting

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/basiq-mcp/basiq-mcp/tools/guard"
	"github.com/mark3labs/mcp-go/server"
)

// DefaultSessionsPerClient caps the streamable HTTP sessions one caller (an
// OAuth token's client and subject) or, without OAuth, one client address
// holds open at once.
const DefaultSessionsPerClient = 32

// sessionCap is mcp-go's session id manager with a cap per owner: a new
// session past the cap ends the owner's least recently used one, whose
// client then gets 404 and may initialize again (MCP's rule for an
// expired session). The session's state is freed by the idle sweep.
type sessionCap struct {
	max int
	// exemptLoopback leaves loopback addresses uncapped (an OAuth caller is
	// capped wherever it comes from).
	exemptLoopback bool
	now            func() time.Time
	mu             sync.Mutex
	byID           map[string]*session
	owners         map[string][]*session
	terminated     map[string]time.Time
}

type session struct {
	id, owner string
	last      time.Time
}

func newSessionCap(max int) *sessionCap {
	return &sessionCap{max: max, now: time.Now, byID: map[string]*session{}, owners: map[string][]*session{}, terminated: map[string]time.Time{}}
}

// ResolveSessionIdManager gives each request a manager for its owner.
func (c *sessionCap) ResolveSessionIdManager(r *http.Request) server.SessionIdManager {
	return &ownerSessions{cap: c, owner: sessionOwner(r)}
}

// sessionOwner is the OAuth caller, else the client address; "" for the
// idle sweep, which asks without a request.
func sessionOwner(r *http.Request) string {
	if r == nil {
		return ""
	}
	if c, ok := guard.CallerFrom(r.Context()); ok {
		return "caller " + c.Key()
	}
	return "addr " + clientAddr(r)
}

const sessionPrefix = "mcp-session-"

func isLoopbackOwner(owner string) bool {
	addr, ok := strings.CutPrefix(owner, "addr ")
	return ok && isLoopbackHost(addr)
}

// ownerSessions is one request's view of the cap.
type ownerSessions struct {
	cap   *sessionCap
	owner string
}

// Generate opens a session for the owner, ending its least recently used
// one when the owner is at the cap.
func (o *ownerSessions) Generate() string {
	raw := make([]byte, 16)
	rand.Read(raw)
	s := &session{id: sessionPrefix + hex.EncodeToString(raw), owner: o.owner}
	c := o.cap
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	s.last = now
	c.forgetOld(now)
	if open := c.owners[o.owner]; c.max > 0 && len(open) >= c.max && !(c.exemptLoopback && isLoopbackOwner(o.owner)) {
		oldest := open[0]
		for _, x := range open[1:] {
			if x.last.Before(oldest.last) {
				oldest = x
			}
		}
		c.endLocked(oldest.id, now)
	}
	c.byID[s.id] = s
	c.owners[o.owner] = append(c.owners[o.owner], s)
	return s.id
}

// Validate answers whether a session is open (and marks it used), ended,
// or unknown.
func (o *ownerSessions) Validate(id string) (bool, error) {
	c := o.cap
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ended := c.terminated[id]; ended {
		return true, nil
	}
	s, ok := c.byID[id]
	if !ok || !strings.HasPrefix(id, sessionPrefix) {
		return false, errors.New("no such session")
	}
	s.last = c.now()
	return false, nil
}

// Terminate ends a session (a client's DELETE, or the idle sweep).
func (o *ownerSessions) Terminate(id string) (bool, error) {
	c := o.cap
	c.mu.Lock()
	defer c.mu.Unlock()
	c.endLocked(id, c.now())
	return false, nil
}

func (c *sessionCap) endLocked(id string, now time.Time) {
	s, ok := c.byID[id]
	if !ok {
		return
	}
	delete(c.byID, id)
	open := c.owners[s.owner]
	for i, x := range open {
		if x == s {
			open = append(open[:i:i], open[i+1:]...)
			break
		}
	}
	if len(open) == 0 {
		delete(c.owners, s.owner)
	} else {
		c.owners[s.owner] = open
	}
	c.terminated[id] = now
}

// forgetOld drops ended sessions after an hour: a client still using one
// then is told the session is unknown, which it treats alike.
func (c *sessionCap) forgetOld(now time.Time) {
	for id, at := range c.terminated {
		if now.Sub(at) > time.Hour {
			delete(c.terminated, id)
		}
	}
}

// Open is how many sessions the owner holds, for tests and metrics.
func (c *sessionCap) Open(owner string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.owners[owner])
}
