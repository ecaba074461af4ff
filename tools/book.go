package tools

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/tools/guard"
)

// queueIndex says how complete and how fresh the index behind a support
// queue is, so an empty queue is never mistaken for a quiet morning.
type queueIndex struct {
	Customers  int      `json:"customers" jsonschema_description:"customers in the index"`
	Read       int      `json:"read" jsonschema_description:"customers with a kept triage"`
	NotYetRead int      `json:"not_yet_read"`
	Stale      int      `json:"stale" jsonschema_description:"read longer ago than the triage max age; events and the background scan renew them"`
	Unsettled  int      `json:"unsettled,omitempty"` // shown as events told; the scan reads them first
	OldestAsOf string   `json:"oldest_as_of,omitempty"`
	Unreadable []string `json:"unreadable,omitempty" jsonschema_description:"customers whose read failed just now"`
}

// queueInline is how many customers never read (or read too long ago)
// one queue call reads from Basiq itself (four requests each, six at a
// time); the paced background scan reads the rest. It lets a small book be
// answered whole at once.
const queueInline = 50

// indexMaxAge is how old a kept triage may be before a queue call reads
// the customer again itself. Events say within seconds what changes and
// the background scan renews the rest, so up to then a triage is shown
// with its date (and counted stale past the triage max age), not re-read:
// a queue costs Basiq next to nothing however many customers there are.
const indexMaxAge = 24 * time.Hour

// readBook is every customer in the index the caller may reach, with
// their kept triage: Basiq's user list is read when the index has not
// listed it within the triage max age, and customers never read are read
// from Basiq, up to queueInline of them.
func readBook(ctx context.Context, d *call) ([]guard.KnownUser, queueIndex, error) {
	if d.Users == nil {
		return nil, queueIndex{}, errors.New("this server runs without a guard store, so it keeps no customer index to queue from")
	}
	listBook(ctx, d)
	var book []guard.KnownUser
	err := d.Users.Scan(func(u guard.KnownUser) bool {
		if mayReach(ctx, u.ID) {
			book = append(book, u)
		}
		return ctx.Err() == nil
	})
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return nil, queueIndex{}, fmt.Errorf("the customer index could not be read: %w", err)
	}
	idx := queueIndex{Customers: len(book), Unreadable: readUnread(ctx, d, book)}
	var oldest time.Time
	for _, u := range book {
		switch t := u.Triage; {
		case t == nil || t.Version != guard.TriageVersion || time.Since(t.Confirmed) > indexMaxAge:
			idx.NotYetRead++
		default:
			idx.Read++
			if t.Unsettled() {
				idx.Unsettled++
			}
			if d.TriageMaxAge > 0 && time.Since(t.Confirmed) > d.TriageMaxAge {
				idx.Stale++
			}
			if oldest.IsZero() || t.Confirmed.Before(oldest) {
				oldest = t.Confirmed
			}
		}
	}
	idx.OldestAsOf = stamp(oldest)
	return book, idx, nil
}

// bookListed names the bookmark of the last reading of Basiq's user list.
const bookListed = "book-listed"

// listBook adds Basiq's customers the index does not know yet, reading
// Basiq's user list at most once per triage max age for the deployment
// (Basiq's 3.0 API has none; then the index is the customers this server
// created, read or heard of in events).
func listBook(ctx context.Context, d *call) {
	every := max(d.TriageMaxAge, time.Minute)
	if mark, err := d.Users.Bookmark(bookListed); err != nil || time.Since(mark.At) < every {
		return
	}
	users, _, err := d.Client.AllUsers(ctx, maxUsersScanned)
	if err != nil && !userListMissing(err) && !basiq.IsNotFound(err) {
		d.Log.WarnContext(ctx, "the support queue could not read Basiq's user list; it answers from the customers already indexed", "error", err)
		return
	}
	d.rememberAll(ctx, users)
	if err := d.Users.SetBookmark(bookListed, guard.Bookmark{At: time.Now().UTC()}); err != nil {
		d.Log.WarnContext(ctx, "the support queue could not note that it read Basiq's user list", "error", err)
	}
}

// readUnread reads from Basiq, and keeps, the triage of up to queueInline
// customers of book never read, updating book in place. It returns those
// whose read failed: they are marked, and the rest answered.
func readUnread(ctx context.Context, d *call, book []guard.KnownUser) (failed []string) {
	var todo []int
	for i, u := range book {
		if t := u.Triage; t == nil || t.Version != guard.TriageVersion || time.Since(t.Confirmed) > indexMaxAge {
			todo = append(todo, i)
		}
	}
	age := func(i int) time.Time {
		if t := book[i].Triage; t != nil && t.Version == guard.TriageVersion {
			return t.Confirmed
		}
		return time.Time{} // never read: first
	}
	slices.SortStableFunc(todo, func(a, b int) int { return age(a).Compare(age(b)) })
	todo = todo[:min(len(todo), queueInline)]
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, triageWorkers)
	for _, i := range todo {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			t, err := triageFor(ctx, d, book[i].ID, 0) // the kept one is what is being replaced
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed = append(failed, book[i].ID)
				return
			}
			book[i].Triage = &t
		}()
	}
	wg.Wait()
	slices.Sort(failed)
	return failed
}

// outageStatuses are the connector statuses in which a connection's
// failures are the bank's, worst last.
var outageStatuses = []string{"partial-outage", "major-outage"}

// statusRank orders connector statuses from best to worst.
var statusRank = []string{"operational", "under-maintenance", "degraded-performance", "partial-outage", "major-outage"}

// bankStatuses are the banks' names and statuses at Basiq, from one
// connectors read (the client keeps it for a minute).
type bankStatuses struct {
	names  map[string]string
	worst  map[string]string // institution: its worst method's status
	method map[string]string // institution/method: that method's status
	err    error
}

func readBanks(ctx context.Context, d *call) bankStatuses {
	b := bankStatuses{names: map[string]string{}, worst: map[string]string{}, method: map[string]string{}}
	l, err := d.Client.ListConnectors(ctx, basiq.ListConnectorsOptions{})
	if err != nil {
		d.Log.DebugContext(ctx, "the queue could not read the banks' status; outages are not marked", "error", err)
		b.err = err
		return b
	}
	for _, c := range l.Data {
		b.names[c.ID] = c.Institution.Name
		b.method[c.ID+"/"+strings.ToLower(c.Method)] = c.Status
		if slices.Index(statusRank, c.Status) > slices.Index(statusRank, b.worst[c.ID]) {
			b.worst[c.ID] = c.Status
		}
	}
	return b
}

// of is a bank's status for a connection by method (the bank's worst
// status when the method is unknown), "" when operational or unknown.
func (b bankStatuses) of(institution, method string) string {
	s, ok := b.method[institution+"/"+strings.ToLower(method)]
	if !ok {
		s = b.worst[institution]
	}
	if s == "operational" {
		return ""
	}
	return s
}

// stamp formats t as RFC 3339 in UTC, "" when unset.
func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
