package main

import (
	"runtime"
	"testing"
	"time"
)

func TestGCPercentFor(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		live  uint64
		floor int
		want  int
	}{
		{0, 70, gcPercentMax},             // nothing known yet: the most headroom
		{4 << 20, 70, gcPercentMax},       // 12 MiB would be 300%: capped
		{8 << 20, 70, 150},                // 12 MiB of growth
		{12 << 20, 70, 100},               //
		{17 << 20, 70, 70},                // 12 MiB is 70%: the floor
		{100 << 20, 70, 70},               // a large heap keeps the floor
		{8 << 20, 250, 250},               // a floor above the cap wins
		{uint64(1) << 40, 70, 70},         // no overflow
		{gcHeadroom * 100 / 199, 70, 199}, // just under the cap
	} {
		if got := gcPercentFor(tt.live, tt.floor); got != tt.want {
			t.Errorf("gcPercentFor(%d, %d) = %d, want %d", tt.live, tt.floor, got, tt.want)
		}
	}
}

// The tuner sets a target after each collection, from the live heap, and
// stops when told. (Other tests' servers run tuners too, with the same
// floor, so this one's own record is what it checks.)
func TestGCTunerFollowsCollections(t *testing.T) {
	t.Parallel()
	tu := startGCTuner(70)
	deadline := time.Now().Add(10 * time.Second)
	for tu.target() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no target set after collections")
		}
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
	if p := tu.target(); p < 70 || p > gcPercentMax {
		t.Fatalf("target %d, want 70..%d", p, gcPercentMax)
	}
	tu.stop()
	tu.mu.Lock()
	tu.set = -7 // a collection after stop would overwrite this
	tu.mu.Unlock()
	for range 3 {
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
	if p := tu.target(); p != -7 {
		t.Fatalf("target %d set after stop", p)
	}
}
