package sqlstore

import (
	"context"
	"strconv"
	"strings"
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
	var lines []bot.Line
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

func TestTranscripts(t *testing.T) {
	dir := t.TempDir()
	testTranscripts(t, func() (*Store, error) { return Open(context.Background(), dir) })

	// The log has no index by user (every message would pay for it), and
	// transcripts read the exchanges by time, not all of them.
	s, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var n int
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE name = 'exchanges_user'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("index exchanges_user: %d, %v; want none", n, err)
	}
	rows, err := s.db.Query(`EXPLAIN QUERY PLAN `+transcriptSQL(2), 0, "a", "b")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if !strings.Contains(strings.Join(plan, "\n"), "USING INDEX exchanges_at") {
		t.Errorf("transcript query plan %q, want a search of exchanges_at", plan)
	}
}

// testTranscripts: several users' transcripts at once, each from its own
// time, one channel's user apart from another's, the newest 50 lines, a
// user's line before an agent's of the same millisecond.
func testTranscripts(t *testing.T, open func() (*Store, error)) {
	ctx := context.Background()
	s, err := open()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	user := func(channel, u string, at time.Time, text string) {
		t.Helper()
		if err := s.Record(ctx, bot.Exchange{At: at, Channel: channel, UserHash: bot.HashUser(channel, u), Text: text, Intent: "none"}); err != nil {
			t.Fatal(err)
		}
	}
	tu := "tu-" + strconv.FormatInt(time.Now().UnixNano(), 36) // PostgreSQL's tables outlive a run
	// More than twice the 50 kept: read in trimmed steps.
	for i := range 130 {
		user("web", tu+"1", base.Add(time.Duration(i)*time.Second), "m"+strconv.Itoa(i))
	}
	user("slack", tu+"1", base.Add(10*time.Minute), "slack's user of the same id")
	user("web", tu+"2", base.Add(-time.Minute), "before u2's window")
	user("web", tu+"2", base.Add(time.Minute), "u2 hello 13812345678")
	if _, err := s.AddAgentMessage(ctx, "web", tu+"2", "h2", "agent to u2"); err != nil {
		t.Fatal(err)
	}
	// Wait for the batched writer.
	var ts [][]bot.Line
	qs := []bot.TranscriptQuery{{Channel: "web", User: tu + "1", Since: base}, {Channel: "web", User: tu + "2", Since: base}, {Channel: "wecom", User: tu + "9", Since: base}}
	for range 200 {
		if ts, err = s.Transcripts(ctx, qs); err != nil {
			t.Fatal(err)
		}
		if len(ts[0]) == 50 && ts[0][49].Text == "m129" && len(ts[1]) == 2 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(ts) != 3 || len(ts[0]) != 50 || ts[0][0].Text != "m80" || ts[0][49].Text != "m129" {
		t.Fatalf("u1: %d lines %+v", len(ts[0]), ts[0])
	}
	for _, l := range ts[0] {
		if l.From != "user" || l.Text == "slack's user of the same id" {
			t.Fatalf("u1 line %+v", l)
		}
	}
	if got := ts[1]; len(got) != 2 || got[0].Text != "u2 hello 138****5678" || got[1].From != "agent" || got[1].Text != "agent to u2" {
		t.Fatalf("u2: %+v", got)
	}
	if len(ts[2]) != 0 {
		t.Fatalf("a user with nothing logged: %+v", ts[2])
	}
	if got, err := s.Transcripts(ctx, nil); err != nil || len(got) != 0 {
		t.Fatalf("no queries: %v, %v", got, err)
	}

	// Same millisecond: the user's line first.
	at := time.Now().Truncate(time.Millisecond)
	if _, err := s.AddAgentMessage(ctx, "web", tu+"3", "h3", "agent"); err != nil {
		t.Fatal(err)
	}
	var agentAt int64
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT at FROM agent_messages WHERE user_hash = ?`), bot.HashUser("web", tu+"3")).Scan(&agentAt); err != nil {
		t.Fatal(err)
	}
	at = time.UnixMilli(agentAt)
	user("web", tu+"3", at, "user")
	var got []bot.Line
	for range 200 {
		if got, err = s.Transcript(ctx, "web", tu+"3", at.Add(-time.Second)); err != nil {
			t.Fatal(err)
		}
		if len(got) == 2 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(got) != 2 || got[0].From != "user" || got[1].From != "agent" {
		t.Fatalf("same millisecond: %+v", got)
	}
}
