package bot_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/bot/statetest"
)

// The in-memory state passes the same contract as the Redis state.
func TestMemoryStateContract(t *testing.T) {
	t.Run("dedup", func(t *testing.T) { statetest.Dedup(t, bot.NewMemoryDedup()) })
	t.Run("conversations", func(t *testing.T) { statetest.Conversations(t, bot.NewMemoryConversations()) })
	t.Run("handoffs", func(t *testing.T) { statetest.Handoffs(t, bot.NewMemoryHandoffs()) })
	t.Run("rate limiter", func(t *testing.T) { statetest.RateLimiter(t, bot.NewMemoryRateLimiter(3)) })
	t.Run("cursors", func(t *testing.T) { statetest.Cursors(t, bot.NewMemoryCursors()) })
}

// Expired keys leave the memory dedup as new ones come, without a sweep.
func TestMemoryDedupExpires(t *testing.T) {
	d := bot.NewMemoryDedup()
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
	d := bot.NewMemoryDedup()
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

// The queue keeps expiries in milliseconds after its block's first key:
// a key never expires early, a sub-millisecond ttl still holds, and keys
// pushed long after a block was begun (past what it can count) go on.
func TestMemoryDedupExpiryUnits(t *testing.T) {
	d := bot.NewMemoryDedup()
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
}
