package tools

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/tools/guard"
)

// indexLease is how long one process holds the scan; it renews it on each
// customer, so a process that dies hands the scan over within the lease.
const indexLease = time.Minute

// RunIndexer keeps the customers' triage fresh in the background, so that
// a question about all of them reads the store (see triageOne): it walks
// the customers (Basiq's user list, else the ones this deployment knows),
// those an event changed first, and re-reads each whose kept triage is
// older than half of TriageMaxAge, at pace (four requests per customer).
// Only one process of a deployment scans at a time (a lease in the store);
// a restart resumes where the triage is stalest. It starts after
// startAfter (replicas starting together do not all ask Basiq at once, and
// a short-lived process asks nothing), backs off a lease's length when the
// customers cannot be listed, and returns when ctx ends.
func RunIndexer(ctx context.Context, d *Deps, pace Pace, startAfter time.Duration) {
	if !pace.on() || d.Users == nil || d.TriageMaxAge <= 0 {
		return
	}
	ctx = background(ctx)
	sleep(ctx, startAfter)
	holder := newHolder()
	defer d.Users.Release("indexer", holder)
	next := time.Now()
	// pay waits until n more requests keep the scan within its pace: each
	// is paid for before it is sent, so no window starts with a burst. While
	// callers use the whole budget it waits for them.
	pay := func(n int) bool {
		for ctx.Err() == nil {
			if r := pace.Rate(); r >= pace.Budget*pace.Share/10 { // else callers leave next to nothing: look again in a second
				next = later(next, time.Now()).Add(time.Duration(float64(n) * float64(time.Second) / r))
				sleep(ctx, time.Until(next))
				break
			}
			sleep(ctx, time.Second)
		}
		return ctx.Err() == nil
	}
	for ctx.Err() == nil {
		if !d.Users.Lead("indexer", holder, indexLease) {
			sleep(ctx, indexLease/2)
			continue
		}
		renewed := time.Now()
		if !pay(1) { // the user list
			break
		}
		ids := unsettledFirst(d, customers(ctx, d))
		if ids == nil {
			sleep(ctx, indexLease) // Basiq or the store is not answering: ask again later, not in a loop
			continue
		}
		for _, id := range ids {
			if ctx.Err() != nil {
				break
			}
			if time.Since(renewed) > indexLease/3 { // renewed well within the lease, not a store write per customer
				if !d.Users.Lead("indexer", holder, indexLease) {
					break
				}
				renewed = time.Now()
			}
			if _, fresh := d.Users.FreshTriage(id, d.TriageMaxAge/2); fresh {
				continue
			}
			if !pay(4) {
				break
			}
			c := &call{Deps: d, tool: "indexer", ctx: ctx}
			if _, err := triageFor(ctx, c, id, 0); err != nil { // stale past half the max age: read it now
				d.Log.Debug("indexer: a customer could not be read; it is tried on the next pass", "error", err)
			}
		}
		sleep(ctx, max(time.Duration(float64(4*time.Second)/max(pace.Rate(), 0.01)), time.Second)) // a pass with nothing stale sleeps before the next
	}
}

// customers are the ids to keep fresh: Basiq's user list where Basiq
// offers one (each customer is remembered, so a queue can name them),
// else the customers this deployment knows.
func customers(ctx context.Context, d *Deps) []string {
	var ids []string
	if users, _, err := d.Client.AllUsers(ctx, maxUsersScanned); err == nil {
		d.rememberAll(ctx, users)
		for _, u := range users {
			ids = append(ids, u.ID)
		}
		if err := d.Users.SetBookmark(bookListed, guard.Bookmark{At: time.Now().UTC()}); err != nil {
			d.Log.WarnContext(ctx, "the indexer could not note that it read Basiq's user list", "error", err)
		}
		return ids
	} else if !userListMissing(err) && !basiq.IsNotFound(err) {
		return nil
	}
	known, _, _, err := d.Users.Search("", maxUsersScanned)
	if err != nil {
		return nil
	}
	for _, u := range known {
		ids = append(ids, u.ID)
	}
	return ids
}

// unsettledFirst puts the customers an event changed since their last
// read at the front of a pass, so what an event could not tell in full is
// read within seconds, not a pass later.
func unsettledFirst(d *Deps, ids []string) []string {
	first, err := d.Users.Unsettled()
	if err != nil || len(first) == 0 || ids == nil {
		return ids
	}
	seen := map[string]bool{}
	for _, id := range first {
		seen[strings.ToLower(id)] = true
	}
	for _, id := range ids {
		if !seen[strings.ToLower(id)] {
			first = append(first, id)
		}
	}
	return first
}

// newHolder names this process in a lease.
func newHolder() string {
	id := make([]byte, 8)
	rand.Read(id)
	return hex.EncodeToString(id)
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// ApplyEvent applies one of Basiq's events, named by its id (a webhook's
// payload is thin), to what this server keeps: the event is read from
// Basiq and its fact written into the index (see takeEvent).
func ApplyEvent(ctx context.Context, d *Deps, eventID string) error {
	e, err := d.Client.GetEvent(background(ctx), eventID)
	if err != nil {
		return err
	}
	return d.takeEvent(*e)
}

// customerChanged forgets a changed customer's kept triage and tells the
// sessions subscribed to their resources.
func (d *Deps) customerChanged(userID string) error {
	if userID == "" {
		return nil
	}
	if d.Users != nil {
		if err := d.Users.Stale(userID); err != nil {
			return err
		}
	}
	if d.CustomerChanged != nil {
		d.CustomerChanged(userID)
	}
	return nil
}

// wroteCustomer forgets the kept triage of the customer a write named, and
// tells its subscribers: the queue must not show for minutes what an agent
// just changed (a refresh started, a code sent, a connection deleted). The
// write itself stands whatever happens here.
func (d *Deps) wroteCustomer(ctx context.Context, args map[string]any) {
	id, _ := args["user_id"].(string)
	if err := d.customerChanged(id); err != nil {
		d.Log.WarnContext(ctx, "a changed customer's kept triage could not be forgotten; the queue may show it until --triage-max-age", "error", err)
	}
}
