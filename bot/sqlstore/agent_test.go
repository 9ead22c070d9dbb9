package sqlstore

import (
	"context"
	"testing"
	"time"

	"github.com/supportbot/supportbot/bot"
)

func TestAgentMessages(t *testing.T) {
	dir := t.TempDir()
	testAgentMessages(t, func() (*Store, error) { return Open(context.Background(), dir) })
}

func testAgentMessages(t *testing.T, open func() (*Store, error)) {
	ctx := context.Background()
	s, err := open()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	start := time.Now().Add(-time.Second)
	s.Record(ctx, bot.Exchange{At: time.Now(), Channel: "web", UserHash: bot.HashUser("web", "w1"), Text: "转人工 13812345678", Intent: "human"})
	id1, err := s.AddAgentMessage(ctx, "web", "w1", "h1", "您好，请把号码 13812345678 发给我")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddAgentMessage(ctx, "web", "other", "h2", "not for w1"); err != nil {
		t.Fatal(err)
	}
	id3, err := s.AddAgentMessage(ctx, "web", "w1", "h1", "second")
	if err != nil {
		t.Fatal(err)
	}
	got, last, err := s.AgentMessages(ctx, "web", "w1", 0)
	if err != nil {
		t.Fatal(err)
	}
	if last != id3 {
		t.Errorf("last = %d, want %d", last, id3)
	}
	if len(got) != 2 || got[0].ID != id1 || got[1].ID != id3 || got[0].Text != "您好，请把号码 138****5678 发给我" {
		t.Fatalf("AgentMessages = %+v", got)
	}
	if got, _, _ := s.AgentMessages(ctx, "web", "w1", id1); len(got) != 1 || got[0].Text != "second" {
		t.Fatalf("after %d: %+v", id1, got)
	}
	if got, last, _ := s.AgentMessages(ctx, "web", "w1", id3+100); len(got) != 0 || last != id3 {
		t.Errorf("after a later id: %+v, last %d", got, last)
	}
	if got, _, _ := s.AgentMessages(ctx, "slack", "w1", 0); len(got) != 0 {
		t.Fatalf("another channel's user sees %+v", got)
	}

	// The exchange reaches the log through the batched writer.
	var lines []Line
	for i := 0; i < 100; i++ {
		if lines, err = s.Transcript(ctx, "web", "w1", start); err != nil {
			t.Fatal(err)
		}
		if len(lines) == 3 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(lines) != 3 || lines[0].From != "user" || lines[0].Text != "转人工 138****5678" || lines[1].From != "agent" || lines[2].Text != "second" {
		t.Fatalf("Transcript = %+v", lines)
	}
	days, err := s.IntentsByDay(ctx, start.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	// The database may hold other tests' exchanges of today too.
	found := false
	for _, d := range days {
		if !d.Day.Equal(time.Now().UTC().Truncate(24 * time.Hour)) {
			t.Fatalf("IntentsByDay: day %v is not today", d.Day)
		}
		found = found || d.Intent == "human" && d.Count >= 1
	}
	if !found {
		t.Fatalf("IntentsByDay = %+v", days)
	}
}

// Ids are never reused, even after pruning, so a page polling "after N"
// does not miss a later message.
func TestAgentMessageIDsAreNotReused(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var last int64
	for range 3 {
		if last, err = s.AddAgentMessage(ctx, "web", "w1", "h", "hi"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Prune(ctx, -time.Hour); err != nil { // everything is older than an hour from now
		t.Fatal(err)
	}
	id, err := s.AddAgentMessage(ctx, "web", "w1", "h", "after the prune")
	if err != nil {
		t.Fatal(err)
	}
	if id <= last {
		t.Errorf("id %d after pruning, want more than %d", id, last)
	}
}
