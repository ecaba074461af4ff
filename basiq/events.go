package basiq

import (
	"context"
	"net/url"
)

// ListEventsOptions narrows GET /events (Basiq keeps 7 days of events).
type ListEventsOptions struct {
	UserID    string
	Entity    string // connection, consent, user, account, transactions
	EventType string // created, updated, deleted…
}

// ListEvents lists recent events.
func (c *Client) ListEvents(ctx context.Context, o ListEventsOptions, p PageOptions) (*List[Event], error) {
	var f Filter
	if o.UserID != "" {
		if err := ValidateID("user id", o.UserID); err != nil {
			return nil, err
		}
		f = append(f, Eq("user.id", o.UserID))
	}
	if o.Entity != "" {
		f = append(f, Eq("event.entity", o.Entity))
	}
	if o.EventType != "" {
		f = append(f, Eq("event.type", o.EventType))
	}
	q, err := filterQuery(f)
	if err != nil {
		return nil, err
	}
	return listPage[Event](ctx, c, "/events", q, p)
}

// ListEventTypes lists the kinds of event Basiq records.
func (c *Client) ListEventTypes(ctx context.Context) (*List[EventType], error) {
	return listPage[EventType](ctx, c, "/events/types", url.Values{}, PageOptions{})
}

// GetEvent reads one event; a webhook's payload is thin and names only its
// id, so the receiver reads the event itself.
func (c *Client) GetEvent(ctx context.Context, eventID string) (*Event, error) {
	path, err := idPath("events", ":event id", eventID)
	if err != nil {
		return nil, err
	}
	var e Event
	if err := c.getJSON(ctx, path, nil, &e); err != nil {
		return nil, err
	}
	return &e, nil
}

// Webhook is a webhook subscription. Secret signs its deliveries (whsec_…).
type Webhook struct {
	Type             string   `json:"type"`
	ID               string   `json:"id"`
	Name             string   `json:"name"`
	URL              string   `json:"url"`
	Status           string   `json:"status"`
	Secret           string   `json:"secret"`
	SubscribedEvents []string `json:"subscribedEvents"`
}

// CreateWebhook subscribes url to the event types (POST
// /notifications/webhooks); Basiq answers with the signing secret.
func (c *Client) CreateWebhook(ctx context.Context, url, name string, events []string) (*Webhook, error) {
	var w Webhook
	body := map[string]any{"url": url, "name": name, "subscribedEvents": events}
	if _, err := c.postJSON(ctx, "/notifications/webhooks", body, &w); err != nil {
		return nil, err
	}
	return &w, nil
}
