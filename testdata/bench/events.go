package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq/basiqtest"
	"github.com/basiq-mcp/basiq-mcp/testdata/mcptest"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
)

// events measures the end-to-end figure: from a change at "Basiq"
// (a simulator control) through the signed webhook, the server's reading
// of the event and the notification, to the subscribed client. Each change
// waits for its notification before the next, so every latency is one
// event's alone. The connection ends as it began (an even number of changes).
func events(ctx context.Context, c config, env []string, sim *basiqtest.Server) error {
	secret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("the bench's webhook secret, 32 b"))
	srv, err := startHTTP(c.bin, append(env, "BASIQ_WEBHOOK_SECRET="+secret))
	if err != nil {
		return err
	}
	defer srv.stop()
	base := strings.TrimSuffix(srv.url, "/mcp")
	if _, err := sim.Subscribe(base+"/webhooks/basiq", secret, sim.URL); err != nil {
		return err
	}
	conn := sim.Connections()[0]
	uri := "basiq://users/" + conn.UserID
	//lint:ignore SA1019 the legacy session flow, with its GET stream
	cl, err := client.NewStreamableHttpClient(srv.url, transport.WithContinuousListening())
	if err != nil {
		return err
	}
	defer cl.Close()
	heard := make(chan struct{}, 16)
	cl.OnNotification(func(n mcp.JSONRPCNotification) {
		if n.Method == mcp.MethodNotificationResourceUpdated && n.Params.AdditionalFields["uri"] == uri {
			heard <- struct{}{}
		}
	})
	if err := connect(ctx, cl); err != nil {
		return err
	}
	sub := mcp.SubscribeRequest{}
	sub.Params.URI = uri
	//lint:ignore SA1019 the legacy session flow
	if err := cl.Subscribe(ctx, sub); err != nil {
		return err
	}
	time.Sleep(300 * time.Millisecond) // the GET stream is open
	n := 100
	if c.quick {
		n = 10
	}
	var lat []time.Duration
	lost := 0
	for i := range n {
		action := []string{"invalidate", "activate"}[i%2]
		start := time.Now()
		if err := mcptest.SimControl(sim.URL, "bench", "/_sim/connections/"+conn.ConnectionID+"/"+action); err != nil {
			return err
		}
		select {
		case <-heard:
			lat = append(lat, time.Since(start))
		case <-time.After(10 * time.Second):
			lost++
		}
	}
	slices.Sort(lat)
	fmt.Printf("\n## Events to subscribers (a Basiq change, its signed webhook, the event read, the notification)\n\n")
	fmt.Printf("| events | heard | p50 | p99 | max | target |\n|---|---|---|---|---|---|\n")
	fmt.Printf("| %d | %d | %s | %s | %s | p99 under 5 s |\n", n, len(lat), ms(pct(lat, 0.5)), ms(pct(lat, 0.99)), ms(pct(lat, 1)))
	if lost > 0 {
		return fmt.Errorf("%d of %d events never reached the subscriber", lost, n)
	}
	return nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
