package main

import (
	"fmt"
	"strings"
	"time"
)

// rounds is how many turns each level's window is cut into. Contenders take
// their turns one after another, in an order that rotates each round, so
// drift on a shared machine (another tenant, a change of clock speed) lands
// on every server alike rather than on whichever one ran through it.
const rounds = 3

// tally gathers one contender's tool at one level over its turns.
type tally struct {
	lat          []time.Duration
	errs         int
	elapsed, cpu time.Duration
}

// turn runs conc workers calling fn for window, after a warm-up a tenth as
// long, and adds the calls and pid's CPU time to t.
func (t *tally) turn(pid, conc int, window time.Duration, fn func(worker int) error) {
	spin(conc, window/10, fn, false)
	before, start := cpuTime(pid), time.Now()
	lat, errs := spin(conc, window, fn, true)
	t.elapsed += time.Since(start)
	t.cpu += cpuTime(pid) - before
	t.lat, t.errs = append(t.lat, lat...), t.errs+errs
}

// result is the tally as one row: calls/s over every turn, latency over
// every call, CPU per call.
func (t *tally) result() result {
	return result{rate: float64(len(t.lat)) / t.elapsed.Seconds(), p50: pct(t.lat, .5), p99: pct(t.lat, .99),
		cpu: t.cpu / time.Duration(max(1, len(t.lat))), errors: t.errs}
}

// turnFunc readies contender i's turn at a tool and level: the call each
// worker makes, and what to release once the turn is over.
type turnFunc func(i int, tc toolCall, conc int) (call func(worker int) error, release func(), err error)

// interleave measures every contender's tools at every level in rounds
// turns, the servers (pids) all running throughout. Each tool is warmed up
// first. It prints how much CPU the servers used while another was being
// measured (it should be near zero) and returns a row per contender, tool
// and level, in that order.
func interleave(transport string, cs []contender, pids, levels []int, window time.Duration, ready turnFunc) ([]result, error) {
	ts := &turns{cs: cs, pids: pids, ready: ready, tallies: map[turnKey]*tally{}, aside: make([]time.Duration, len(cs))}
	for i, c := range cs {
		for _, tc := range c.calls {
			if err := ts.take(i, tc, levels[len(levels)/2], window/5, &tally{}); err != nil {
				return nil, err
			}
		}
	}
	for round := range rounds {
		for _, conc := range levels {
			for n := range cs {
				i := (n + round) % len(cs)
				for _, tc := range cs[i].calls {
					if err := ts.take(i, tc, conc, window/rounds, ts.tally(turnKey{i, tc.tool, conc})); err != nil {
						return nil, err
					}
				}
			}
		}
	}
	return ts.results(transport, levels), nil
}

// turns is one interleaved table in the making.
type turns struct {
	cs      []contender
	pids    []int
	ready   turnFunc
	tallies map[turnKey]*tally
	aside   []time.Duration // CPU each server used while another was measured
}

type turnKey struct {
	contender int
	tool      string
	clients   int
}

func (ts *turns) tally(k turnKey) *tally {
	if ts.tallies[k] == nil {
		ts.tallies[k] = &tally{}
	}
	return ts.tallies[k]
}

// take gives contender i one turn at a tool and level, added to t, and
// adds what the other servers used meanwhile to their aside.
func (ts *turns) take(i int, tc toolCall, conc int, window time.Duration, t *tally) error {
	call, release, err := ts.ready(i, tc, conc)
	if err != nil {
		return fmt.Errorf("%s: %w", ts.cs[i].name, err)
	}
	defer release()
	before := make([]time.Duration, len(ts.pids))
	for j, pid := range ts.pids {
		before[j] = cpuTime(pid)
	}
	t.turn(ts.pids[i], conc, window, call)
	for j, pid := range ts.pids {
		if j != i {
			ts.aside[j] += cpuTime(pid) - before[j]
		}
	}
	return nil
}

// results prints the aside line and gives the rows.
func (ts *turns) results(transport string, levels []int) []result {
	var notes []string
	var rs []result
	for i, c := range ts.cs {
		notes = append(notes, fmt.Sprintf("%s %s", c.name, ts.aside[i].Round(time.Millisecond)))
		for _, tc := range c.calls {
			for _, conc := range levels {
				r := ts.tally(turnKey{i, tc.tool, conc}).result()
				r.transport, r.server, r.tool, r.clients = transport, c.name, tc.tool, conc
				rs = append(rs, r)
			}
		}
	}
	fmt.Printf("CPU each server used over %s while the others were measured: %s.\n\n", transport, strings.Join(notes, ", "))
	return rs
}
