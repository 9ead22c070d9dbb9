package slack

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	goslack "github.com/slack-go/slack"
	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/bot/chanstate"
	"github.com/supportbot/supportbot/bot/sqlstore"
)

// replica is one process's Slack adapter on a shared inbox (the exchange
// log's SQLite database, as served).
type replica struct {
	fake    *fakeSlack
	adapter *Adapter
	server  *httptest.Server
}

func newReplica(t *testing.T, ctx context.Context, inbox bot.Inbox, lease time.Duration, hang bool) *replica {
	t.Helper()
	fake := newFakeSlack(t)
	if hang {
		fake.gate = make(chan struct{}) // Slack's API hangs until the test ends
		t.Cleanup(func() { close(fake.gate) })
	}
	client := goslack.New("xoxb-test", goslack.OptionAPIURL(fake.srv.URL+"/api/"))
	a := New(newBot(t), client, chanstate.NewMemoryDedup(), bot.NewMemoryFeedback(10),
		Config{SigningSecret: secret, Workers: 2, Inbox: inbox, InboxSecret: []byte("s")}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	a.inbox.Lease, a.inbox.Tick = lease, 50*time.Millisecond
	a.Start(ctx)
	mux := http.NewServeMux()
	a.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &replica{fake: fake, adapter: a, server: srv}
}

func (r *replica) event(t *testing.T, id string) int {
	t.Helper()
	h := harness{server: r.server}
	// Each event in a conversation of its own, named after it.
	inner := `{"type":"message","channel":"` + id + `","channel_type":"im","user":"U1","text":"收不到短信","ts":"1700000000.000001"}`
	code, _ := h.send(t, "/slack/events", "application/json", eventBody(id, inner), nil)
	return code
}

func openInbox(t *testing.T, dir string) *sqlstore.Store {
	t.Helper()
	s, err := sqlstore.Open(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// waitAnswered waits until want events are answered by fake, and maps
// each event to how often it was.
func waitAnswered(t *testing.T, want int, fake *fakeSlack) map[string]int {
	t.Helper()
	count := func() map[string]int {
		n := map[string]int{}
		for _, p := range fake.Posts() {
			n[p.Get("channel")]++
		}
		return n
	}
	for i := 0; i < 500 && len(count()) < want; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // a second answer would come now
	return count()
}

// TestShutdownLeavesTheRestForTheNextStart: the events acknowledged but
// not answered within the shutdown's grace are answered by the next start,
// each once.
func TestShutdownLeavesTheRestForTheNextStart(t *testing.T) {
	dir := t.TempDir()
	store := openInbox(t, dir)
	first := newReplica(t, t.Context(), store, time.Minute, true)
	for i := range 20 {
		if code := first.event(t, fmt.Sprint("EvI", i)); code != 200 {
			t.Fatalf("event %d: %d", i, code)
		}
	}
	first.adapter.CloseWithin(100 * time.Millisecond)
	store.Close()

	store = openInbox(t, dir)
	defer store.Close()
	second := newReplica(t, t.Context(), store, time.Minute, false)
	defer second.adapter.Close()
	got := waitAnswered(t, 20, second.fake)
	for i := range 20 {
		if id := fmt.Sprint("EvI", i); got[id] != 1 {
			t.Errorf("%s answered %d times after the restart, want once", id, got[id])
		}
	}
}

// TestCrashLosesNoAcknowledgedEvent: a replica that dies (no Close, its
// leases run out) leaves its events to another, which answers them once.
func TestCrashLosesNoAcknowledgedEvent(t *testing.T) {
	store := openInbox(t, t.TempDir())
	defer store.Close()
	ctx, die := context.WithCancel(t.Context())
	dying := newReplica(t, ctx, store, 300*time.Millisecond, true)
	for i := range 10 {
		if code := dying.event(t, fmt.Sprint("EvI", i)); code != 200 {
			t.Fatalf("event %d: %d", i, code)
		}
	}
	die() // it stops renewing: dead
	other := newReplica(t, t.Context(), store, 300*time.Millisecond, false)
	defer other.adapter.Close()
	got := waitAnswered(t, 10, other.fake)
	for i := range 10 {
		if id := fmt.Sprint("EvI", i); got[id] != 1 {
			t.Errorf("%s answered %d times by the other replica, want once", id, got[id])
		}
	}
}
