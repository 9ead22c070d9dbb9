package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/bot/statetest"
)

func TestRecordAndReport(t *testing.T) {
	dir := t.TempDir()
	testRecordAndReport(t, func() (*Store, error) { return Open(context.Background(), dir) })
}

// The same store tests run against a real PostgreSQL server.
func TestPostgres(t *testing.T) {
	url := statetest.StartPostgres(t)
	testRecordAndReport(t, func() (*Store, error) { return OpenPostgres(context.Background(), url) })
	testAgentMessages(t, func() (*Store, error) { return OpenPostgres(context.Background(), url) })
	testTranscripts(t, func() (*Store, error) { return OpenPostgres(context.Background(), url) })
	testOneBadRowAmongMany(t, func() (*Store, error) { return OpenPostgres(context.Background(), url) })
	testInbox(t, func() (*Store, error) { return OpenPostgres(context.Background(), url) })
	testColumnAddedAlready(t, func() (*Store, error) { return OpenPostgres(context.Background(), url) })
	testRefusedHandoffs(t, func() (*Store, error) { return OpenPostgres(context.Background(), url) })
	for i := 0; i < 2; i++ { // migrating again is a no-op
		s, err := OpenPostgres(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
}

func testRecordAndReport(t *testing.T, open func() (*Store, error)) {
	ctx := context.Background()
	s, err := open()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	xs := []bot.Exchange{
		{At: now, Channel: "web", UserHash: "a", Text: "怎么申请SSL证书", Intent: "none", Confidence: 1},
		{At: now, Channel: "web", UserHash: "b", Text: "怎么申请 SSL 证书？", Intent: "none", Confidence: 1},
		{At: now, Channel: "slack", UserHash: "c", Text: "我的号码13812345678收不到短信", Intent: "sms_missing.prefix", Confidence: 0.52},
		{At: now, Channel: "slack", UserHash: "c", Text: "收不到短信", Intent: "sms_missing", Confidence: 0.9},
		{At: now, Channel: "wecom", UserHash: "d", Text: "转人工", Intent: "human", Confidence: 0.9, Handoff: true},
		{At: now.Add(-48 * time.Hour), Channel: "web", UserHash: "e", Text: "old", Intent: "none"},
	}
	for _, x := range xs {
		if err := s.Record(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	for _, helpful := range []bool{true, true, false} {
		if err := s.SaveFeedback(ctx, bot.Feedback{Channel: "slack", User: "U1", Intent: "sms_missing", Helpful: helpful, At: now}); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()

	// A second handle, as `supportbot report` opens while the bot runs.
	s, err = open()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	norm := func(x string) string { return strings.ToLower(strings.NewReplacer(" ", "", "？", "").Replace(x)) }
	nearest := func(q string) string {
		if strings.Contains(q, "SSL") {
			return "怎么申请证书？"
		}
		return ""
	}
	r, err := s.Report(ctx, now.Add(-24*time.Hour), norm, nearest, 0.6, 10)
	if err != nil {
		t.Fatal(err)
	}
	if r.Messages != 5 || r.Handoffs != 1 || r.Feedback != 3 || r.Helpful != 2 || r.HelpfulPercent != 66.7 {
		t.Errorf("report %+v", r)
	}
	if len(r.Unanswered) != 1 || r.Unanswered[0].Count != 2 {
		t.Errorf("unanswered %+v, want the two SSL questions grouped", r.Unanswered)
	}
	if len(r.ByNearest) != 1 || r.ByNearest[0].Entry != "怎么申请证书？" || r.ByNearest[0].Count != 2 || len(r.ByNearest[0].Examples) != 1 {
		t.Errorf("by nearest %+v, want the SSL questions under their entry", r.ByNearest)
	}
	if len(r.LowConfidence) != 1 || !strings.Contains(r.LowConfidence[0].Text, "138****5678") {
		t.Errorf("low confidence %+v (numbers must be masked)", r.LowConfidence)
	}
	if r.Intents[0].Intent != "none" || r.Intents[0].Count != 2 {
		t.Errorf("intents %+v", r.Intents)
	}
	if n, err := s.Prune(ctx, 24*time.Hour); err != nil || n != 1 {
		t.Errorf("prune = %d, %v; want the 2-day-old row", n, err)
	}
}

func TestRefusedHandoffs(t *testing.T) {
	dir := t.TempDir()
	testRefusedHandoffs(t, func() (*Store, error) { return Open(context.Background(), dir) })
}

// A handoff the bot refused (no person could take it) is no handoff in the
// report, whether the refusal comes while its exchange waits for the writer
// or after it was written.
func testRefusedHandoffs(t *testing.T, open func() (*Store, error)) {
	ctx := context.Background()
	s, err := open()
	if err != nil {
		t.Fatal(err)
	}
	since := time.Now()
	handoff := func(id string) bot.Exchange {
		return bot.Exchange{At: time.Now(), Channel: "web", UserHash: id, Text: "转人工", Intent: "human", Confidence: 0.9, Handoff: true, HandoffID: id}
	}
	for _, id := range []string{"taken", "refused-at-once", "refused-later"} {
		if err := s.Record(ctx, handoff(id)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.HandoffRefused(ctx, "refused-at-once"); err != nil {
		t.Fatal(err)
	}
	report := func(s *Store) bot.Report {
		t.Helper()
		r, err := s.Report(ctx, since, strings.TrimSpace, nil, 0.5, 10)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	waitUntil(t, func() bool { return report(s).Messages == 3 })
	if err := s.HandoffRefused(ctx, "refused-later"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := s.HandoffRefused(ctx, "taken"); err == nil {
		t.Error("HandoffRefused after Close: no error")
	}

	s, err = open()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if r := report(s); r.Messages != 3 || r.Handoffs != 1 {
		t.Errorf("report: %d messages, %d handoffs; want 3 messages and the one handoff taken", r.Messages, r.Handoffs)
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	dir := t.TempDir()
	for i := 0; i < 3; i++ {
		s, err := Open(context.Background(), dir)
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		s.Close()
	}
}

// What is recorded before Close is stored; after it, Record refuses
// without blocking, and the refusals are counted.
func TestCloseFlushesAndRefuses(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3000; i++ { // more than one batch
		if err := s.Record(ctx, bot.Exchange{At: time.Now(), Channel: "web", UserHash: "u", Text: "hi", Intent: "greeting"}); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	if err := s.Record(ctx, bot.Exchange{At: time.Now(), Text: "late"}); err == nil || s.Dropped() != 1 {
		t.Errorf("Record after Close: %v, dropped %d", err, s.Dropped())
	}
	s, err = Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r, err := s.Report(ctx, time.Now().Add(-time.Hour), strings.TrimSpace, nil, 0.5, 5)
	if err != nil || r.Messages != 3000 {
		t.Fatalf("stored %d of 3000 (%v)", r.Messages, err)
	}
}

// The writer checkpoints the write-ahead log itself, at a quiet moment:
// after a burst of exchanges, the rows reach the database file.
func TestCheckpointAfterABurst(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	db := filepath.Join(dir, "supportbot.db")
	before, err := os.Stat(db)
	if err != nil {
		t.Fatal(err)
	}
	for i := range checkpointDue + 1000 {
		if err := s.Record(t.Context(), bot.Exchange{At: time.Now(), Channel: "web", UserHash: "u" + strconv.Itoa(i%50),
			Text: "收不到管局短信", Lang: "zh", Intent: "sms_missing", AnswerID: "2#0"}); err != nil {
			t.Fatal(err)
		}
	}
	// The burst is one big flush; the quiet flush after it checkpoints.
	waitForGrowth(t, db, before.Size(), 512<<10, "the log was not checkpointed")
	var n int
	if err := s.db.QueryRow(`SELECT count(*) FROM exchanges`).Scan(&n); err != nil || n != checkpointDue+1000 {
		t.Errorf("%d rows (%v), want %d", n, err, checkpointDue+1000)
	}
}

// Writes that do not go through the writer (feedback here) reach the
// database file at a quiet moment once checkpointEvery has passed.
func TestCheckpointAfterOtherWrites(t *testing.T) {
	defer func(d time.Duration) { checkpointEvery = d }(checkpointEvery)
	checkpointEvery = 200 * time.Millisecond
	dir := t.TempDir()
	s, err := Open(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	time.Sleep(300 * time.Millisecond) // the first quiet flush checkpoints the empty log
	db := filepath.Join(dir, "supportbot.db")
	before, err := os.Stat(db)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2000 {
		if err := s.SaveFeedback(t.Context(), bot.Feedback{Channel: "web", User: "u" + strconv.Itoa(i), Intent: "sms_missing", Helpful: i%2 == 0, At: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	waitForGrowth(t, db, before.Size(), 64<<10, "feedback was not checkpointed")
}

// waitForGrowth waits up to 5 s for the file at path to grow from before
// by more than by bytes, and fails with why if it does not.
func waitForGrowth(t *testing.T, path string, before, by int64, why string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() > before+by {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("database file still %d bytes (was %d): %s", fi.Size(), before, why)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// One row the database refuses does not take its batch with it: the
// others are stored, the refused one is counted; when nothing can be
// written, Healthy says so until a write works again. Text that is not
// valid UTF-8, or holds NUL (which PostgreSQL refuses), is stored with
// U+FFFD in its place.
func testOneBadRowAmongMany(t *testing.T, open func() (*Store, error)) {
	ctx := context.Background()
	s, err := open()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	refuse := func(f func(bot.Exchange) error) { s.refuse.Store(&f) }
	refuse(func(x bot.Exchange) error {
		if x.Text == "refused" {
			return errors.New("the database refuses this row")
		}
		return nil
	})
	since := time.Now()
	for i := range 60 {
		s.Record(ctx, bot.Exchange{At: time.Now(), Channel: "web", UserHash: fmt.Sprint(i), Text: fmt.Sprintf("问题 %d", i), Intent: "none"})
	}
	s.Record(ctx, bot.Exchange{At: time.Now(), Channel: "slack", UserHash: "x", Text: "/checknum \xff\x00", Intent: "checknum"})
	s.Record(ctx, bot.Exchange{At: time.Now(), Channel: "web", UserHash: "y", Text: "refused", Intent: "none"})
	waitUntil(t, func() bool {
		r, err := s.Report(ctx, since, strings.TrimSpace, nil, 0.5, 100)
		return err == nil && r.Messages == 61
	})
	if d := s.Dropped(); d != 1 {
		t.Errorf("%d exchanges dropped, want the refused one", d)
	}
	if err := s.Healthy(); err != nil {
		t.Errorf("Healthy after a partly stored batch: %v", err)
	}
	refuse(func(bot.Exchange) error { return errors.New("the database is read-only") })
	s.Record(ctx, bot.Exchange{At: time.Now(), Channel: "web", UserHash: "z", Text: "lost", Intent: "none"})
	waitUntil(t, func() bool { return s.Healthy() != nil })
	s.refuse.Store(nil)
	s.Record(ctx, bot.Exchange{At: time.Now(), Channel: "web", UserHash: "z", Text: "stored", Intent: "none"})
	waitUntil(t, func() bool { return s.Healthy() == nil })
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	for range 100 {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("timed out")
}

func TestOneBadRowAmongMany(t *testing.T) {
	dir := t.TempDir()
	testOneBadRowAmongMany(t, func() (*Store, error) { return Open(context.Background(), dir) })
}

// testColumnAddedAlready: a database whose columns are ahead of its schema
// version (a build between versions added one) migrates without error.
func testColumnAddedAlready(t *testing.T, open func() (*Store, error)) {
	s, err := open()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Exec(`DELETE FROM schema_version WHERE version = (SELECT MAX(version) FROM schema_version)`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = open()
	if err != nil {
		t.Fatalf("migrating a database that has the column already: %v", err)
	}
	s.Close()
}

func TestColumnAddedAlready(t *testing.T) {
	dir := t.TempDir()
	testColumnAddedAlready(t, func() (*Store, error) { return Open(context.Background(), dir) })
}
