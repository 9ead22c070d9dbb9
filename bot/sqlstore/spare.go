package sqlstore

import (
	"runtime"
	"sync"
)

// spareProc runs the writer's small flushes and its checkpoints. With one
// processor (GOMAXPROCS=1: a one-CPU container, or a server pinned to one
// core), a goroutine in a system call keeps the processor until Go's monitor takes it back, which
// it does only when it next looks: up to 10 ms later on a quiet server.
// SQLite's commits (hundreds of small writes to the log) and checkpoints
// (fsyncs, 5-45 ms on a virtual disk) held every request for that long.
// While they run, the process gets a second processor, so the rest of the
// program keeps running on the CPU that the disk leaves free. With more
// processors it changes nothing. (Each change of GOMAXPROCS stops the
// world for some microseconds; the writer flushes at most ten times a
// second.)
var spareProc sparer

type sparer struct {
	mu    sync.Mutex
	users int  // callers inside run
	added bool // GOMAXPROCS was raised from 1 to 2 for them
	fixed bool // the operator set GOMAXPROCS=1: return to it, not to the runtime's choice
}

// KeepGOMAXPROCS tells the exchange log that the operator set GOMAXPROCS
// to n, so that after disk work it returns to n rather than to the
// runtime's own choice (which also follows changes of the CPU quota).
func KeepGOMAXPROCS(n int) {
	spareProc.mu.Lock()
	spareProc.fixed = n > 0
	spareProc.mu.Unlock()
}

func (s *sparer) run(f func()) {
	s.mu.Lock()
	if s.users == 0 && runtime.GOMAXPROCS(0) == 1 {
		runtime.GOMAXPROCS(2)
		s.added = true
	}
	s.users++
	s.mu.Unlock()
	defer s.done()
	f()
}

func (s *sparer) done() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users--
	if s.users > 0 || !s.added {
		return
	}
	s.added = false
	if s.fixed {
		runtime.GOMAXPROCS(1) // as the operator set it
	} else {
		// The runtime's own choice, which also turns its automatic
		// updates (CPU quota changes) back on.
		runtime.SetDefaultGOMAXPROCS()
	}
}
