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
