package tools

import (
	"context"
	"slices"

	"github.com/basiq-mcp/basiq-mcp/basiq"
)

// outageStatuses are the connector statuses in which a connection's
// failures are the bank's, worst last.
var outageStatuses = []string{"partial-outage", "major-outage"}

// markOutages says, on each queue row, which banks behind its problems are
// in an outage now: those failures are the bank's, not the customer's, and
// a refresh would fail too. One connectors read answers for the whole queue
// (the client keeps it for a minute), so the status is current even when
// the rows come from the kept triage. If it cannot be read, the rows stay
// as they are.
func markOutages(ctx context.Context, d *call, rows []userSummary) {
	if !slices.ContainsFunc(rows, func(r userSummary) bool { return len(r.banks) > 0 }) {
		return
	}
	l, err := d.Client.ListConnectors(ctx, basiq.ListConnectorsOptions{Statuses: outageStatuses})
	if err != nil {
		d.Log.DebugContext(ctx, "the queue could not read institutions' status; outages are not marked", "error", err)
		return
	}
	worst := map[string]string{}
	for _, c := range l.Data {
		if slices.Index(outageStatuses, c.Status) > slices.Index(outageStatuses, worst[c.ID]) {
			worst[c.ID] = c.Status
		}
	}
	for i := range rows {
		for _, bank := range rows[i].banks {
			if status := worst[bank]; status != "" {
				note := "bank " + bank + " in " + status + ": its failures are the bank's, so wait rather than refresh"
				if rows[i].Attention != "" {
					note = rows[i].Attention + "; " + note
				}
				rows[i].Attention = note
			}
		}
	}
}
