package tools

import (
	"context"
	"slices"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
)

// pollPages bounds the pages of events one poll reads (100 a page): Basiq
// keeps 7 days of events, and a poll every minute needs one page.
const pollPages = 5

// PollEvents reads Basiq's events every interval where no webhook reaches
// the server, and applies the new ones as a webhook would (ApplyEvent's
// effect, without reading each event again: the list carries the data).
// Its place in the event list is kept in the store, so a restart resumes
// from it and processes nothing twice; one process of a deployment polls
// at a time (a lease). A first poll takes up the events of the last
// TriageMaxAge: older ones cannot have made a kept triage stale.
func PollEvents(ctx context.Context, d *Deps, interval, startAfter time.Duration) {
	if interval <= 0 || d.Users == nil {
		return
	}
	holder := newHolder()
	defer d.Users.Release("events", holder)
	ctx = background(ctx)
	sleep(ctx, startAfter)
	for ctx.Err() == nil {
		if d.Users.Lead("events", holder, max(2*interval, time.Minute)) {
			if err := pollOnce(ctx, d); err != nil {
				d.Log.Debug("events: a poll failed; the next one tries again", "error", err)
			}
		}
		sleep(ctx, interval)
	}
}

// pollOnce reads the events newer than the bookmark, oldest first, applies
// them, and moves the bookmark past them.
func pollOnce(ctx context.Context, d *Deps) error {
	mark, err := d.Users.Bookmark("events")
	if err != nil {
		return err
	}
	if mark.At.IsZero() {
		mark.At = time.Now().Add(-d.TriageMaxAge)
	}
	var fresh []basiq.Event
	next := ""
	for page := 0; page < pollPages; page++ {
		l, err := d.Client.ListEvents(ctx, basiq.ListEventsOptions{}, basiq.PageOptions{Limit: 100, Next: next})
		if err != nil {
			return err
		}
		older := false
		for _, e := range l.Data {
			if e.CreatedDate.Before(mark.At) || e.CreatedDate.Equal(mark.At) && slices.Contains(mark.IDs, e.ID) {
				older = true
				continue
			}
			fresh = append(fresh, e)
		}
		if next = l.Next(); older || next == "" {
			break
		}
	}
	slices.SortStableFunc(fresh, func(a, b basiq.Event) int { return a.CreatedDate.Compare(b.CreatedDate.Time) })
	for _, e := range fresh {
		if err := d.takeEvent(e); err != nil {
			return err // the bookmark stays: these events are taken up again
		}
		if e.CreatedDate.After(mark.At) {
			mark.At, mark.IDs = e.CreatedDate.Time, nil
		}
		mark.IDs = append(mark.IDs, e.ID)
	}
	return d.Users.SetBookmark("events", mark)
}

// Background is what RunBackground keeps running.
type Background struct {
	Pace       Pace          // the indexer's pace (a zero share: off)
	PollEvents time.Duration // how often to poll events where no webhook reaches (0: off)
	StartAfter time.Duration // how long after start both begin
}

// RunBackground runs the indexer, the event poller and the settling of
// abandoned creates until ctx ends.
func RunBackground(ctx context.Context, d *Deps, b Background) {
	go PollEvents(ctx, d, b.PollEvents, b.StartAfter)
	go runSettler(ctx, d, b.StartAfter)
	RunIndexer(ctx, d, b.Pace, b.StartAfter)
}
