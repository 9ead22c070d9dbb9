// Package workq is the bounded queue and worker pool that channel adapters
// answer from: a platform's callback is acknowledged at once, and the
// answer is produced and sent afterwards by a fixed number of workers.
//
// Not all of them run at once. Go's scheduler runs ready goroutines in
// turn and looks for newly arrived requests only when it runs out of
// them, so a crowd of answer workers on a busy CPU makes every
// acknowledgement wait behind it. One worker runs while it keeps up; one
// more joins for every few jobs waiting, and for every job that has run
// long enough to be waiting on the platform's API or the model rather
// than using the CPU.
package workq

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Job is one piece of work: its name appears in the log when it fails.
type Job struct {
	Name string
	Run  func(ctx context.Context) error
}

// Pool runs jobs on a fixed number of workers from a bounded queue.
type Pool struct {
	prefix  string // log prefix: "slack", "wecom"
	log     *slog.Logger
	timeout time.Duration // per job

	mu     sync.RWMutex // Add holds it shared, Close exclusively
	closed bool
	jobs   chan Job
	wg     sync.WaitGroup

	// base is the parent of every job's context; Close cancels it when
	// the queue does not drain in time.
	base   context.Context
	cancel context.CancelFunc

	refusals overload
	// What went wrong, for metrics: jobs refused (queue full), dropped
	// unstarted at a shutdown deadline, and run but failed.
	refused, abandoned, failed atomic.Int64

	// The gate in front of the workers (see the package comment).
	gate    sync.Mutex
	stuck   time.Duration // stuckAfter; tests change it
	epoch   time.Time     // started holds monotonic times since epoch
	started []int64       // per worker: when its current job started (ns since epoch); 0: none
	passed  int           // workers past the gate: running a job or taking one
	wake    chan struct{}
	closing atomic.Bool
	// dropping: past Close's deadline, queued jobs are dropped; running
	// ones have finish more to end.
	dropping atomic.Bool
	finish   time.Duration
}

const (
	// backlogPerWorker jobs waiting let one more worker run.
	backlogPerWorker = 8
	// stuckAfter: a job running this long is taken to be waiting on I/O,
	// and stops counting against the workers that may run.
	stuckAfter = 5 * time.Millisecond
	// restBeforeJob is the worker's pause before each job (see work); it
	// is nothing next to the platform API's round trip.
	restBeforeJob = 50 * time.Microsecond
	// finishRunning is how long the jobs running at Close's deadline may
	// still take: about one call to a platform's API.
	finishRunning = 3 * time.Second
)

// New starts workers that take jobs from a queue of size queue. Each job
// gets timeout to run.
func New(prefix string, workers, queue int, timeout time.Duration, log *slog.Logger) *Pool {
	base, cancel := context.WithCancel(context.Background())
	p := &Pool{prefix: prefix, log: log, timeout: timeout, jobs: make(chan Job, queue), base: base, cancel: cancel,
		refusals: overload{every: logEvery}, finish: finishRunning, stuck: stuckAfter, epoch: time.Now(), started: make([]int64, workers), wake: make(chan struct{}, workers)}
	for i := range workers {
		p.wg.Add(1)
		go p.work(i)
	}
	return p
}

// Add queues j; false when the queue is full or the pool is closed.
func (p *Pool) Add(j Job) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return false
	}
	select {
	case p.jobs <- j:
		p.nudge()
		return true
	default:
		return false
	}
}

// nudge wakes a worker waiting at the gate, if any, to see whether it may
// run now.
func (p *Pool) nudge() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// clock is the monotonic time since the pool started, in ns, never 0.
func (p *Pool) clock() int64 { return int64(time.Since(p.epoch)) + 1 }

// allowed is how many workers may be past the gate; the caller holds gate.
func (p *Pool) allowed(now int64) int {
	if p.closing.Load() {
		return len(p.started) // drain at full speed
	}
	n := 1 + len(p.jobs)/backlogPerWorker
	for _, at := range p.started {
		if at != 0 && now-at > int64(p.stuck) {
			n++
		}
	}
	return min(n, len(p.started))
}

// enter waits at the gate until worker i may take a job. While jobs wait,
// it looks again every stuckAfter, as running jobs may have become stuck.
func (p *Pool) enter(tick *time.Timer) {
	for {
		p.gate.Lock()
		if p.passed < p.allowed(p.clock()) {
			p.passed++
			p.gate.Unlock()
			return
		}
		p.gate.Unlock()
		if len(p.jobs) == 0 {
			<-p.wake
			continue
		}
		tick.Reset(stuckAfter)
		select {
		case <-p.wake:
			tick.Stop()
		case <-tick.C:
		}
	}
}

func (p *Pool) leave() {
	p.gate.Lock()
	p.passed--
	p.gate.Unlock()
	if len(p.jobs) > 0 {
		p.nudge()
	}
}

// Full reports whether the queue has no room, so a caller can refuse work
// before doing any of it.
func (p *Pool) Full() bool { return len(p.jobs) == cap(p.jobs) }

// Room is how many more jobs the queue takes now.
func (p *Pool) Room() int { return cap(p.jobs) - len(p.jobs) }

// Len is the number of jobs waiting for a worker.
func (p *Pool) Len() int { return len(p.jobs) }

// Refused counts and logs that work was refused (the queue was full): the
// first refusal at once, the ones that follow as one line per interval
// with their count, so a flood of retries does not flood the log.
func (p *Pool) Refused(what string) {
	p.refused.Add(1)
	p.refusals.note(p.log, p.prefix+": "+what)
}

// Counts are a pool's troubles since it started.
type Counts struct {
	Refused   int64 // not taken: the queue was full
	Abandoned int64 // taken, never run: the shutdown deadline came first
	Failed    int64 // run, and failed (an error, a panic, the deadline)
}

// Counts returns the pool's troubles so far.
func (p *Pool) Counts() Counts {
	return Counts{Refused: p.refused.Load(), Abandoned: p.abandoned.Load(), Failed: p.failed.Load()}
}

// Close stops taking jobs and waits until the queued ones are done, for at
// most d; then it drops the queued ones, lets the running ones finish for
// up to finishRunning, cancels what still runs (their contexts end), and
// logs how many were abandoned.
func (p *Pool) Close(d time.Duration) {
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		close(p.jobs)
	}
	p.mu.Unlock()
	p.closing.Store(true)
	for range len(p.started) {
		p.nudge()
	}
	done := make(chan struct{})
	go func() { p.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
		// Past the deadline no queued job starts; the running ones get
		// finishRunning more (an answer half sent is better finished than
		// sent again by the next replica), then their contexts end.
		p.dropping.Store(true)
		select {
		case <-done:
		case <-time.After(p.finish):
		}
		p.gate.Lock()
		running := 0
		for _, at := range p.started {
			if at != 0 {
				running++
			}
		}
		p.gate.Unlock()
		p.cancel()
		<-done
		p.log.Error(p.prefix+": shutdown deadline reached, work abandoned", "deadline", d.String(),
			"queued", p.abandoned.Load(), "interrupted", running)
	}
	p.cancel()
}

func (p *Pool) work(i int) {
	defer p.wg.Done()
	tick := time.NewTimer(time.Hour)
	tick.Stop()
	for {
		p.enter(tick)
		j, ok := <-p.jobs
		if !ok {
			p.leave()
			p.nudge() // the next waiting worker finds the queue closed too
			return
		}
		if p.dropping.Load() { // past the shutdown deadline
			p.abandoned.Add(1)
			p.leave()
			continue
		}
		// A short rest first: while the worker sleeps, the scheduler runs
		// out of ready goroutines and polls the network, so requests that
		// arrived meanwhile are acknowledged before this answer is made.
		// (runtime.Gosched alone would not do it: the network is polled
		// only once nothing is ready to run.) The waking timer puts the
		// worker ahead of everything that is ready, so it then yields once,
		// to go behind the requests that the poll found.
		time.Sleep(restBeforeJob)
		runtime.Gosched()
		p.gate.Lock()
		p.started[i] = p.clock()
		p.gate.Unlock()
		p.run(j)
		p.gate.Lock()
		p.started[i] = 0
		p.gate.Unlock()
		p.leave()
	}
}

// run runs one job with its own deadline; a panic in it is logged, not
// fatal to the process.
func (p *Pool) run(j Job) {
	ctx, cancel := context.WithTimeout(p.base, p.timeout)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			p.failed.Add(1)
			p.log.Error(p.prefix+": "+j.Name+" panicked", "panic", fmt.Sprint(r))
		}
	}()
	if err := j.Run(ctx); err != nil {
		p.failed.Add(1)
		p.log.Error(p.prefix+": "+j.Name, "err", err)
	}
}

// overload logs refusals: the first at once, then those of each interval
// in one line at its end, with their count.
type overload struct {
	mu      sync.Mutex
	every   time.Duration
	window  *time.Timer // running while refusals are being gathered
	pending int
	msg     string
}

const logEvery = 10 * time.Second

func (o *overload) note(log *slog.Logger, msg string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.window != nil {
		o.pending++
		o.msg = msg
		return
	}
	log.Error(msg, "refused", 1)
	o.window = time.AfterFunc(o.every, func() { o.flush(log) })
}

// flush logs the refusals gathered in the interval that ended; when there
// were some, another interval starts.
func (o *overload) flush(log *slog.Logger) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.pending == 0 {
		o.window = nil
		return
	}
	log.Error(o.msg, "refused", o.pending, "in_last", o.every.String())
	o.pending = 0
	o.window = time.AfterFunc(o.every, func() { o.flush(log) })
}
