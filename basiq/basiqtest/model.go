package basiqtest

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"time"
)

type simUser struct {
	ID, Email, Mobile, First, Middle, Last   string
	BusinessName, BusinessIDNo, BusinessType string
	Created                                  time.Time
	conns                                    []string // connection ids, oldest first
}

type simConn struct {
	ID, UserID, InstitutionID, Method, Status string
	Persona                                   *persona // whose data this connection holds
	LoginID                                   string   // credentials the consent used
	Created, Expiry, LastUsed                 time.Time
	Fail                                      *failure // every job of this connection fails so
	seed                                      uint64
	accounts                                  []*simAccount
	txns                                      []*simTxn   // newest first
	generated                                 bool        // txns reflect dataUntil (lazy)
	dataUntil                                 time.Time   // transactions exist up to here
	scale                                     float64     // amounts relative to the persona
	jobsRun                                   int         // refreshes and connects so far
	refreshTimes                              []time.Time // for the open-banking daily cap
	deleted                                   bool
	askCode                                   bool // the next job waits for the customer's code
}

type simAccount struct {
	ID, ConnID, Name, Product, Class, Number, Holder, Ownership string
	Opening, Limit                                              int64
	Balance, Pending                                            int64 // derived from txns
	Updated, Created                                            time.Time
}

type simTxn struct {
	ID, AccountID, ConnID, Status, Desc, Ref, Class, Cat string
	Amount, Balance                                      int64
	HasBalance                                           bool
	Date                                                 time.Time
}

type simAuthLink struct {
	ID, UserID, Mobile string
	Created, Expires   time.Time
	Deleted            bool
}

type simConsent struct {
	ID, UserID, Status       string
	Created, Updated, Expiry time.Time
	Revoked                  time.Time
}

type simReport struct {
	ID, Title, Type, CreatedBy string
	Created, Expires           time.Time
	Filters                    []reportFilter
	Data                       any
	Ready                      bool
	args                       reportArgs
	txns                       []*simTxn // the snapshot the report was computed from
}

type reportFilter struct {
	Name  string `json:"name"`
	Value any    `json:"value"`
}

type simEvent struct {
	ID, Entity, Type, UserID, DataRef string
	Created                           time.Time
	Data                              map[string]any
}

type simToken struct {
	Scope, UserID string
	expires       time.Time
}

// admit applies a sliding-window limit: it forgets times older than span,
// and either records now (ok) or says how long until one more would fit.
func admit(times *[]time.Time, now time.Time, span time.Duration, limit int) (ok bool, retry time.Duration) {
	cutoff := now.Add(-span)
	kept := (*times)[:0]
	for _, t := range *times {
		if t.After(cutoff) {
			kept = append(kept, t)
		}
	}
	*times = kept
	if len(kept) >= limit {
		return false, kept[0].Sub(cutoff)
	}
	*times = append(*times, now)
	return true, 0
}

// hashID derives a stable UUID from the seed and parts, so the same seed
// gives the same ids in every run, whatever order things are asked for.
func (s *Simulator) hashID(parts ...any) string {
	h := sha256.New()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], s.cfg.seed)
	h.Write(b[:])
	for _, p := range parts {
		fmt.Fprint(h, "|", p)
	}
	sum := h.Sum(nil)
	sum[6] = sum[6]&0x0f | 0x40 // version 4 layout
	sum[8] = sum[8]&0x3f | 0x80
	x := hex.EncodeToString(sum[:16])
	return x[:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

// nextID makes an id for an object created at run time.
func (s *Simulator) nextID(kind string) string {
	s.counter++
	return s.hashID("runtime", kind, s.counter)
}

func (u *simUser) name() string {
	n := u.First
	if u.Middle != "" {
		n += " " + u.Middle
	}
	if u.Last != "" {
		n += " " + u.Last
	}
	return n
}

// activeConns returns the user's connections that were not deleted.
func (s *Simulator) activeConns(u *simUser) []*simConn {
	var out []*simConn
	for _, id := range u.conns {
		if c := s.conns[id]; c != nil && !c.deleted {
			out = append(out, c)
		}
	}
	return out
}

// userAccounts returns the accounts of every connection the user has had:
// deleting a connection keeps the data it fetched.
func (s *Simulator) userAccounts(u *simUser) []*simAccount {
	var out []*simAccount
	for _, id := range u.conns {
		c := s.conns[id]
		s.ensureData(c)
		out = append(out, c.accounts...)
	}
	return out
}

func (c *simConn) account(id string) *simAccount {
	for _, a := range c.accounts {
		if a.ID == id {
			return a
		}
	}
	return nil
}
