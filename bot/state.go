package bot

import (
	"context"
	"hash/maphash"
	"sync"
	"time"
)

// Dedup remembers keys (Slack event ids, WeCom MsgIds) for a while, so a
// platform's retry of a message already taken is not answered twice.
type Dedup interface {
	// FirstSeen records key for ttl and reports whether this call was the
	// first to see it. Only one caller ever gets true for a key until it
	// expires or is forgotten.
	FirstSeen(ctx context.Context, key string, ttl time.Duration) (bool, error)
	// Forget drops key, for a message that was taken but could not be
	// handled, so that the platform's retry is.
	Forget(ctx context.Context, key string) error
}

// MemoryDedup is a Dedup for one process. It keeps a 64-bit hash of each
// key (a collision among a million live keys has odds of about 1 in 10^7)
// and expires keys in the order they came, a few per call, so memory stays
// small and no call sweeps the whole set.
type MemoryDedup struct {
	mu    sync.Mutex
	seed  maphash.Seed
	until map[uint64]int64 // key hash -> expiry, unix nanoseconds
	order []dedupEntry     // as added; expired from the front
	head  int
	now   func() time.Time
}

type dedupEntry struct {
	h   uint64
	exp int64
}

var _ Dedup = (*MemoryDedup)(nil)

// NewMemoryDedup returns an empty in-process Dedup.
func NewMemoryDedup() *MemoryDedup {
	return &MemoryDedup{seed: maphash.MakeSeed(), until: map[uint64]int64{}, now: time.Now}
}

// FirstSeen implements Dedup.
func (d *MemoryDedup) FirstSeen(_ context.Context, key string, ttl time.Duration) (bool, error) {
	h := maphash.String(d.seed, key)
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now().UnixNano()
	d.expire(now)
	if exp, ok := d.until[h]; ok && now <= exp {
		return false, nil
	}
	exp := now + int64(ttl)
	d.until[h] = exp
	d.order = append(d.order, dedupEntry{h, exp})
	return true, nil
}

// expire drops the keys at the front of the order that have expired.
// Keys given a longer ttl than those after them expire a little late.
func (d *MemoryDedup) expire(now int64) {
	for d.head < len(d.order) && d.order[d.head].exp < now {
		e := d.order[d.head]
		if d.until[e.h] == e.exp { // not forgotten or seen again since
			delete(d.until, e.h)
		}
		d.head++
	}
	if d.head > 1024 && d.head > len(d.order)/2 {
		n := copy(d.order, d.order[d.head:])
		d.order = d.order[:n]
		d.head = 0
	}
}

// Forget implements Dedup.
func (d *MemoryDedup) Forget(_ context.Context, key string) error {
	h := maphash.String(d.seed, key)
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.until, h)
	return nil
}

// Feedback is a user's verdict on one answer.
type Feedback struct {
	Channel string
	User    string // the channel's user id; stores hash it
	Intent  string // the intent the answer was for
	Helpful bool
	At      time.Time
}

// FeedbackStore keeps feedback for reports.
type FeedbackStore interface {
	SaveFeedback(ctx context.Context, f Feedback) error
}

// MemoryFeedback keeps the most recent feedback in memory, for a bot run
// without a database.
type MemoryFeedback struct {
	mu   sync.Mutex
	list []Feedback
	max  int
}

var _ FeedbackStore = (*MemoryFeedback)(nil)

// NewMemoryFeedback keeps up to max entries, dropping the oldest.
func NewMemoryFeedback(max int) *MemoryFeedback { return &MemoryFeedback{max: max} }

// SaveFeedback implements FeedbackStore.
func (m *MemoryFeedback) SaveFeedback(_ context.Context, f Feedback) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.list) >= m.max && m.max > 0 {
		m.list = m.list[1:]
	}
	m.list = append(m.list, f)
	return nil
}

// All returns a copy of the stored feedback, oldest first.
func (m *MemoryFeedback) All() []Feedback {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Feedback(nil), m.list...)
}

// Cursors keeps small named values that must survive between calls, such
// as 微信客服's sync cursor.
type Cursors interface {
	Get(ctx context.Context, key string) (string, error)
	Set(ctx context.Context, key, value string) error
}

// MemoryCursors is a Cursors for one process.
type MemoryCursors struct {
	mu sync.Mutex
	m  map[string]string
}

var _ Cursors = (*MemoryCursors)(nil)

// NewMemoryCursors returns an empty in-process Cursors.
func NewMemoryCursors() *MemoryCursors { return &MemoryCursors{m: map[string]string{}} }

// Get implements Cursors; a missing key is "".
func (c *MemoryCursors) Get(_ context.Context, key string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[key], nil
}

// Set implements Cursors.
func (c *MemoryCursors) Set(_ context.Context, key, value string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[key] = value
	return nil
}

// SetClock replaces the clock, for tests.
func (d *MemoryDedup) SetClock(now func() time.Time) { d.mu.Lock(); d.now = now; d.mu.Unlock() }

// Len returns how many keys are remembered.
func (d *MemoryDedup) Len() int { d.mu.Lock(); defer d.mu.Unlock(); return len(d.until) }
