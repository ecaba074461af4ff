package basiqtest

import (
	"fmt"
	"strings"
	"time"
)

var firstNames = []string{"Olivia", "Liam", "Charlotte", "Noah", "Amelia", "Jack", "Isla", "William", "Mia", "Oliver",
	"Ava", "Leo", "Grace", "Henry", "Chloe", "Lucas", "Zoe", "Thomas", "Ruby", "James", "Harper", "Mason", "Ella", "Ethan",
	"Sienna", "Hudson", "Matilda", "Archie", "Evie", "Lachlan"}

var lastNames = []string{"Nguyen", "Smith", "Jones", "Williams", "Brown", "Wilson", "Taylor", "Johnson", "White", "Martin",
	"Anderson", "Thompson", "Tran", "Walker", "Harris", "Lee", "Ryan", "Robinson", "Kelly", "King", "Davis", "Wright",
	"Evans", "Roberts", "Green", "Hall", "Wood", "Jackson", "Clarke", "Patel"}

// scenario is what the seed does to one connection so that every diagnosis
// path has real data: most are healthy, some are broken in a documented way.
type scenario int

const (
	healthy        scenario = iota
	invalidCreds            // credentials stopped working (bighead)
	needsAction             // the bank wants the user to act (erlich)
	onOutage                // the institution is in an outage
	recentFailure           // the last refresh failed: service unavailable
	justRefreshed           // refreshed minutes ago
	waitingForCode          // a refresh waits for the customer's code
)

// seedData builds the population: one user per happy persona under the
// persona's own name, then users reusing personas under other names.
func (s *Simulator) seedData() {
	happy := happyPersonas()
	k := 0
	for i := 0; i < max(s.cfg.users, len(happy)); i++ {
		var u *simUser
		var p *persona
		scale := 1.0
		if i < len(happy) {
			p = happy[i]
			u = s.seedUser(i, p.First, p.Last)
		} else {
			p = happy[mix(s.cfg.seed, uint64(i), 1)%uint64(len(happy))]
			first := firstNames[mix(s.cfg.seed, uint64(i), 2)%uint64(len(firstNames))]
			last := lastNames[mix(s.cfg.seed, uint64(i), 3)%uint64(len(lastNames))]
			u = s.seedUser(i, first, last)
			scale = 0.8 + 0.45*unitOf(s.cfg.seed, uint64(i), 4)
		}
		if p.Business {
			u.BusinessName, u.BusinessIDNo, u.BusinessType = "Bream Hall Capital Pty Ltd", "51824753556", "ABN"
		}
		n := []int{2, 1, 3, 2, 2, 1, 3}[i%7]
		for c := 0; c < n; c++ {
			s.seedConnection(u, p, scale, k)
			k++
		}
		s.seedConsent(u, i >= len(happy))
	}
	s.advanceAll(s.epoch)
}

func (s *Simulator) seedUser(i int, first, last string) *simUser {
	u := &simUser{ID: s.hashID("user", i), First: first, Last: last,
		Email:   fmt.Sprintf("%s.%s%d@example.com", strings.ToLower(first), strings.ToLower(strings.ReplaceAll(last, "-", "")), i),
		Mobile:  fmt.Sprintf("+6140000%04d", i),
		Created: s.epoch.Add(-time.Duration(30+mix(s.cfg.seed, uint64(i), 5)%400) * day)}
	s.users[u.ID] = u
	s.userOrder = append(s.userOrder, u.ID)
	return u
}

// seedConnection adds the k-th connection of the population to u.
func (s *Simulator) seedConnection(u *simUser, p *persona, scale float64, k int) {
	sc, instID, method := pickScenario(k, p)
	c := &simConn{ID: s.hashID("connection", k), UserID: u.ID, InstitutionID: instID, Method: method, Status: "active",
		Persona: p, LoginID: p.LoginID, seed: mix(s.cfg.seed, uint64(k), 11), scale: scale}
	if k >= len(happyPersonas()) { // the first connections belong to the named personas themselves
		c.scale = scale * (0.9 + 0.2*unitOf(c.seed, 1))
	}
	c.Created = u.Created.Add(time.Duration(mix(c.seed, 2)%20) * day)
	c.Expiry = s.epoch.Add(time.Duration(30+mix(c.seed, 3)%300) * day)
	ago := time.Duration(2*3600+mix(c.seed, 4)%(140*3600)) * time.Second // 2 h to 6 days
	switch sc {
	case justRefreshed:
		ago = time.Duration(5+mix(c.seed, 5)%40) * time.Minute
	case invalidCreds, needsAction:
		ago = time.Duration(9+mix(c.seed, 6)%30) * day
	}
	c.LastUsed = s.epoch.Add(-ago)
	c.dataUntil = c.LastUsed
	s.conns[c.ID] = c
	u.conns = append(u.conns, c.ID)

	// A past refresh job within the week, as GET /users/{id}/jobs would show.
	if ago < 6*day {
		s.seedJob(c, c.LastUsed, nil)
	}
	switch sc {
	case invalidCreds, needsAction:
		f := &failLocked
		if sc == needsAction {
			f = &failUserAction
		}
		c.Status, c.Fail = "invalid", f
		s.seedJob(c, s.epoch.Add(-time.Duration(1+mix(c.seed, 7)%48)*time.Hour), f)
	case onOutage, recentFailure:
		s.seedJob(c, s.epoch.Add(-time.Duration(20+mix(c.seed, 8)%200)*time.Minute), &failUnavailable)
	case waitingForCode:
		// A refresh started moments ago waits for the customer's one-time
		// code; like a bank's code, it times out if nobody answers.
		c.askCode = true
		j := s.planConnJob(c, "refresh", s.epoch.Add(-s.scaled(20*time.Second)))
		j.mfa = mfaOTP
		s.jobs[j.ID] = j
		s.running = append(s.running, j)
	}
}

// pickScenario spreads scenarios and institutions over the population.
func pickScenario(k int, p *persona) (scenario, string, string) {
	switch {
	case k < 8 && p.LoginID == "gavinBelson":
		return healthy, "AU00004", "web"
	case k < 8:
		return healthy, "AU00000", "web"
	case k%13 == 4:
		return invalidCreds, "AU00000", "web"
	case k%13 == 9:
		return needsAction, "AU00000", "web"
	case k%13 == 7:
		if k%2 == 0 {
			return onOutage, "AU00006", "web"
		}
		return onOutage, "AU00005", "web"
	case k%13 == 11:
		return recentFailure, "AU00000", "web"
	case k%41 == 17:
		return waitingForCode, "AU00000", "web"
	case k%10 == 1:
		return justRefreshed, "AU00000", "web"
	case k%17 == 12:
		return healthy, "AU00002", "web"
	case k%11 == 3:
		return healthy, "AU00007", "open-banking"
	case k%19 == 8:
		return healthy, "NZ00001", "web"
	case k%9 == 6:
		return healthy, "AU00003", "web"
	case k%4 == 0:
		return healthy, "AU00000", "open-banking"
	}
	return healthy, "AU00000", "web"
}

// seedJob records a finished past job for c; it changes nothing when run.
func (s *Simulator) seedJob(c *simConn, at time.Time, f *failure) {
	j := s.planConnJob(c, "refresh", at)
	j.quiet = true
	var steps []*simStep
	for _, st := range j.Steps {
		if !st.MFA {
			steps = append(steps, st)
		}
	}
	j.Steps, j.mfa = steps, nil
	j.Steps[0].Fail = f
	if f == nil {
		// The data refresh ended at lastUsed; the job started before it.
		var total time.Duration
		for _, st := range j.Steps {
			total += st.Dur
		}
		j.Created, j.startAt, j.Updated = at.Add(-total), at.Add(-total), at.Add(-total)
	}
	s.jobs[j.ID] = j
	s.running = append(s.running, j)
}

// seedConsent gives u a consent. Of the unnamed customers (mixed), about
// one in nine has a consent expiring within four weeks and one in
// twenty-three has revoked theirs, its connections invalid as revoking
// makes them.
func (s *Simulator) seedConsent(u *simUser, mixed bool) {
	if len(u.conns) == 0 {
		return
	}
	first := s.conns[u.conns[0]]
	// The consent has an expiry of its own: a connection's expiryDate and
	// the consent's differ in Basiq's data, and a reader must not mix them.
	expiry := first.Expiry.Add(time.Duration(17+mix(first.seed, 9)%120) * day)
	c := &simConsent{ID: s.hashID("consent", u.ID), UserID: u.ID, Status: "active", Created: first.Created, Updated: first.Created, Expiry: expiry}
	s.consents[u.ID] = append(s.consents[u.ID], c)
	switch n := len(s.userOrder); {
	case mixed && n%9 == 5:
		c.Expiry = s.epoch.Add(time.Duration(3+mix(first.seed, 10)%25) * day)
	case mixed && n%23 == 12:
		c.Status, c.Revoked = "revoked", s.epoch.Add(-time.Duration(1+mix(first.seed, 12)%72)*time.Hour)
		c.Updated = c.Revoked
		for _, conn := range s.activeConns(u) {
			conn.Fail, conn.Status = &failConsentRevoked, "invalid"
		}
	}
}
