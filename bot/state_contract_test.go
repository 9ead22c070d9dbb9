package bot_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/bot/chanstate"
	"github.com/supportbot/supportbot/bot/statetest"
)

// The in-memory state passes the same contract as the Redis state.
func TestMemoryStateContract(t *testing.T) {
	t.Run("dedup", func(t *testing.T) { statetest.Dedup(t, chanstate.NewMemoryDedup()) })
	t.Run("conversations", func(t *testing.T) { statetest.Conversations(t, bot.NewMemoryConversations()) })
	t.Run("handoffs", func(t *testing.T) { statetest.Handoffs(t, bot.NewMemoryHandoffs()) })
	t.Run("rate limiter", func(t *testing.T) { statetest.RateLimiter(t, bot.NewMemoryRateLimiter(3)) })
	t.Run("cursors", func(t *testing.T) { statetest.Cursors(t, chanstate.NewMemoryCursors()) })
}

// Expired keys leave the memory dedup as new ones come, without a sweep.
func TestMemoryDedupExpires(t *testing.T) {
	d := chanstate.NewMemoryDedup()
	now := time.Unix(1000, 0)
	d.SetClock(func() time.Time { return now })
	ctx := context.Background()
	for i := range 5000 {
		if first, _ := d.FirstSeen(ctx, fmt.Sprint("k", i), time.Minute); !first {
			t.Fatalf("k%d not first", i)
		}
	}
	if first, _ := d.FirstSeen(ctx, "k1", time.Minute); first {
		t.Fatal("a live key was first again")
	}
	now = now.Add(2 * time.Minute)
	d.FirstSeen(ctx, "new", time.Minute)
	if n := d.Len(); n != 1 {
		t.Errorf("%d keys live after all expired, want 1", n)
	}
	if first, _ := d.FirstSeen(ctx, "k1", time.Minute); !first {
		t.Error("an expired key was not first")
	}
}

// A forgotten key seen again is remembered for its new ttl: its old entry
// expiring does not drop it.
func TestMemoryDedupForgetThenSeenAgain(t *testing.T) {
	d := chanstate.NewMemoryDedup()
	now := time.Unix(1000, 0)
	d.SetClock(func() time.Time { return now })
	ctx := context.Background()
	d.FirstSeen(ctx, "a", time.Minute)
	d.FirstSeen(ctx, "k", time.Minute)
	d.Forget(ctx, "k")
	now = now.Add(30 * time.Second)
	if first, _ := d.FirstSeen(ctx, "k", time.Minute); !first {
		t.Fatal("a forgotten key was not first")
	}
	now = now.Add(40 * time.Second) // "a" and the first "k" have expired
	if first, _ := d.FirstSeen(ctx, "k", time.Minute); first {
		t.Error("the key seen again was dropped when its forgotten entry expired")
	}
	if first, _ := d.FirstSeen(ctx, "a", time.Minute); !first {
		t.Error("an expired key was not first")
	}
	now = now.Add(time.Hour)
	for i := range 3 * 1024 { // across queue blocks
		d.FirstSeen(ctx, fmt.Sprint("b", i), time.Minute)
		if i%700 == 0 {
			d.Forget(ctx, fmt.Sprint("b", i))
		}
	}
	now = now.Add(time.Hour)
	d.FirstSeen(ctx, "last", time.Minute)
	if n := d.Len(); n != 1 {
		t.Errorf("%d keys live, want 1", n)
	}
}

// A key is never forgotten before its ttl: sub-millisecond ttls, a key
// kept for 60 days, the wall clock stepping back, and sparse traffic with
// a long ttl that keeps the queue from ever emptying.
func TestMemoryDedupNeverForgetsEarly(t *testing.T) {
	d := chanstate.NewMemoryDedup()
	now := time.Unix(1000, 0)
	d.SetClock(func() time.Time { return now })
	ctx := context.Background()
	d.FirstSeen(ctx, "a", 1500*time.Microsecond)
	now = now.Add(1500 * time.Microsecond)
	if first, _ := d.FirstSeen(ctx, "a", time.Minute); first {
		t.Fatal("a key expired before its ttl")
	}
	now = now.Add(time.Millisecond)
	if first, _ := d.FirstSeen(ctx, "a", time.Hour); !first {
		t.Fatal("a key outlived its ttl by over a millisecond")
	}
	// A key kept for 60 days holds its block open; 50 days later, keys
	// beyond the block's range of 49 days go in a new one.
	d.FirstSeen(ctx, "long", 60*24*time.Hour)
	now = now.Add(50 * 24 * time.Hour)
	for i := range 3 {
		if first, _ := d.FirstSeen(ctx, fmt.Sprint("late", i), time.Minute); !first {
			t.Fatalf("late%d not first", i)
		}
		if first, _ := d.FirstSeen(ctx, fmt.Sprint("late", i), time.Minute); first {
			t.Fatalf("late%d first twice", i)
		}
	}
	if first, _ := d.FirstSeen(ctx, "long", time.Minute); first {
		t.Fatal("the 60-day key was first again")
	}
	now = now.Add(11 * 24 * time.Hour)
	d.FirstSeen(ctx, "last", time.Minute)
	if n := d.Len(); n != 1 {
		t.Errorf("%d keys live, want 1", n)
	}

	// The wall clock steps back 20 minutes: a key seen a minute before
	// is still remembered.
	now = now.Add(time.Hour)
	d.FirstSeen(ctx, "x", 15*time.Minute)
	now = now.Add(time.Minute)
	d.FirstSeen(ctx, "y", 15*time.Minute)
	now = now.Add(-20 * time.Minute)
	d.FirstSeen(ctx, "z", 15*time.Minute)
	if first, _ := d.FirstSeen(ctx, "y", 15*time.Minute); first {
		t.Error("after the clock stepped back, a key seen a minute before was first again")
	}

	// Sparse traffic with a day's ttl for 120 days: each event's retry six
	// hours later is still a duplicate, also after a Forget of another key.
	s := chanstate.NewMemoryDedup()
	at := time.Unix(1000, 0)
	s.SetClock(func() time.Time { return at })
	for i := range 120 * 12 {
		key := fmt.Sprint("e", i)
		if first, _ := s.FirstSeen(ctx, key, 24*time.Hour); !first {
			t.Fatalf("%s not first", key)
		}
		if i == 100*12 {
			s.Forget(ctx, "e1")
		}
		if i >= 3 {
			if first, _ := s.FirstSeen(ctx, fmt.Sprint("e", i-3), 24*time.Hour); first {
				t.Fatalf("day %d: the retry of an event 6 hours old was first", i/12)
			}
		}
		at = at.Add(2 * time.Hour)
	}
}

// Regressions from a review of a denser queue that was tried and dropped:
// a clock stepping back must not make later keys be forgotten early, nor
// may a ttl of more than 2^32 ms.
func TestMemoryDedupClockBackAndLongTTL(t *testing.T) {
	ctx := context.Background()
	d := chanstate.NewMemoryDedup()
	t0 := time.Unix(1_700_000_000, 0)
	now := t0
	d.SetClock(func() time.Time { return now })
	ttl := 15 * time.Minute
	d.FirstSeen(ctx, "a", ttl)
	now = t0.Add(-20 * time.Minute) // the wall clock steps back
	d.FirstSeen(ctx, "b", ttl)
	now = t0.Add(14 * time.Minute)
	for i := range 5 {
		d.FirstSeen(ctx, fmt.Sprint("x", i), ttl)
	}
	now = t0.Add(15*time.Minute + time.Millisecond)
	if first, _ := d.FirstSeen(ctx, "x1", ttl); first {
		t.Error("a key seen a minute before was first again")
	}

	d = chanstate.NewMemoryDedup()
	d.SetClock(func() time.Time { return now })
	d.FirstSeen(ctx, "long", 60*24*time.Hour)
	now = now.Add(11 * 24 * time.Hour)
	if first, _ := d.FirstSeen(ctx, "long", time.Minute); first {
		t.Error("a 60-day key was forgotten after 11 days")
	}
}
