package guard

import (
	"encoding/json"
	"strings"
	"time"
	"unicode"
)

// KnownUser is what the directory keeps of a customer this deployment
// created or read: enough to find them again, nothing financial.
type KnownUser struct {
	ID     string    `json:"id"`
	Name   string    `json:"name,omitempty"`
	Email  string    `json:"email,omitempty"`
	Mobile string    `json:"mobile,omitempty"`
	Seen   time.Time `json:"seen"`
	// Triage is the customer's last triage (connections, how many need
	// attention and why, accounts), so that a question about many
	// customers reads the store, not Basiq, while it is fresh.
	Triage *Triage `json:"triage,omitempty"`
}

// Triage is what a support queue needs of one customer: the state of each
// connection and consent, and how many accounts, never account or
// transaction data. The reasons for attention are worked out from it when
// asked, so one triage answers any window ("expiring within 30 days").
type Triage struct {
	Version     int               `json:"v"`
	Connections []ConnectionState `json:"connections,omitempty"`
	Consents    []ConsentState    `json:"consents,omitempty"`
	Accounts    int               `json:"accounts"`
	Deleted     bool              `json:"deleted,omitempty"` // Basiq answered 404 for the customer
	Confirmed   time.Time         `json:"confirmed"`         // when Basiq last showed all of it
	// Changed is when an event last told of a change that it could
	// not tell in full (a new job's outcome, which connections a revoked
	// consent broke): a triage changed after it was confirmed is unsettled,
	// shown with the facts the events wrote, and read again first.
	Changed time.Time `json:"changed,omitzero"`
}

// Unsettled reports whether an event changed the customer after this
// triage was confirmed.
func (t Triage) Unsettled() bool { return t.Changed.After(t.Confirmed) }

// TriageVersion is the shape of Triage this build writes; a kept triage
// of another shape is read again from Basiq rather than misread.
const TriageVersion = 2

// ConnectionState is one connection as a triage keeps it: its status and
// bank, and the outcome of its newest job.
type ConnectionState struct {
	ID          string    `json:"id"`
	Institution string    `json:"institution,omitempty"`
	Status      string    `json:"status"`
	Method      string    `json:"method,omitempty"`
	LastUsed    time.Time `json:"lastUsed,omitzero"`
	Expires     time.Time `json:"expires,omitzero"`
	Job         string    `json:"job,omitempty"`      // the newest job's id
	JobState    string    `json:"jobState,omitempty"` // as basiq.JobState names it
	JobAt       time.Time `json:"jobAt,omitzero"`     // when that job was created
	Code        string    `json:"code,omitempty"`     // a failed job's failure code
}

// ConsentState is one consent as a triage keeps it.
type ConsentState struct {
	ID      string    `json:"id"`
	Status  string    `json:"status"`
	Expires time.Time `json:"expires,omitzero"`
	Changed time.Time `json:"changed,omitzero"` // revoked or last updated
}

// Directory remembers the customers this deployment has created or read,
// so that they can be found by name, email or mobile where Basiq's API
// offers no user search (its published 3.0 API has no GET /users). It
// lives in the guard store, so it survives restarts and is shared by every
// process on that store.
type Directory struct {
	store Store
	now   func() time.Time
}

// NewDirectory keeps the directory in store.
func NewDirectory(store Store, now func() time.Time) *Directory {
	if now == nil {
		now = time.Now
	}
	return &Directory{store: store, now: now}
}

// rememberEvery is how stale an unchanged entry may get before a read
// writes it again: reads are frequent, and a write syncs the store.
const rememberEvery = time.Hour

// Remember records or refreshes a customer.
func (d *Directory) Remember(u KnownUser) error {
	if u.ID == "" {
		return nil
	}
	now := d.now().UTC()
	old, found, err := d.store.GetUser(u.ID)
	if err == nil && found && old.Name == u.Name && old.Email == u.Email && old.Mobile == u.Mobile && now.Sub(old.Seen) < rememberEvery {
		return nil
	}
	u.Seen = now
	if found && u.Triage == nil {
		u.Triage = old.Triage // new contact details do not make the triage older
	}
	return d.store.PutUsers(u)
}

// RememberAll records the customers of a listing (Basiq's user list)
// that are new to the directory or whose contact details changed, in one
// write: a scan of the whole book costs the store two operations, not two
// per customer.
func (d *Directory) RememberAll(us []KnownUser) error {
	known := map[string]KnownUser{}
	if err := d.store.ScanUsers(func(u KnownUser) bool { known[Key(u.ID)] = u; return true }); err != nil {
		return err
	}
	now := d.now().UTC()
	var changed []KnownUser
	for _, u := range us {
		old, found := known[Key(u.ID)]
		if u.ID == "" || found && old.Name == u.Name && old.Email == u.Email && old.Mobile == u.Mobile {
			continue
		}
		u.Seen, u.Triage = now, old.Triage
		changed = append(changed, u)
	}
	if len(changed) == 0 {
		return nil
	}
	return d.store.PutUsers(changed...)
}

// RecordTriage keeps a customer's triage, as confirmed at t.Confirmed.
func (d *Directory) RecordTriage(id string, t Triage) error {
	u, found, err := d.store.GetUser(id)
	if err != nil {
		return err
	}
	if !found {
		u = KnownUser{ID: id, Seen: d.now().UTC()}
	}
	t.Version = TriageVersion
	if kept := u.Triage; kept != nil && kept.Changed.After(t.Confirmed) {
		t.Changed = kept.Changed // the read began before that event: it may not hold it
	}
	u.Triage = &t
	return d.store.PutUsers(u)
}

// Lead makes holder the one process that does name (the background
// indexer) for ttl, or says another holds it; the holder renews by calling
// again. A store that does not answer leads nobody.
func (d *Directory) Lead(name, holder string, ttl time.Duration) bool {
	key := Key("lead", name)
	rec, claimed, err := d.store.Claim(key, Record{ArgsHash: holder, State: "lead", Created: d.now().UTC()}, ttl)
	if err != nil {
		return false
	}
	if claimed {
		return true
	}
	if rec.ArgsHash != holder {
		return false
	}
	return d.store.PutRecord(key, Record{ArgsHash: holder, State: "lead", Created: d.now().UTC()}, ttl) == nil
}

// Stale forgets a customer's triage, after a tool changed them: the next
// question about them, the support queue's included, reads Basiq.
func (d *Directory) Stale(id string) error {
	u, found, err := d.store.GetUser(id)
	if err != nil || !found || u.Triage == nil {
		return err
	}
	u.Triage = nil
	return d.store.PutUsers(u)
}

// Release ends holder's lead of name (a process stopping), so another
// process takes it up at once rather than after the lease.
func (d *Directory) Release(name, holder string) {
	key := Key("lead", name)
	// A probe that claims nothing held: it reads the holder, or finds none.
	if rec, claimed, err := d.store.Claim(key, Record{State: "probe", Created: d.now().UTC()}, 365*24*time.Hour); err == nil && (claimed || rec.ArgsHash == holder) {
		_ = d.store.DeleteRecord(key)
	}
}

// Bookmark is a place in a feed read in order (Basiq's events): the time
// of the newest item taken up, and the ids taken up at that time.
type Bookmark struct {
	At  time.Time `json:"at"`
	IDs []string  `json:"ids,omitempty"`
}

// bookmarkTTL keeps a bookmark past the 7 days Basiq keeps events.
const bookmarkTTL = 8 * 24 * time.Hour

// Bookmark reads the named bookmark (zero when there is none).
func (d *Directory) Bookmark(name string) (Bookmark, error) {
	key := Key("bookmark", name)
	rec, claimed, err := d.store.Claim(key, Record{State: "probe", Created: d.now().UTC()}, bookmarkTTL)
	if err != nil || claimed {
		if claimed {
			err = d.store.DeleteRecord(key)
		}
		return Bookmark{}, err
	}
	var b Bookmark
	if len(rec.Result) > 0 {
		err = json.Unmarshal(rec.Result, &b)
	}
	return b, err
}

// SetBookmark keeps the named bookmark.
func (d *Directory) SetBookmark(name string, b Bookmark) error {
	raw, err := json.Marshal(b)
	if err != nil {
		return err
	}
	return d.store.PutRecord(Key("bookmark", name), Record{State: StateDone, Result: raw, Created: d.now().UTC()}, bookmarkTTL)
}

// FreshTriage returns a customer's triage when one was confirmed within
// maxAge.
func (d *Directory) FreshTriage(id string, maxAge time.Duration) (Triage, bool) {
	u, found, err := d.store.GetUser(id)
	if err != nil || !found || u.Triage == nil || u.Triage.Version != TriageVersion || d.now().Sub(u.Triage.Confirmed) > maxAge || u.Triage.Unsettled() {
		return Triage{}, false
	}
	return *u.Triage, true
}

// KeptTriage returns a customer's kept triage, however old, if it is of
// this build's shape.
func (d *Directory) KeptTriage(id string) (Triage, bool) {
	u, found, err := d.store.GetUser(id)
	if err != nil || !found || u.Triage == nil || u.Triage.Version != TriageVersion {
		return Triage{}, false
	}
	return *u.Triage, true
}

// Scan calls fn with every customer the directory keeps, in no order,
// until fn returns false: the support queue reads the book from here.
func (d *Directory) Scan(fn func(KnownUser) bool) error { return d.store.ScanUsers(fn) }

// Forget removes a customer, after their deletion.
func (d *Directory) Forget(id string) error { return d.store.DeleteUser(id) }

// Search returns up to limit customers whose name, email or mobile contains
// query (case-insensitive; a mobile matches on its digits, 04… or +614…),
// most recently seen first, with how many matched and how many are known.
func (d *Directory) Search(query string, limit int) (matches []KnownUser, matched, known int, err error) {
	var all []KnownUser
	err = d.store.ScanUsers(func(u KnownUser) bool {
		known++
		if Matches(query, u.Name, u.Email, u.Mobile) {
			all = append(all, u)
		}
		return true
	})
	sortBySeen(all)
	return all[:min(limit, len(all))], len(all), known, err
}

// Matches reports whether query is found, case-insensitively, in the name
// or email, or by its digits in the mobile. An empty query matches all.
func Matches(query, name, email, mobile string) bool {
	q := strings.ToLower(strings.TrimSpace(query))
	if q == "" {
		return true
	}
	if strings.Contains(strings.ToLower(name), q) || strings.Contains(strings.ToLower(email), q) {
		return true
	}
	qd, md := digits(q), digits(mobile)
	if len(qd) < 3 || len(qd) < len(q)-3 || md == "" {
		return false // too few digits, or not a phone number at all
	}
	if strings.Contains(md, qd) {
		return true
	}
	// An Australian 04… number is +614… in international form.
	return strings.HasPrefix(qd, "0") && strings.Contains(md, "61"+qd[1:])
}

func digits(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsDigit(r) {
			return r
		}
		return -1
	}, s)
}

func sortBySeen(us []KnownUser) {
	for i := 1; i < len(us); i++ { // insertion sort: matches are few
		for j := i; j > 0 && us[j].Seen.After(us[j-1].Seen); j-- {
			us[j], us[j-1] = us[j-1], us[j]
		}
	}
}
