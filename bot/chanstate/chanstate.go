// Package chanstate is the state the channel adapters keep about the
// platforms, not about conversations: which events and messages were taken
// already (Dedup, against the platforms' retries), and where a sync stopped
// (Cursors, for 微信客服). The in-process implementations are here; Redis
// ones, shared by replicas, are in bot/redisstate.
package chanstate

import (
	"context"
	"hash/maphash"
	"math/bits"
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
// in a set, and the hashes with their expiry in a queue, oldest first, in
// blocks of fixed size; it expires keys from the front of the queue a few
// per call, so memory stays small (about 26 bytes a key) and no call
// sweeps the whole set. Keys given a longer ttl than those after them
// hold those back: use one ttl per Dedup.
type MemoryDedup struct {
	mu    sync.Mutex
	seed  maphash.Seed
	live  hashSet
	queue dedupQueue
	now   func() time.Time
}

var _ Dedup = (*MemoryDedup)(nil)

// NewMemoryDedup returns an empty in-process Dedup.
func NewMemoryDedup() *MemoryDedup {
	return &MemoryDedup{seed: maphash.MakeSeed(), now: time.Now}
}

// FirstSeen implements Dedup.
func (d *MemoryDedup) FirstSeen(_ context.Context, key string, ttl time.Duration) (bool, error) {
	h := dedupHash(d.seed, key)
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now().UnixNano()
	d.expire(now)
	if d.live.has(h) {
		return false, nil
	}
	d.live.add(h)
	d.queue.push(dedupEntry{h, now + int64(ttl)})
	return true, nil
}

// expire drops the keys at the front of the queue that have expired, and
// the forgotten ones there.
func (d *MemoryDedup) expire(now int64) {
	for {
		e, ok := d.queue.front()
		if !ok || (e.exp >= now && e.exp != forgotten) {
			return
		}
		if e.exp != forgotten {
			d.live.remove(e.h)
		}
		d.queue.pop()
	}
}

// forgotten marks a queue entry whose key was forgotten.
const forgotten = -1

// Forget implements Dedup.
func (d *MemoryDedup) Forget(_ context.Context, key string) error {
	h := dedupHash(d.seed, key)
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.live.has(h) {
		return nil
	}
	d.live.remove(h)
	// The key is in the queue once; it was usually added a moment ago.
	d.queue.markBack(h)
	return nil
}

// dedupHash is the key's hash, never 0 (the hash set's empty slot).
func dedupHash(seed maphash.Seed, key string) uint64 {
	return max(maphash.String(seed, key), 1)
}

// hashSet is a set of non-zero hashes: open addressing with linear
// probing, in a table of any size (a hash's home slot is its position
// scaled to the table, so the table grows by a quarter, not by doubling),
// between 1/8 and 7/8 full. It takes about 10 bytes a key where a Go map
// takes about 29, and gives memory back as keys expire.
type hashSet struct {
	slots []uint64 // 0: empty
	n     int
}

// home is h's first slot: h scaled from [0, 2^64) to [0, len(slots)).
func (s *hashSet) home(h uint64) int {
	hi, _ := bits.Mul64(h, uint64(len(s.slots)))
	return int(hi)
}

func (s *hashSet) next(i int) int {
	if i++; i == len(s.slots) {
		return 0
	}
	return i
}

func (s *hashSet) has(h uint64) bool {
	if s.n == 0 {
		return false
	}
	for i := s.home(h); ; i = s.next(i) {
		switch s.slots[i] {
		case h:
			return true
		case 0:
			return false
		}
	}
}

// add adds h, which is not in the set.
func (s *hashSet) add(h uint64) {
	if (s.n+1)*8 > len(s.slots)*7 {
		s.resize(max(16, len(s.slots)+len(s.slots)/4))
	}
	i := s.home(h)
	for s.slots[i] != 0 {
		i = s.next(i)
	}
	s.slots[i] = h
	s.n++
}

// remove removes h if present, moving back the entries after it that
// would otherwise be cut off from their home slot.
func (s *hashSet) remove(h uint64) {
	if s.n == 0 || h == 0 { // 0 marks an empty slot, never a key
		return
	}
	size := len(s.slots)
	i := s.home(h)
	for s.slots[i] != h {
		if s.slots[i] == 0 {
			return
		}
		i = s.next(i)
	}
	// dist is how far b lies after a, going round the table.
	dist := func(a, b int) int { return (b - a + size) % size }
	for j := s.next(i); s.slots[j] != 0; j = s.next(j) {
		// The entry at j may move to the hole at i unless its home slot
		// lies cyclically in (i, j].
		if dist(s.home(s.slots[j]), j) >= dist(i, j) {
			s.slots[i] = s.slots[j]
			i = j
		}
	}
	s.slots[i] = 0
	s.n--
	if size > 16 && s.n*8 < size {
		s.resize(size / 2)
	}
}

func (s *hashSet) resize(size int) {
	old := s.slots
	s.slots, s.n = make([]uint64, size), 0
	for _, h := range old {
		if h != 0 {
			s.add(h)
		}
	}
}

type dedupEntry struct {
	h   uint64
	exp int64 // unix nanoseconds, or forgotten
}

// dedupQueue is a FIFO of entries in blocks of dedupBlock.
type dedupQueue struct {
	blocks []*[dedupBlock]dedupEntry
	head   int // in blocks[0]
	tail   int // in the last block
}

const dedupBlock = 1024

func (q *dedupQueue) push(e dedupEntry) {
	if len(q.blocks) == 0 || q.tail == dedupBlock {
		q.blocks = append(q.blocks, new([dedupBlock]dedupEntry))
		q.tail = 0
	}
	q.blocks[len(q.blocks)-1][q.tail] = e
	q.tail++
}

func (q *dedupQueue) front() (dedupEntry, bool) {
	if len(q.blocks) == 0 || (len(q.blocks) == 1 && q.head == q.tail) {
		return dedupEntry{}, false
	}
	return q.blocks[0][q.head], true
}

func (q *dedupQueue) pop() {
	q.head++
	if len(q.blocks) == 1 && q.head == q.tail { // empty: start over
		q.head, q.tail = 0, 0
		return
	}
	if q.head == dedupBlock {
		q.blocks[0] = nil
		q.blocks = q.blocks[1:]
		q.head = 0
	}
}

// markBack marks the newest entry for h forgotten.
func (q *dedupQueue) markBack(h uint64) {
	for b := len(q.blocks) - 1; b >= 0; b-- {
		lo, hi := 0, dedupBlock
		if b == len(q.blocks)-1 {
			hi = q.tail
		}
		if b == 0 {
			lo = q.head
		}
		for i := hi - 1; i >= lo; i-- {
			if q.blocks[b][i].h == h && q.blocks[b][i].exp != forgotten {
				q.blocks[b][i].exp = forgotten
				return
			}
		}
	}
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
func (d *MemoryDedup) Len() int { d.mu.Lock(); defer d.mu.Unlock(); return d.live.n }
