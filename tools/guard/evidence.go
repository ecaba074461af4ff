package guard

import (
	"context"
	"strings"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
)

// customerActed reports whether Basiq shows the customer acted on their
// connection after a failure at failed: a consent of theirs created or
// updated since (they went through the consent screens again), or a
// connection.updated event for this connection since. Basiq keeps events
// for 7 days and may not offer them to every key: an unreadable event list
// is no evidence. Consents that cannot be read are an error, so the refresh
// is not sent on a guess.
func (g *Governor) customerActed(ctx context.Context, userID, connID string, failed time.Time) (bool, error) {
	consents, err := g.client.ListConsents(ctx, userID)
	if err != nil {
		return false, err
	}
	for _, c := range consents.Data {
		if c.Created.After(failed) || c.Updated.After(failed) {
			return true, nil
		}
	}
	events, err := g.client.ListEvents(ctx, basiq.ListEventsOptions{UserID: userID, Entity: "connection", EventType: "updated"}, basiq.PageOptions{})
	if err != nil {
		return false, nil
	}
	for _, e := range events.Data {
		if e.CreatedDate.After(failed) && strings.HasSuffix(strings.ToLower(e.DataRef), "/connections/"+strings.ToLower(connID)) {
			return true, nil
		}
	}
	return false, nil
}
