package config

import "testing"

// TestGCTargetFollowsTheLiveHeap: a small live heap is collected at 4x,
// a large one at Go's default 2x, and in between the garbage allowed
// stays near gcHeadroom, in steps of 25.
func TestGCTargetFollowsTheLiveHeap(t *testing.T) {
	for _, c := range []struct {
		live uint64
		want int
	}{{0, 400}, {4 << 20, 400}, {8 << 20, 400}, {16 << 20, 200}, {20 << 20, 150}, {32 << 20, 100}, {200 << 20, 100}} {
		if got := gcPercentFor(c.live); got != c.want {
			t.Errorf("live %d MiB: GOGC %d, want %d", c.live>>20, got, c.want)
		}
	}
}
