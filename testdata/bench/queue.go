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
	cl, err := stdioClient(ctx, c.bin, append(ourEnv(c.scratch, sim.URL), "BASIQ_MCP_INDEX_SHARE=0", "BASIQ_MCP_EVENTS_POLL=0"))
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

// scanPace runs the background scan over 200 customers for a while, on
// its own and then beside a caller reading steadily, and reports the
// scan's request rate against its pace: alone it takes its share of the
// read budget, and beside the caller what the caller leaves of it.
func scanPace(ctx context.Context, c config) error {
	const budget, share, customers = 10.0, 0.4, 200
	const callerRate = 8.0 // get_user calls a second, one Basiq request each
	window := 20 * time.Second
	if c.quick {
		window = 5 * time.Second
	}
	sim := basiqtest.NewServer(basiqtest.WithUsers(customers), basiqtest.WithTimeScale(0.01))
	defer sim.Close()
	cl, err := stdioClient(ctx, c.bin, append(ourEnv(c.scratch, sim.URL), fmt.Sprintf("BASIQ_MCP_READ_BUDGET=%g", budget),
		fmt.Sprintf("BASIQ_MCP_INDEX_SHARE=%g", share), "BASIQ_MCP_BACKGROUND_DELAY=0s", "BASIQ_MCP_EVENTS_POLL=0"))
	if err != nil {
		return err
	}
	defer cl.Close()
	measure := func() (scan, caller float64) {
		start, calls, began := mcptest.QueueRequests(sim), sim.Calls("GET /users/{userId}"), time.Now()
		time.Sleep(window)
		took := time.Since(began).Seconds()
		return float64(mcptest.QueueRequests(sim)-start) / took, float64(sim.Calls("GET /users/{userId}")-calls) / took
	}
	alone, _ := measure()
	var users []string
	for _, c := range sim.Connections() {
		users = append(users, c.UserID)
	}
	busy, stop := make(chan struct{}), make(chan struct{})
	go func() { // the caller: get_user at callerRate, round the book
		defer close(busy)
		tick := time.NewTicker(time.Duration(float64(time.Second) / callerRate))
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-tick.C:
				_, _ = call(ctx, cl, "get_user", map[string]any{"user_id": users[i%len(users)]})
			}
		}
	}()
	time.Sleep(5 * time.Second) // the meter sees the caller, and the scan has slowed
	beside, caller := measure()
	close(stop)
	<-busy
	fmt.Printf("\nThe background scan over %d customers, `--read-budget %g --index-share %g` (pace %g a second): alone %.2f Basiq requests a second; beside a caller reading %.2f a second, %.2f (together %.2f; target: the scan within its share, and within what the caller leaves of the budget). Over %s each.\n",
		customers, budget, share, budget*share, alone, caller, beside, beside+caller, window)
	return nil
}
