package workq

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// syncBuffer is a log sink the workers and the test can share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newPool(t *testing.T, workers, queue int) (*Pool, *syncBuffer) {
	logs := &syncBuffer{}
	return New("test", workers, queue, time.Minute, slog.New(slog.NewTextHandler(logs, nil))), logs
}

func TestRunsEveryJobAndFinishesQueuedOnClose(t *testing.T) {
	p, _ := newPool(t, 2, 100)
	var n atomic.Int32
	for range 50 {
		if !p.Add(Job{Name: "count", Run: func(context.Context) error { time.Sleep(time.Millisecond); n.Add(1); return nil }}) {
			t.Fatal("a job was refused with room in the queue")
		}
	}
	p.Close(10 * time.Second)
	if n.Load() != 50 {
		t.Errorf("%d of 50 jobs ran before Close returned", n.Load())
	}
	if p.Add(Job{Name: "late", Run: func(context.Context) error { return nil }}) {
		t.Error("a closed pool took a job")
	}
	p.Close(time.Second) // twice is fine
}

func TestFullQueueRefuses(t *testing.T) {
	p, logs := newPool(t, 1, 1)
	p.refusals.every = 100 * time.Millisecond
	release := make(chan struct{})
	block := Job{Name: "block", Run: func(context.Context) error { <-release; return nil }}
	p.Add(block)
	for i := 0; p.Len() > 0 && i < 200; i++ { // the worker takes it
		time.Sleep(time.Millisecond)
	}
	if !p.Add(block) || !p.Full() {
		t.Fatal("the queue should hold one job and then be full")
	}
	if p.Add(block) {
		t.Fatal("a full queue took a job")
	}
	for range 100 {
		p.Refused("queue full")
	}
	close(release)
	p.Close(time.Second)
	// The first at once, the other 99 in one line when the interval ends.
	for i := 0; i < 100 && !strings.Contains(logs.String(), "refused=99"); i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if got := strings.Count(logs.String(), "queue full"); got != 2 ||
		!strings.Contains(logs.String(), "refused=1\n") || !strings.Contains(logs.String(), "refused=99 ") {
		t.Errorf("100 refusals logged as:\n%s\nwant one line at once and one with the other 99", logs.String())
	}
	if c := p.Counts(); c.Refused != 100 {
		t.Errorf("counted %d refusals, want 100", c.Refused)
	}
}

func TestPanicsAndErrorsAreLogged(t *testing.T) {
	p, logs := newPool(t, 1, 10)
	p.Add(Job{Name: "boom", Run: func(context.Context) error { panic("kaput") }})
	p.Add(Job{Name: "fails", Run: func(context.Context) error { return errors.New("nope") }})
	ran := make(chan struct{})
	p.Add(Job{Name: "after", Run: func(context.Context) error { close(ran); return nil }})
	<-ran
	p.Close(time.Second)
	for _, want := range []string{"boom panicked", "kaput", "fails", "nope"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
	if c := p.Counts(); c.Failed != 2 {
		t.Errorf("counted %d failed jobs, want 2", c.Failed)
	}
}

func TestCloseDeadlineCancelsTheRest(t *testing.T) {
	p, logs := newPool(t, 1, 10)
	p.finish = 50 * time.Millisecond
	var ran atomic.Int32
	started := make(chan struct{})
	p.Add(Job{Name: "slow", Run: func(ctx context.Context) error { close(started); <-ctx.Done(); return ctx.Err() }})
	<-started
	for range 5 {
		p.Add(Job{Name: "queued", Run: func(context.Context) error { ran.Add(1); return nil }})
	}
	start := time.Now()
	p.Close(50 * time.Millisecond)
	if time.Since(start) > 5*time.Second || !strings.Contains(logs.String(), "shutdown deadline") {
		t.Errorf("Close took %v; log:\n%s", time.Since(start), logs.String())
	}
	// The queued jobs are dropped, not run with an ended context, and the
	// log says how many: one line, the real counts.
	if c := p.Counts(); ran.Load() != 0 || c.Abandoned != 5 || c.Failed != 1 {
		t.Errorf("ran %d queued jobs, counts %+v; want 0 run, 5 abandoned, 1 failed", ran.Load(), c)
	}
	if !strings.Contains(logs.String(), "queued=5 interrupted=1") || strings.Count(logs.String(), "level=ERROR") != 2 {
		t.Errorf("log:\n%s", logs.String())
	}
}

// TestCloseLetsRunningJobsFinish: a job running at the deadline that ends
// within finishRunning is not cut short (it may be half way through an
// API call); the queued ones are still dropped.
func TestCloseLetsRunningJobsFinish(t *testing.T) {
	p, _ := newPool(t, 1, 10)
	p.finish = 2 * time.Second
	started := make(chan struct{})
	var finished, ran atomic.Bool
	p.Add(Job{Name: "call", Run: func(ctx context.Context) error {
		close(started)
		select {
		case <-time.After(200 * time.Millisecond):
			finished.Store(true)
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}})
	<-started
	p.Add(Job{Name: "queued", Run: func(context.Context) error { ran.Store(true); return nil }})
	p.Close(20 * time.Millisecond)
	if c := p.Counts(); !finished.Load() || ran.Load() || c.Abandoned != 1 || c.Failed != 0 {
		t.Errorf("finished %v, queued ran %v, counts %+v; want the running job finished, the queued one dropped", finished.Load(), ran.Load(), c)
	}
}

// Short jobs that use the CPU run one at a time while the queue is short,
// so they do not crowd out the requests being acknowledged.
func TestShortJobsRunOneAtATime(t *testing.T) {
	p, _ := newPool(t, 4, 100)
	// On a loaded machine a 1 ms job can take longer than stuckAfter.
	p.gate.Lock()
	p.stuck = time.Hour
	p.gate.Unlock()
	var running, most atomic.Int32
	var done sync.WaitGroup
	spin := Job{Name: "spin", Run: func(context.Context) error {
		defer done.Done()
		n := running.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		for end := time.Now().Add(time.Millisecond); time.Now().Before(end); {
		}
		running.Add(-1)
		return nil
	}}
	for range backlogPerWorker - 2 {
		done.Add(1)
		p.Add(spin)
	}
	done.Wait() // not Close, which drains with every worker
	p.Close(time.Second)
	if most.Load() != 1 {
		t.Errorf("%d jobs ran at once, want 1", most.Load())
	}
}

// Jobs that wait on I/O stop counting against the workers, so slow API
// calls do not hold up the queue.
func TestJobsWaitingOnIORunTogether(t *testing.T) {
	p, _ := newPool(t, 4, 100)
	var done sync.WaitGroup
	start := time.Now()
	for range 4 {
		done.Add(1)
		p.Add(Job{Name: "io", Run: func(context.Context) error { time.Sleep(200 * time.Millisecond); done.Done(); return nil }})
	}
	done.Wait()
	if d := time.Since(start); d > 600*time.Millisecond { // one at a time: 800 ms
		t.Errorf("4 jobs of 200 ms took %v on 4 workers", d)
	}
	p.Close(time.Second)
}

// A backlog lets more workers run at once.
func TestBacklogAddsWorkers(t *testing.T) {
	p, _ := newPool(t, 4, 100)
	release := make(chan struct{})
	var running, most atomic.Int32
	block := Job{Name: "block", Run: func(context.Context) error {
		n := running.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		<-release
		running.Add(-1)
		return nil
	}}
	for range 4 * backlogPerWorker {
		p.Add(block)
	}
	deadline := time.Now().Add(2 * time.Second)
	for most.Load() < 4 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if most.Load() != 4 {
		t.Errorf("%d of 4 workers ran with %d jobs waiting", most.Load(), 4*backlogPerWorker)
	}
	close(release)
	p.Close(10 * time.Second)
}
