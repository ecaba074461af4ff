package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq/basiqtest"
	"github.com/basiq-mcp/basiq-mcp/testdata/mcptest"
)

// queueIndex is the part of a support_queue result the bench reads.
type queueIndex struct {
	Total int `json:"total"`
	Index struct {
		Customers  int `json:"customers"`
		NotYetRead int `json:"not_yet_read"`
	} `json:"index"`
}

// queue measures what the support queue costs Basiq as the book grows:
// the first call, the calls it takes to read the whole book (each reads at
// most 50 customers itself; the paced background scan is off here), and
// a call afterwards. Then, on its own, the background scan's request rate
// against its pace.
func queue(ctx context.Context, c config) error {
	fmt.Printf("\n## Support queue: Basiq requests per call\n\n")
	fmt.Printf("| customers | first call | calls until the whole book is read | requests to read it | a call after (most of 3) | target |\n|---|---|---|---|---|---|\n")
	sizes := []int{34, 200, 2000}
	if c.quick {
		sizes = []int{34, 200}
	}
	for _, n := range sizes {
		if err := queueAt(ctx, c, n); err != nil {
			return err
		}
	}
	return scanPace(ctx, c)
}

func queueAt(ctx context.Context, c config, customers int) error {
	sim := basiqtest.NewServer(basiqtest.WithUsers(customers), basiqtest.WithTimeScale(0.01))
	defer sim.Close()
	cl, err := stdioClient(ctx, c.bin, append(ourEnv(sim.URL), "BASIQ_MCP_INDEX_RATE=0", "BASIQ_MCP_EVENTS_POLL=0"))
	if err != nil {
		return err
	}
	defer cl.Close()
	ask := func() (queueIndex, int, error) {
		before := mcptest.QueueRequests(sim)
		res, err := call(ctx, cl, "support_queue", map[string]any{"limit": 1})
		if err != nil {
			return queueIndex{}, 0, err
		}
		raw, _ := json.Marshal(res.StructuredContent)
		var q queueIndex
		err = json.Unmarshal(raw, &q)
		return q, mcptest.QueueRequests(sim) - before, err
	}
	q, first, err := ask()
	if err != nil {
		return err
	}
	calls, reading := 1, first
	for q.Index.NotYetRead > 0 && calls < 100 {
		var cost int
		if q, cost, err = ask(); err != nil {
			return err
		}
		calls, reading = calls+1, reading+cost
	}
	after := 0
	for range 3 {
		_, cost, err := ask()
		if err != nil {
			return err
		}
		after = max(after, cost)
	}
	fmt.Printf("| %d | %d | %d | %d | %d | at most 5 after the first scan |\n", customers, first, calls, reading, after)
	return nil
}

// scanPace runs the background scan alone over 200 customers for a
// while and reports its request rate against the pace it was given.
func scanPace(ctx context.Context, c config) error {
	const pace, customers = 4.0, 200
	window := 20 * time.Second
	if c.quick {
		window = 5 * time.Second
	}
	sim := basiqtest.NewServer(basiqtest.WithUsers(customers), basiqtest.WithTimeScale(0.01))
	defer sim.Close()
	cl, err := stdioClient(ctx, c.bin, append(ourEnv(sim.URL), fmt.Sprintf("BASIQ_MCP_INDEX_RATE=%g", pace),
		"BASIQ_MCP_BACKGROUND_DELAY=0s", "BASIQ_MCP_EVENTS_POLL=0"))
	if err != nil {
		return err
	}
	defer cl.Close()
	start, began := mcptest.QueueRequests(sim), time.Now()
	time.Sleep(window)
	rate := float64(mcptest.QueueRequests(sim)-start) / time.Since(began).Seconds() // the user list included
	fmt.Printf("\nThe background scan over %d customers at `--index-rate %g`: %.2f Basiq requests a second over %s (target: under the pace).\n",
		customers, pace, rate, window)
	return nil
}
