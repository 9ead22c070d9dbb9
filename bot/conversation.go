package bot

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"
	"sync"
	"time"
)

// State is what the bot remembers of one conversation (a user in a channel
// and thread) between messages.
type State struct {
	LastIntent string    `json:"last_intent,omitempty"`
	Lang       string    `json:"lang,omitempty"`
	Pending    string    `json:"pending,omitempty"` // pendingNumber or pendingClarify: what the bot asked for
	Options    []string  `json:"options,omitempty"` // the clarify options, in order
	Shown      []int     `json:"shown,omitempty"`   // steps of the last entry already given
	HandoffID  string    `json:"handoff_id,omitempty"`
	History    []Turn    `json:"history,omitempty"` // the last few turns, masked
	Updated    time.Time `json:"updated"`
}

// What a conversation's State.Pending says the bot asked for.
const (
	pendingNumber  = "number"  // a phone number, for an entry that asks for one
	pendingClarify = "clarify" // one of the options it listed
)

// Conversations keeps conversation state for a while.
type Conversations interface {
	// Load returns the state for key, or a zero State.
	Load(ctx context.Context, key string) (State, error)
	Save(ctx context.Context, key string, st State, ttl time.Duration) error
}

// MemoryConversations is a Conversations for one process.
type MemoryConversations struct {
	mu   sync.Mutex
	m    map[string]memState
	now  func() time.Time
	next time.Time
}

type memState struct {
	st    State
	until time.Time
}

var _ Conversations = (*MemoryConversations)(nil)

// NewMemoryConversations returns an empty in-process store.
func NewMemoryConversations() *MemoryConversations {
	return &MemoryConversations{m: map[string]memState{}, now: time.Now}
}

// Load implements Conversations.
func (c *MemoryConversations) Load(_ context.Context, key string) (State, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.m[key]
	if !ok || c.now().After(s.until) {
		return State{}, nil
	}
	return s.st, nil
}

// Save implements Conversations.
func (c *MemoryConversations) Save(_ context.Context, key string, st State, ttl time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if now.After(c.next) {
		for k, s := range c.m {
			if now.After(s.until) {
				delete(c.m, k)
			}
		}
		c.next = now.Add(time.Minute)
	}
	c.m[key] = memState{st: st, until: now.Add(ttl)}
	return nil
}

// Handoff is a conversation handed to a person.
type Handoff struct {
	ID       string    `json:"id"`
	Channel  string    `json:"channel"`
	User     string    `json:"user"`   // the channel's user id
	Thread   string    `json:"thread"` // where to answer
	Asked    string    `json:"asked"`  // the message, numbers masked
	Lang     string    `json:"lang"`
	Opened   time.Time `json:"opened"`
	Until    time.Time `json:"until"` // it lapses then (HANDOFF_TTL)
	Resolved bool      `json:"resolved"`
}

// Handoffs keeps the queue of conversations waiting for, or with, a person.
type Handoffs interface {
	Open(ctx context.Context, h Handoff) error
	// IsOpen reports whether the handoff id is open and not lapsed.
	IsOpen(ctx context.Context, id string) (bool, error)
	Resolve(ctx context.Context, id string) (Handoff, error)
	// List returns the open handoffs, oldest first.
	List(ctx context.Context) ([]Handoff, error)
}

// ErrNoHandoff is returned for an unknown or already resolved handoff.
var ErrNoHandoff = errorString("no open handoff with that id")

type errorString string

func (e errorString) Error() string { return string(e) }

// MemoryHandoffs is a Handoffs for one process.
type MemoryHandoffs struct {
	mu  sync.Mutex
	m   map[string]Handoff
	now func() time.Time
}

var _ Handoffs = (*MemoryHandoffs)(nil)

// NewMemoryHandoffs returns an empty queue.
func NewMemoryHandoffs() *MemoryHandoffs {
	return &MemoryHandoffs{m: map[string]Handoff{}, now: time.Now}
}

// Open implements Handoffs.
func (h *MemoryHandoffs) Open(_ context.Context, ho Handoff) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.m[ho.ID] = ho
	return nil
}

// IsOpen implements Handoffs.
func (h *MemoryHandoffs) IsOpen(_ context.Context, id string) (bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ho, ok := h.m[id]
	return ok && !ho.Resolved && h.now().Before(ho.Until), nil
}

// Resolve implements Handoffs.
func (h *MemoryHandoffs) Resolve(_ context.Context, id string) (Handoff, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ho, ok := h.m[id]
	if !ok || ho.Resolved {
		return Handoff{}, ErrNoHandoff
	}
	ho.Resolved = true
	h.m[id] = ho
	return ho, nil
}

// List implements Handoffs.
func (h *MemoryHandoffs) List(_ context.Context) ([]Handoff, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []Handoff
	now := h.now()
	for id, ho := range h.m {
		if now.After(ho.Until) {
			delete(h.m, id)
			continue
		}
		if !ho.Resolved {
			out = append(out, ho)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Opened.Before(out[j].Opened) })
	return out, nil
}

// RateLimiter says whether a user may send another message now.
type RateLimiter interface {
	Allow(ctx context.Context, key string) (bool, error)
}

// MemoryRateLimiter allows perMinute messages per key in any minute.
type MemoryRateLimiter struct {
	mu        sync.Mutex
	perMinute int
	hits      map[string][]time.Time
	now       func() time.Time
}

var _ RateLimiter = (*MemoryRateLimiter)(nil)

// NewMemoryRateLimiter returns a sliding-window limiter.
func NewMemoryRateLimiter(perMinute int) *MemoryRateLimiter {
	return &MemoryRateLimiter{perMinute: perMinute, hits: map[string][]time.Time{}, now: time.Now}
}

// Allow implements RateLimiter.
func (l *MemoryRateLimiter) Allow(_ context.Context, key string) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	cut := now.Add(-time.Minute)
	h := l.hits[key]
	i := 0
	for i < len(h) && !h[i].After(cut) {
		i++
	}
	h = h[i:]
	if len(h) >= l.perMinute {
		l.hits[key] = h
		return false, nil
	}
	l.hits[key] = append(h, now)
	if len(l.hits) > 100000 { // forget idle users now and then
		for k, v := range l.hits {
			if len(v) == 0 || !v[len(v)-1].After(cut) {
				delete(l.hits, k)
			}
		}
	}
	return true, nil
}

// Exchange is one message and its answer, as stored for reports: the user
// id hashed, numbers masked.
type Exchange struct {
	At         time.Time
	Channel    string
	UserHash   string
	Text       string
	Lang       string
	Intent     string
	Confidence float64
	AnswerID   string // "entry#step" of the FAQ answer, or the message name
	Fallback   bool   // the fallback model was asked
	Handoff    bool
	HandoffID  string // the handoff the answer opened, "" for none
	Latency    time.Duration
}

// Recorder stores exchanges.
type Recorder interface {
	Record(ctx context.Context, x Exchange) error
}

// HandoffRefuser is a Recorder that can take back a handoff it was given:
// HandoffRefused records that the handoff with this id, recorded with its
// exchange before or after the call, was not one after all, because no
// person could take it.
type HandoffRefuser interface {
	HandoffRefused(ctx context.Context, id string) error
}

// HashUser hashes a channel's user id for storage.
func HashUser(channel, user string) string {
	sum := sha256.Sum256([]byte(channel + "\x00" + user))
	return hex.EncodeToString(sum[:8])
}

func newID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// conversationKey identifies a conversation.
func conversationKey(m Message) string {
	return strings.Join([]string{m.Channel, m.User, m.Thread}, "|")
}
