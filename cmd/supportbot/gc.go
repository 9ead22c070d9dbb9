package main

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// When the operator has not set GOGC, the collector's target follows the
// live heap. Go's GOGC lets the heap grow by a share of what was live
// after the last collection before it collects again. A fresh server has
// a small live heap (about 7 MB: the matcher's tables, the knowledge), so
// at 70 it collected after every 5 MB of garbage: 17 times a second at
// 1,850 Slack answers a second, each collection taking the only CPU from
// the requests for a while. After each collection the tuner sets the
// target so that the heap may grow by at least gcHeadroom: up to
// gcPercentMax on a small heap, never below the configured 70 on a large
// one. So the peak memory of a busy server, whose heap is large, is what
// it was; a small one collects less often, with a heap of at most
// live + 12 MiB.
const (
	gcHeadroom   = 12 << 20
	gcPercentMax = 200
)

// gcPercentFor is the target for a live heap of live bytes: enough for
// gcHeadroom of growth, between floor and gcPercentMax.
func gcPercentFor(live uint64, floor int) int {
	if live == 0 {
		return max(floor, gcPercentMax)
	}
	p := int(min(gcHeadroom*100/live, gcPercentMax))
	return max(p, floor)
}

// gcTuner sets the collector's target after each collection (see above).
// It learns of collections from a cleanup on an object it drops each
// time, so it runs on the runtime's cleanup goroutine, once per cycle.
type gcTuner struct {
	floor int
	live  []metrics.Sample

	mu      sync.Mutex
	stopped bool
	set     int // the last target set
}

// gcSignal is the object whose cleanup marks a collection: it holds a
// pointer, so it is never batched with other small objects (a cleanup on
// such an object may never run).
type gcSignal struct {
	_ *byte
	_ [16]byte
}

// startGCTuner starts following the live heap with floor as the lowest
// target.
func startGCTuner(floor int) *gcTuner {
	t := &gcTuner{floor: floor, live: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
	t.arm()
	return t
}

// stop ends the tuning and sets the target back to the floor.
func (t *gcTuner) stop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.stopped {
		t.stopped = true
		debug.SetGCPercent(t.floor)
	}
}

func (t *gcTuner) arm() {
	runtime.AddCleanup(&gcSignal{}, (*gcTuner).collected, t)
}

func (t *gcTuner) collected() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return
	}
	metrics.Read(t.live)
	var live uint64
	if t.live[0].Value.Kind() == metrics.KindUint64 {
		live = t.live[0].Value.Uint64()
	}
	if p := gcPercentFor(live, t.floor); p != t.set {
		debug.SetGCPercent(p)
		t.set = p
	}
	t.arm()
}

// target is the last target the tuner set, 0 before the first
// collection.
func (t *gcTuner) target() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.set
}
