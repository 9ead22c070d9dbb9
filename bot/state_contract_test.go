package bot_test

import (
	"testing"

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
