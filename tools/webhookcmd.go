package tools

import (
	"context"
	"fmt"
	"io"
	"net/url"
)

// HandledEvents are the webhook event types this server takes up: each
// makes the kept triage of its customer stale.
var HandledEvents = []string{"connection.created", "connection.deleted", "connection.activated", "connection.invalidated",
	"consent.created", "consent.updated", "consent.revoked", "consent.expired", "user.deleted"}

// WebhooksCommand runs "basiq-mcp webhooks subscribe URL": it subscribes
// URL (this server's /webhooks/basiq, reachable by Basiq) to the event
// types the server handles, and prints the signing secret to set as
// BASIQ_WEBHOOK_SECRET. The secret goes to stdout only, the command's
// output, never to a log.
func WebhooksCommand(ctx context.Context, d *Deps, rest []string, stdout, stderr io.Writer) int {
	if len(rest) != 2 || rest[0] != "subscribe" {
		fmt.Fprintln(stderr, "usage: basiq-mcp webhooks subscribe https://HOST/webhooks/basiq")
		return 2
	}
	if u, err := url.Parse(rest[1]); err != nil || u.Scheme != "https" && u.Scheme != "http" || u.Host == "" {
		fmt.Fprintf(stderr, "basiq-mcp: %q is not an http(s) URL Basiq can deliver to\n", rest[1])
		return 2
	}
	w, err := d.Client.CreateWebhook(ctx, rest[1], "basiq-mcp", HandledEvents)
	if err != nil {
		fmt.Fprintln(stderr, "basiq-mcp: the subscription was not made:", explain(err))
		return 1
	}
	fmt.Fprintf(stdout, "webhook %s subscribed to %d event types (%s).\nSet BASIQ_WEBHOOK_SECRET=%s on every replica; Basiq may take up to 15 minutes to start delivering.\n",
		w.ID, len(w.SubscribedEvents), w.Status, w.Secret)
	return 0
}
