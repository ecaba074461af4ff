package config

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
	"time"
)

// gcHeadroom is how much garbage the collector lets pile up between
// collections, between half the live heap and 4x it: a live heap of a few
// MiB (a stdio server, a quiet replica) is collected at 4x, which spends
// less CPU on collections than Go's default 2x (a third of a
// list_transactions call, measured); a large one (thousands of HTTP
// sessions) is collected at 1.5x, which with 10,000 sessions and calls
// going kept RSS at 190 MiB against 252 at Go's 2x for 4% of the CPU in
// collections against 2% (gctrace, alternated runs).
const gcHeadroom = 32 << 20

// Bounds on GOGC: at most 4x the live heap, at least 1.5x.
const (
	gcPercentMax = 400
	gcPercentMin = 50
)

// TuneGC sets the garbage collector unless GOGC or GOMEMLIMIT say
// otherwise: a soft limit of 512 MiB, and a collection target fitted to
// the live heap (gcHeadroom) after every collection. A moment after start
// it collects once and hands the start's garbage back to the system, so
// an idle server does not hold it.
func TuneGC() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(512 << 20)
	}
	if os.Getenv("GOGC") != "" {
		return
	}
	debug.SetGCPercent(gcPercentMax)
	t := &gcTuner{percent: gcPercentMax}
	t.arm()
	go func() {
		time.Sleep(time.Second)
		runtime.GC()
		debug.FreeOSMemory()
	}()
}

// gcTuner sets GOGC from the live heap each collection found. It looks
// once per collection, from a cleanup the collection itself runs, rather
// than on a timer: a heap that grows fast between two looks (thousands of
// sessions opened in a second) would otherwise keep a small heap's 4x
// target while it grows, and an idle server would wake to look.
type gcTuner struct {
	percent int
	stopped atomic.Bool
	after   func(percent int) // called after each look; tests wait on it
}

// gcCanary is allocated so that its collection marks the end of a cycle;
// the pointer keeps it out of the tiny allocator, whose blocks can outlive
// the object.
type gcCanary struct{ _ *byte }

// arm makes the next collection call look.
func (t *gcTuner) arm() {
	runtime.AddCleanup(new(gcCanary), func(t *gcTuner) { t.look() }, t)
}

// look sets GOGC for the live heap the collection just marked, and arms
// the next look.
func (t *gcTuner) look() {
	if t.stopped.Load() {
		return
	}
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(sample)
	if want := gcPercentFor(sample[0].Value.Uint64()); want != t.percent {
		debug.SetGCPercent(want)
		t.percent = want
	}
	if t.after != nil {
		t.after(t.percent)
	}
	t.arm()
}

// gcPercentFor is the GOGC that lets gcHeadroom of garbage pile up over
// a live heap of live bytes, within gcPercentMin and gcPercentMax, in
// steps of 25 so that a heap near a boundary does not flip it every look.
func gcPercentFor(live uint64) int {
	if live == 0 {
		return gcPercentMax
	}
	pct := int(gcHeadroom * 100 / live)
	return min(gcPercentMax, max(gcPercentMin, pct/25*25))
}
