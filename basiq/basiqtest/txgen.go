package basiqtest

import (
	"math"
	"sort"
	"time"
)

const (
	day         = 24 * time.Hour
	historyDays = 365
	pendingDays = 2 // transactions this recent are still pending
)

// mix is splitmix64 over the seed and keys: a fast, stable pseudo-random value.
func mix(keys ...uint64) uint64 {
	x := uint64(0x9e3779b97f4a7c15)
	for _, k := range keys {
		x ^= k + 0x9e3779b97f4a7c15 + (x << 6) + (x >> 2)
		x ^= x >> 30
		x *= 0xbf58476d1ce4e5b9
		x ^= x >> 27
		x *= 0x94d049bb133111eb
		x ^= x >> 31
	}
	return x
}

func unitOf(keys ...uint64) float64 { return float64(mix(keys...)>>11) / (1 << 53) }

func dayIndex(t time.Time) int64 { return t.Unix() / 86400 }

// ensureData generates a seeded connection's history on first use, so that
// creating a simulator stays fast however many connections it seeds.
func (s *Simulator) ensureData(c *simConn) {
	if c.generated || c.Persona == nil || c.dataUntil.IsZero() {
		return
	}
	c.generated = true
	if c.accounts == nil {
		s.makeAccounts(c, c.Created)
	}
	c.txns = nil
	s.generate(c, dayIndex(c.dataUntil)-historyDays, c.dataUntil)
}

// refreshData brings a connection's data up to t, as a successful refresh
// does: pending transactions are dropped and re-imported with new ids,
// posted ones keep theirs, and days since the last refresh are added.
func (s *Simulator) refreshData(c *simConn, t time.Time) {
	s.ensureData(c)
	if c.Persona == nil {
		return
	}
	if c.accounts == nil {
		s.makeAccounts(c, t)
	}
	from := dayIndex(t) - historyDays
	if !c.dataUntil.IsZero() && len(c.txns) > 0 {
		// Regenerate from the day the pending window began: its posted
		// transactions come back with the same ids, its pending ones with new.
		from = dayIndex(c.dataUntil.Add(-pendingDays * day))
	}
	kept := c.txns[:0]
	for _, tx := range c.txns {
		if dayIndex(tx.Date) < from {
			kept = append(kept, tx)
		}
	}
	c.txns = kept
	c.dataUntil, c.generated = t, true
	s.generate(c, from, t)
	for _, a := range c.accounts {
		a.Updated = t
	}
}

// generate adds transactions for days [fromDay, day of until], none later
// than until, and recomputes balances.
func (s *Simulator) generate(c *simConn, fromDay int64, until time.Time) {
	p := c.Persona
	epochDay := dayIndex(s.epoch)
	pendingAfter := until.Add(-pendingDays * day)
	for d := fromDay; d <= dayIndex(until); d++ {
		date := time.Unix(d*86400, 0).UTC()
		for si, st := range p.Streams {
			if !occurs(st, c.seed, uint64(si), d, epochDay-d, date) {
				continue
			}
			at := date.Add(time.Duration(7*3600+int(unitOf(c.seed, uint64(si), uint64(d), 7)*13*3600)) * time.Second)
			if at.After(until) || st.Acct >= len(c.accounts) {
				continue
			}
			tx := &simTxn{AccountID: c.accounts[st.Acct].ID, ConnID: c.ID, Status: "posted", Desc: st.Desc, Ref: st.Ref, Class: st.Class, Cat: st.Cat, Date: at,
				Amount: amountFor(st, c, uint64(si), d)}
			if at.After(pendingAfter) {
				tx.Status = "pending"
				tx.ID = s.hashID("pending", c.ID, si, d, c.jobsRun)
			} else {
				tx.ID = s.hashID("txn", c.ID, si, d)
			}
			c.txns = append(c.txns, tx)
		}
	}
	sort.SliceStable(c.txns, func(i, j int) bool {
		if !c.txns[i].Date.Equal(c.txns[j].Date) {
			return c.txns[i].Date.After(c.txns[j].Date)
		}
		return c.txns[i].ID < c.txns[j].ID
	})
	s.recomputeBalances(c)
}

func occurs(st stream, seed, si uint64, d, daysAgo int64, date time.Time) bool {
	if st.From > 0 && daysAgo >= int64(st.From) || st.Until > 0 && daysAgo < int64(st.Until) {
		return false
	}
	switch st.Sched.kind {
	case 'm':
		last := time.Date(date.Year(), date.Month()+1, 0, 0, 0, 0, 0, time.UTC).Day()
		return date.Day() == min(st.Sched.n, last)
	case 'e':
		return (d+int64(seed%uint64(st.Sched.n)))%int64(st.Sched.n) == 0
	case 'c':
		return unitOf(seed, si, uint64(d)) < st.Sched.p
	case 'o':
		return daysAgo == int64(st.Sched.n)
	}
	return false
}

func amountFor(st stream, c *simConn, si uint64, d int64) int64 {
	jitter := int64(math.Round(float64(st.Jitter) * (2*unitOf(c.seed, si, uint64(d), 3) - 1)))
	amt := int64(math.Round(float64(st.Amount+jitter) * c.scale))
	if amt == 0 || (amt > 0) != (st.Amount > 0) {
		amt = 100
		if st.Amount < 0 {
			amt = -100
		}
	}
	return amt
}

// recomputeBalances sets running balances (web connections only: Open
// Banking supplies none) and each account's balance and pending total.
func (s *Simulator) recomputeBalances(c *simConn) {
	running := map[string]int64{}
	for _, a := range c.accounts {
		running[a.ID] = a.Opening
		a.Pending = 0
	}
	for i := len(c.txns) - 1; i >= 0; i-- { // oldest first
		tx := c.txns[i]
		if tx.Status == "pending" {
			continue
		}
		running[tx.AccountID] += tx.Amount
		tx.Balance, tx.HasBalance = running[tx.AccountID], c.Method != "open-banking"
	}
	for _, tx := range c.txns {
		if tx.Status == "pending" {
			if a := c.account(tx.AccountID); a != nil {
				a.Pending += tx.Amount
			}
		}
	}
	for _, a := range c.accounts {
		a.Balance = running[a.ID]
	}
}

// makeAccounts creates the connection's accounts from its persona.
func (s *Simulator) makeAccounts(c *simConn, at time.Time) {
	u := s.users[c.UserID]
	holder := ""
	if u != nil {
		holder = u.name()
	}
	c.accounts = nil
	for i, spec := range c.Persona.Accounts {
		number := spec.Number
		if c.scale != 1 { // a persona reused under another name gets its own numbers
			number = spec.Number[:6] + digits(mix(c.seed, uint64(i)), len(spec.Number)-6)
		}
		c.accounts = append(c.accounts, &simAccount{
			ID: s.hashID("account", c.ID, i), ConnID: c.ID, Name: spec.Name, Product: spec.Product, Class: spec.Class,
			Number: number, Holder: holder, Ownership: spec.Ownership,
			Opening: int64(math.Round(float64(spec.Opening) * c.scale)), Limit: spec.Limit, Created: at, Updated: at,
		})
	}
}

func digits(x uint64, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + x%10)
		x /= 10
		if x == 0 {
			x = mix(uint64(i), 99)
		}
	}
	return string(b)
}
