package sqlstore

import (
	"runtime"
	"testing"
)

func TestSpareProcessor(t *testing.T) {
	// As if the operator set GOMAXPROCS=1: the runtime's default here
	// would be the machine's cores.
	KeepGOMAXPROCS(1)
	defer KeepGOMAXPROCS(0)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))

	var inside int
	spareProc.run(func() {
		inside = runtime.GOMAXPROCS(0)
		// Nested and concurrent users share the one raise.
		spareProc.run(func() {})
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

	runtime.GOMAXPROCS(4)
	spareProc.run(func() {
		if got := runtime.GOMAXPROCS(0); got != 4 {
			t.Errorf("with 4 processors, GOMAXPROCS = %d during disk work, want 4 (unchanged)", got)
		}
	})
}
