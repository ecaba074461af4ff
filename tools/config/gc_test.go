package config

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

// TestGCTargetFollowsTheLiveHeap: a small live heap is collected at 4x,
// a large one at 1.5x, and in between the garbage allowed stays near
// gcHeadroom, in steps of 25.
func TestGCTargetFollowsTheLiveHeap(t *testing.T) {
	for _, c := range []struct {
		live uint64
		want int
	}{{0, 400}, {4 << 20, 400}, {8 << 20, 400}, {16 << 20, 200}, {20 << 20, 150}, {32 << 20, 100}, {48 << 20, 50}, {64 << 20, 50}, {200 << 20, 50}} {
		if got := gcPercentFor(c.live); got != c.want {
			t.Errorf("live %d MiB: GOGC %d, want %d", c.live>>20, got, c.want)
		}
	}
}

// TestGCTargetIsSetByEachCollection: the tuner looks after collections,
// not on a clock, and keeps looking: GOGC drops when a large heap is
// found live and rises again when it is gone.
func TestGCTargetIsSetByEachCollection(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	looks := make(chan int, 64)
	tuner := &gcTuner{percent: gcPercentMax, after: func(p int) {
		select {
		case looks <- p:
		default:
		}
	}}
	defer tuner.stopped.Store(true)
	tuner.arm()

	func() {
		live := make([][]byte, 96)
		for i := range live {
			live[i] = make([]byte, 1<<20)
		}
		collectUntil(t, looks, gcPercentMin, "with 96 MiB live")
		runtime.KeepAlive(live)
	}()
	collectUntil(t, looks, gcPercentMax, "after the 96 MiB were dropped")
	gogc := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(gogc)
	if got := gogc[0].Value.Uint64(); got != gcPercentMax {
		t.Errorf("the runtime's GOGC is %d, want %d", got, gcPercentMax)
	}
}

// collectUntil collects until the tuner reports want; it fails if no look
// reports it within ten seconds of collections.
func collectUntil(t *testing.T, looks <-chan int, want int, when string) {
	t.Helper()
	last := -1
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		runtime.GC()
		select {
		case last = <-looks:
			if last == want {
				return
			}
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("%s: the tuner set GOGC to %d (-1: it never looked), want %d", when, last, want)
}
