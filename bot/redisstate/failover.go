package redisstate

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/bot/chanstate"
)

// Failover keeps the bot answering through a Redis outage: while Redis
// fails, each store falls back to local in-memory state, and the outage is
// logged once when it starts and once when Redis is back. The client
// reconnects on its own when Redis returns. Dedup keys are kept locally as
// well, so that a platform's retry during an outage of an event this
// replica saw before it is not answered again.
type Failover struct {
	log     *slog.Logger
	down    atomic.Bool
	onError func() // counts errors, for metrics; may be nil
	// While down, calls go straight to local state. Watch probes Redis
	// on a timer and ends the outage; without it, a call tries Redis again
	// once retryAt (unix nanos) has passed, a second after the last failure.
	watched atomic.Bool
	retryAt atomic.Int64

	dedup    *chanstate.MemoryDedup
	conv     *bot.MemoryConversations
	handoffs *bot.MemoryHandoffs
	rate     *bot.MemoryRateLimiter
	cursors  *chanstate.MemoryCursors
}

// NewFailover returns the local fallbacks for a replica.
func NewFailover(log *slog.Logger, ratePerMinute int, onError func()) *Failover {
	return &Failover{log: log, onError: onError, dedup: chanstate.NewMemoryDedup(), conv: bot.NewMemoryConversations(),
		handoffs: bot.NewMemoryHandoffs(), rate: bot.NewMemoryRateLimiter(ratePerMinute), cursors: chanstate.NewMemoryCursors()}
}

// ProbeEvery is how often Watch pings Redis.
const ProbeEvery = 500 * time.Millisecond

// Watch pings Redis every ProbeEvery until ctx ends, so an outage is noticed
// when no message comes, and its end within a probe of Redis' return,
// while messages are answered from local state without waiting for Redis.
func (f *Failover) Watch(ctx context.Context, ping func(context.Context) error) {
	f.watched.Store(true)
	defer f.watched.Store(false) // calls try Redis again themselves
	t := time.NewTicker(ProbeEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pctx, cancel := context.WithTimeout(ctx, ProbeEvery)
		err := ping(pctx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		f.failed(err)
	}
}

// skip reports whether to go straight to local state: Redis is down and
// not due for another try.
func (f *Failover) skip() bool {
	return f.down.Load() && (f.watched.Load() || time.Now().UnixNano() < f.retryAt.Load())
}

// failed reports whether err means Redis is unreachable, noting the
// outage; a nil err notes that Redis answers.
func (f *Failover) failed(err error) bool {
	if err == nil || err == redis.Nil {
		if f.down.CompareAndSwap(true, false) {
			f.log.Info("redis: reachable again, shared state back in use")
		}
		return false
	}
	if f.onError != nil {
		f.onError()
	}
	f.retryAt.Store(time.Now().Add(time.Second).UnixNano())
	if f.down.CompareAndSwap(false, true) {
		f.log.Error("redis: unreachable, answering with this replica's local state until it is back", "err", err)
	}
	return true
}

// failedIn is failed for a call made with ctx: when ctx itself has ended
// (a client went away, a job's deadline passed), the error says nothing
// of Redis, and the call answers from local state without an outage.
func (f *Failover) failedIn(ctx context.Context, err error) bool {
	if err != nil && ctx.Err() != nil {
		return true
	}
	return f.failed(err)
}

// Down reports whether Redis is failing, for readiness.
func (f *Failover) Down() bool { return f.down.Load() }

// Dedup wraps a Redis Dedup.
func (f *Failover) Dedup(r Dedup) chanstate.Dedup { return failDedup{f, r} }

type failDedup struct {
	f *Failover
	r Dedup
}

// FirstSeen asks Redis, which knows the keys of every replica, and this
// replica's own keys: a key is new only when both have not seen it.
func (d failDedup) FirstSeen(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	local, _ := d.f.dedup.FirstSeen(ctx, key, ttl)
	if d.f.skip() {
		return local, nil
	}
	first, err := d.r.FirstSeen(ctx, key, ttl)
	if d.f.failedIn(ctx, err) {
		return local, nil
	}
	return first && local, nil
}

func (d failDedup) Forget(ctx context.Context, key string) error {
	d.f.dedup.Forget(ctx, key)
	if !d.f.skip() {
		d.f.failedIn(ctx, d.r.Forget(ctx, key))
	}
	return nil
}

// Conversations wraps Redis Conversations.
func (f *Failover) Conversations(r Conversations) bot.Conversations { return failConv{f, r} }

type failConv struct {
	f *Failover
	r Conversations
}

func (c failConv) Load(ctx context.Context, key string) (bot.State, error) {
	if c.f.skip() {
		return c.f.conv.Load(ctx, key)
	}
	st, err := c.r.Load(ctx, key)
	if c.f.failedIn(ctx, err) {
		return c.f.conv.Load(ctx, key)
	}
	return st, nil
}

func (c failConv) Save(ctx context.Context, key string, st bot.State, ttl time.Duration) error {
	if c.f.skip() {
		return c.f.conv.Save(ctx, key, st, ttl)
	}
	c.f.conv.Save(ctx, key, st, ttl) // kept locally too, for the next outage
	if err := c.r.Save(ctx, key, st, ttl); c.f.failedIn(ctx, err) {
		return nil
	}
	return nil
}

// Handoffs wraps Redis Handoffs.
func (f *Failover) Handoffs(r Handoffs) bot.Handoffs { return failHandoffs{f, r} }

type failHandoffs struct {
	f *Failover
	r Handoffs
}

func (h failHandoffs) Open(ctx context.Context, ho bot.Handoff) error {
	if h.f.skip() {
		return h.f.handoffs.Open(ctx, ho)
	}
	h.f.handoffs.Open(ctx, ho)
	if err := h.r.Open(ctx, ho); h.f.failedIn(ctx, err) {
		return nil
	}
	return nil
}

func (h failHandoffs) IsOpen(ctx context.Context, id string) (bool, error) {
	if h.f.skip() {
		return h.f.handoffs.IsOpen(ctx, id)
	}
	open, err := h.r.IsOpen(ctx, id)
	if h.f.failedIn(ctx, err) {
		return h.f.handoffs.IsOpen(ctx, id)
	}
	return open, nil
}

func (h failHandoffs) Resolve(ctx context.Context, id string) (bot.Handoff, error) {
	if h.f.skip() {
		return h.f.handoffs.Resolve(ctx, id)
	}
	ho, err := h.r.Resolve(ctx, id)
	h.f.handoffs.Resolve(ctx, id)
	if err == bot.ErrNoHandoff {
		return ho, err
	}
	if h.f.failedIn(ctx, err) {
		return h.f.handoffs.Resolve(ctx, id)
	}
	return ho, nil
}

func (h failHandoffs) List(ctx context.Context) ([]bot.Handoff, error) {
	if h.f.skip() {
		return h.f.handoffs.List(ctx)
	}
	list, err := h.r.List(ctx)
	if h.f.failedIn(ctx, err) {
		return h.f.handoffs.List(ctx)
	}
	return list, nil
}

// RateLimiter wraps a Redis RateLimiter.
func (f *Failover) RateLimiter(r RateLimiter) bot.RateLimiter { return failRate{f, r} }

type failRate struct {
	f *Failover
	r RateLimiter
}

func (l failRate) Allow(ctx context.Context, key string) (bool, error) {
	if l.f.skip() {
		return l.f.rate.Allow(ctx, key)
	}
	ok, err := l.r.Allow(ctx, key)
	if l.f.failedIn(ctx, err) {
		return l.f.rate.Allow(ctx, key)
	}
	return ok, nil
}

// Cursors wraps Redis Cursors.
func (f *Failover) Cursors(r Cursors) chanstate.Cursors { return failCursors{f, r} }

type failCursors struct {
	f *Failover
	r Cursors
}

func (c failCursors) Get(ctx context.Context, key string) (string, error) {
	if c.f.skip() {
		return c.f.cursors.Get(ctx, key)
	}
	v, err := c.r.Get(ctx, key)
	if c.f.failedIn(ctx, err) {
		return c.f.cursors.Get(ctx, key)
	}
	return v, nil
}

func (c failCursors) Set(ctx context.Context, key, value string) error {
	if c.f.skip() {
		return c.f.cursors.Set(ctx, key, value)
	}
	c.f.cursors.Set(ctx, key, value)
	if err := c.r.Set(ctx, key, value); c.f.failedIn(ctx, err) {
		return nil
	}
	return nil
}

// Options returns client options for url (redis://...) with short timeouts:
// a replica must not wait on an unreachable Redis while a platform waits
// for its ack.
func Options(url string) (*redis.Options, error) {
	o, err := redis.ParseURL(url)
	if err != nil {
		return nil, err
	}
	o.DialTimeout = 300 * time.Millisecond
	o.ReadTimeout = 300 * time.Millisecond
	o.WriteTimeout = 300 * time.Millisecond
	o.MaxRetries = 1
	return o, nil
}

// Answers wraps a Redis AnswerCache: during an outage the cache is simply
// missed (the model is asked), which is always safe.
func (f *Failover) Answers(r Answers) bot.AnswerCache { return failAnswers{f, r} }

type failAnswers struct {
	f *Failover
	r Answers
}

func (a failAnswers) Get(ctx context.Context, key string) (string, bool, bool, error) {
	if a.f.skip() {
		return "", false, false, nil
	}
	ans, n, ok, err := a.r.Get(ctx, key)
	if a.f.failedIn(ctx, err) {
		return "", false, false, nil
	}
	return ans, n, ok, nil
}

func (a failAnswers) Set(ctx context.Context, key, answer string, notInFAQ bool, ttl time.Duration) error {
	if a.f.skip() {
		return nil
	}
	a.f.failedIn(ctx, a.r.Set(ctx, key, answer, notInFAQ, ttl))
	return nil
}
