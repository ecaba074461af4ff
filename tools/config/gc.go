package config

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// gcHeadroom is how much garbage the collector lets pile up between
// collections, at most 4x the live heap: a live heap of a few MiB (a stdio
// server, a quiet replica) is collected at 4x, which spends less CPU on
// collections than Go's default 2x (a third of a list_transactions call,
// measured); a large one (thousands of HTTP sessions) converges to Go's
// default, so memory grows with the sessions, not four times as fast.
const gcHeadroom = 32 << 20

// TuneGC sets the garbage collector unless GOGC or GOMEMLIMIT say
// otherwise: a soft limit of 512 MiB, and a collection target fitted to
// the live heap (gcHeadroom), looked at every two seconds. A moment after
// start it collects once and hands the start's garbage back to the
// system, so an idle server does not hold it.
func TuneGC() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(512 << 20)
	}
	if os.Getenv("GOGC") != "" {
		return
	}
	debug.SetGCPercent(400)
	go func() {
		time.Sleep(time.Second)
		runtime.GC()
		debug.FreeOSMemory()
		current := 400
		sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		for range time.Tick(2 * time.Second) {
			metrics.Read(sample)
			if want := gcPercentFor(sample[0].Value.Uint64()); want != current {
				debug.SetGCPercent(want)
				current = want
			}
		}
	}()
}

// gcPercentFor is the GOGC that lets gcHeadroom of garbage pile up over
// a live heap of live bytes, between Go's default (100) and 400, in steps
// of 25 so that a heap near a boundary does not flip it every look.
func gcPercentFor(live uint64) int {
	if live == 0 {
		return 400
	}
	pct := int(gcHeadroom * 100 / live)
	return min(400, max(100, pct/25*25))
}
