package sqlstore

import (
	"runtime"
	"sync"
)

// spareProc runs the writer's small flushes and its checkpoints. With one
// processor (GOMAXPROCS=1: a machine with one CPU, a process pinned to
// one, or GOMAXPROCS=1 set by the operator), a goroutine in a system call
// keeps the processor until Go's monitor takes it back, which it does
// only when it next looks: up to 10 ms later on a quiet server. SQLite's
// commits (hundreds of small writes to the log) and checkpoints (fsyncs,
// 5-45 ms on a virtual disk) held every request for that long. While they
// run, the process gets a second processor, so the rest of the program
// keeps running on the CPU that the disk leaves free; then it goes back
// to one. With more processors it changes nothing.
//
// Costs: each change of GOMAXPROCS stops the world for some microseconds
// (the writer flushes at most ten times a second). Setting GOMAXPROCS
// ends the runtime's automatic updates of it (after changes of the CPU
// quota or affinity) for the rest of the process, and a change made by
// other code while the second processor is in use is undone.
var spareProc sparer

type sparer struct {
	mu    sync.Mutex
	users int  // callers inside run
	added bool // GOMAXPROCS was raised from 1 to 2 for them
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
	if s.users == 0 && s.added {
		s.added = false
		runtime.GOMAXPROCS(1)
	}
}
