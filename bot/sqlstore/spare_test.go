package sqlstore

import (
	"runtime"
	"testing"
)

func TestSpareProcessor(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	s := &sparer{} // its own, so no other store's writer shares it

	var inside int
	s.run(func() {
		inside = runtime.GOMAXPROCS(0)
		// Nested and concurrent users share the one raise.
		s.run(func() {})
		if got := runtime.GOMAXPROCS(0); got != 2 {
			t.Errorf("after a nested user left, GOMAXPROCS = %d, want 2 until the outer one leaves", got)
		}
	})
	if inside != 2 {
		t.Errorf("during disk work with one processor, GOMAXPROCS = %d, want 2", inside)
	}
	if got := runtime.GOMAXPROCS(0); got != 1 {
		t.Errorf("after disk work, GOMAXPROCS = %d, want 1 again", got)
	}

	// A panic in the work (recovered above it) still gives the processor back.
	func() {
		defer func() { recover() }()
		s.run(func() { panic("disk") })
	}()
	if got := runtime.GOMAXPROCS(0); got != 1 {
		t.Errorf("after a panic in disk work, GOMAXPROCS = %d, want 1", got)
	}

	runtime.GOMAXPROCS(4)
	s.run(func() {
		if got := runtime.GOMAXPROCS(0); got != 4 {
			t.Errorf("with 4 processors, GOMAXPROCS = %d during disk work, want 4 (unchanged)", got)
		}
	})
	if got := runtime.GOMAXPROCS(0); got != 4 {
		t.Errorf("with 4 processors, GOMAXPROCS = %d after disk work, want 4", got)
	}
}
