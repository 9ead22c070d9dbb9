package sqlstore

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/supportbot/supportbot/bot"
)

func TestInbox(t *testing.T) {
	dir := t.TempDir()
	testInbox(t, func() (*Store, error) { return Open(context.Background(), dir) })
}

// testInbox: what was put survives a close (a crash loses no more: each
// Put has committed), is claimed by another owner only once its lease has
// ended or been released, once, and Done drops it for good.
func testInbox(t *testing.T, open func() (*Store, error)) {
	ctx := context.Background()
	s, err := open()
	if err != nil {
		t.Fatal(err)
	}
	// Many puts at once share commits, and each returns once stored.
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			e := bot.InboxEntry{ID: fmt.Sprint("slack:Ev", i), Channel: "slack", Payload: []byte{byte(i), 0, 0xff}}
			if err := s.Put(ctx, e, "a", time.Minute); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if err := s.Put(ctx, bot.InboxEntry{ID: "slack:Ev0", Channel: "slack", Payload: []byte("again")}, "a", time.Minute); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Claim(ctx, "slack", "b", time.Minute, 100); len(got) != 0 {
		t.Fatalf("claimed %d entries under a live lease", len(got))
	}
	for i := range 10 {
		s.Done(fmt.Sprint("slack:Ev", i))
	}
	if err := s.Release(ctx, "a"); err != nil { // stored after the Dones
		t.Fatal(err)
	}
	s.Close()

	s, err = open()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got, _ := s.Claim(ctx, "wecom", "b", time.Minute, 100); len(got) != 0 {
		t.Errorf("another channel claimed %d entries", len(got))
	}
	got, err := s.Claim(ctx, "slack", "b", time.Minute, 30)
	if err != nil || len(got) != 30 {
		t.Fatalf("claimed %d, %v; want 30 of the 40 left", len(got), err)
	}
	more, _ := s.Claim(ctx, "slack", "c", time.Minute, 100)
	if len(more) != 10 {
		t.Fatalf("second claim took %d, want the other 10", len(more))
	}
	seen := map[string]bool{}
	for _, e := range append(got, more...) {
		if seen[e.ID] || e.ID == "slack:Ev0" {
			t.Errorf("%s claimed twice or after Done", e.ID)
		}
		seen[e.ID] = true
		var i int
		fmt.Sscanf(e.ID, "slack:Ev%d", &i)
		if len(e.Payload) != 3 || e.Payload[0] != byte(i) || e.Payload[2] != 0xff || e.At.IsZero() {
			t.Errorf("%s: payload %v at %v", e.ID, e.Payload, e.At)
		}
	}
	// A lease that ends (its replica died) is claimed again; a renewed
	// one is not.
	if err := s.Renew(ctx, "b", time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.Renew(ctx, "c", -time.Second); err != nil {
		t.Fatal(err)
	}
	again, _ := s.Claim(ctx, "slack", "d", time.Minute, 100)
	if len(again) != 10 {
		t.Errorf("after c's lease ended, claimed %d, want its 10", len(again))
	}
}

// TestInboxKeepsOrder: a put and a drop of one id in the same batch end as
// they were sent, whichever came first; a release of some ids leaves the
// others leased.
func TestInboxKeepsOrder(t *testing.T) {
	s, err := Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	e := func(id string) bot.InboxEntry { return bot.InboxEntry{ID: id, Channel: "slack", Payload: []byte("x")} }
	// Put then drop (an event stored after its request gave up), and drop
	// then put (an event refused, then retried), in one batch.
	ops := []inboxOp{{put: ptr(e("a")), owner: "o", lease: -time.Second}, {drop: "a"},
		{drop: "b"}, {put: ptr(e("b")), owner: "o", lease: -time.Second}}
	if err := s.applyInbox(ops); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Claim(ctx, "slack", "p", time.Minute, 10)
	if len(got) != 1 || got[0].ID != "b" {
		t.Errorf("claimed %v, want only b", got)
	}
	for _, id := range []string{"c", "d"} {
		if err := s.Put(ctx, e(id), "q", time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Release(ctx, "q", "c"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Claim(ctx, "slack", "r", time.Minute, 10); len(got) != 1 || got[0].ID != "c" {
		t.Errorf("after releasing c: claimed %v, want c", got)
	}
}

func ptr[T any](v T) *T { return &v }
