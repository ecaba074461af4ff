package main

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// load is the day's traffic: keyed creates retried (same key) until they
// settle, refreshes of seeded connections, and reads, spread round-robin
// over the replicas the way a balancer would, moving on when one does not
// answer.
type load struct {
	f           *fleet
	connections [][2]string // user, connection
	next        atomic.Int64
	rr          atomic.Int64
	mu          sync.Mutex
	settled     map[string]string // idempotency key -> the user it made
	pending     map[string]bool
	counts      map[string]int
}

func newLoad(f *fleet, conns [][2]string) *load {
	return &load{f: f, connections: conns, settled: map[string]string{}, pending: map[string]bool{}, counts: map[string]int{}}
}

func (l *load) count(what string) {
	l.mu.Lock()
	l.counts[what]++
	l.mu.Unlock()
}

// callAny calls tool on the next replica that answers.
func (l *load) callAny(tool string, args map[string]any) callResult {
	var r callResult
	for range len(l.f.ports) {
		i := int(l.rr.Add(1)) % len(l.f.ports)
		if r = l.f.call(i, tool, args); r.answered {
			return r
		}
		l.count("no answer (moved on)")
	}
	return r
}

func createArgs(key string) map[string]any {
	return map[string]any{"email": key + "@example.com", "mobile": "+6140" + fmt.Sprintf("%07d", len(key)*7919%10000000), "first_name": "Day",
		"idempotency_key": key}
}

// create sends one keyed create and records whether it settled.
func (l *load) create(key string) {
	r := l.callAny("create_user", createArgs(key))
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case r.answered && !r.isError:
		id, _ := r.content["id"].(string)
		l.settled[key] = id
		delete(l.pending, key)
		l.counts["create settled"]++
	default:
		l.pending[key] = true
		l.counts["create not settled yet: "+reasonOf(r)]++
	}
}

// reasonOf names why a call did not settle, in a few words.
func reasonOf(r callResult) string {
	switch t := strings.ToLower(r.text); {
	case !r.answered:
		return "no answer"
	case strings.Contains(t, "still being carried out"):
		return "first call still in flight"
	case strings.Contains(t, "unavailable") || strings.Contains(t, "breaker"):
		return "Basiq unavailable (breaker)"
	case strings.Contains(t, "guard store"):
		return "guard store not answering"
	default:
		return "other: " + firstWords(r.text, 8)
	}
}

func firstWords(s string, n int) string {
	w := strings.Fields(s)
	return strings.Join(w[:min(n, len(w))], " ")
}

// run keeps workers busy until stop closes.
func (l *load) run(workers int, stop <-chan struct{}) *sync.WaitGroup {
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				switch n := rand.IntN(10); {
				case n < 4:
					l.create(fmt.Sprintf("day-%d-%04d", w, l.next.Add(1)))
				case n < 5:
					l.retryOne()
				case n < 6:
					c := l.connections[rand.IntN(len(l.connections))]
					r := l.callAny("refresh_connection", map[string]any{"user_id": c[0], "connection_id": c[1]})
					l.count(fmt.Sprintf("refresh answered=%v error=%v", r.answered, r.isError))
				default:
					c := l.connections[rand.IntN(len(l.connections))]
					r := l.callAny("list_connections", map[string]any{"user_id": c[0]})
					l.count(fmt.Sprintf("read answered=%v error=%v", r.answered, r.isError))
				}
				time.Sleep(20 * time.Millisecond)
			}
		}()
	}
	return &wg
}

// retryOne retries one create that has not settled, with its key.
func (l *load) retryOne() {
	l.mu.Lock()
	var key string
	for k := range l.pending {
		key = k
		break
	}
	l.mu.Unlock()
	if key != "" {
		l.create(key)
	}
}

// settle retries every create that has not settled until all have, or
// until limit.
func (l *load) settle(limit time.Duration) int {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		l.mu.Lock()
		var keys []string
		for k := range l.pending {
			keys = append(keys, k)
		}
		l.mu.Unlock()
		if len(keys) == 0 {
			return 0
		}
		for _, k := range keys {
			if time.Now().After(deadline) {
				break
			}
			l.create(k)
		}
		time.Sleep(time.Second)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.pending)
}
