package wecom

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/bot/sqlstore"
)

// TestLaterWorkSurvivesAShutdown: a long answer, acknowledged with the
// empty 200 and not yet sent when the adapter stops, is sent by the next
// start on the same inbox, once.
func TestLaterWorkSurvivesAShutdown(t *testing.T) {
	dir := t.TempDir()
	store, err := sqlstore.Open(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	withInbox := func(s bot.Inbox) func(*Config) {
		return func(c *Config) { c.Inbox, c.InboxSecret = s, []byte("secret") }
	}
	first := newHarness(t, withInbox(store))
	first.fake.hang = make(chan struct{}) // message/send hangs
	var nums []string
	for i := 0; i < 40; i++ {
		nums = append(nums, fmt.Sprintf("1921234%04d", i))
	}
	if code, body := first.post(t, textMsg("lisi", "/checknum "+strings.Join(nums, " "), "later1")); code != 200 || body != "" {
		t.Fatalf("got %d %q, want an empty 200", code, body)
	}
	first.adapter.CloseWithin(100 * time.Millisecond)
	close(first.fake.hang)
	store.Close()

	store, err = sqlstore.Open(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	second := newHarness(t, withInbox(store))
	for i := 0; i < 300; i++ {
		second.fake.mu.Lock()
		n := len(second.fake.sends)
		second.fake.mu.Unlock()
		if n >= 2 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // a second sending would come now
	second.adapter.Close()
	second.fake.mu.Lock()
	defer second.fake.mu.Unlock()
	var all strings.Builder
	for _, s := range second.fake.sends {
		if s["msgtype"] == "markdown" && s["touser"] == "lisi" {
			all.WriteString(s["markdown"].(map[string]any)["content"].(string))
		}
	}
	// Each number's verdict once: the whole answer, sent once.
	if n, m := strings.Count(all.String(), `192\*\*\*\*0000`), strings.Count(all.String(), `192\*\*\*\*0039`); n != 1 || m != 1 {
		t.Errorf("the next start sent the first number %d times and the last %d times, want once each:\n%s", n, m, all.String())
	}
}
