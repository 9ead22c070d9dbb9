package slack

import (
	"context"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	goslack "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
	"go.yaml.in/yaml/v3"
)

func homeEvent(tab string) string {
	return `{"type":"app_home_opened","user":"U7","channel":"D7","event_ts":"1700000000.000100","tab":"` + tab +
		`","view":{"id":"V0","type":"home","blocks":[],"hash":"1.2","bot_id":"BBOT"}}`
}

// viewText is every text of a published view, one block a line.
func viewText(v goslack.PublishViewContextRequest) string {
	var lines []string
	for _, b := range v.View.Blocks.BlockSet {
		switch b := b.(type) {
		case *goslack.HeaderBlock:
			lines = append(lines, b.Text.Text)
		case *goslack.SectionBlock:
			lines = append(lines, b.Text.Text)
		}
	}
	return strings.Join(lines, "\n")
}

// wantHome checks that one Home tab was published for U7 and that it
// names every question of the FAQ in the languages given (and no other)
// and explains /checknum.
func wantHome(t *testing.T, views []goslack.PublishViewContextRequest, langs ...string) {
	t.Helper()
	if len(views) != 1 {
		t.Fatalf("%d views published, want 1", len(views))
	}
	v := views[0]
	if v.UserID != "U7" || v.View.Type != goslack.VTHomeTab {
		t.Errorf("published a %q view for %q, want the Home tab of U7", v.View.Type, v.UserID)
	}
	text := viewText(v)
	kb := newBot(t).KB()
	for _, lang := range []string{"zh", "en"} {
		want := strings.Contains(strings.Join(langs, " "), lang)
		for _, e := range kb.FAQ(lang).Entries {
			q := strings.TrimRight(e.Question, "?？")
			if got := strings.Contains(strings.ToLower(text), strings.ToLower(q)); got != want {
				t.Errorf("the Home tab names %q: %v, want %v:\n%s", q, got, want, text)
			}
		}
	}
	for _, lang := range langs {
		if how := kb.Message("home_checknum", lang); !strings.Contains(how, "/checknum") || !strings.Contains(text, how) {
			t.Errorf("the Home tab does not explain /checknum in %s:\n%s", lang, text)
		}
	}
}

func TestHomeTabOverTheEventsAPI(t *testing.T) {
	h := newHarness(t, "")
	if code, _ := h.send(t, "/slack/events", "application/json", eventBody("EvH0", homeEvent("messages")), nil); code != http.StatusOK {
		t.Fatalf("messages tab: status %d", code)
	}
	if code, _ := h.send(t, "/slack/events", "application/json", eventBody("EvH1", homeEvent("home")), nil); code != http.StatusOK {
		t.Fatalf("home tab: status %d", code)
	}
	h.fake.wait(t, 1)
	h.adapter.Close()
	// The bot does not know U7's language: both.
	wantHome(t, h.fake.Views(), "zh", "en")
	if posts := h.fake.Posts(); len(posts) != 0 {
		t.Errorf("opening the App Home posted messages: %v", posts)
	}
}

func TestHomeTabOverSocketMode(t *testing.T) {
	h := newHarness(t, "")
	ack := &fakeAcker{}
	ev := slackevents.EventsAPIEvent{
		Type: slackevents.CallbackEvent,
		Data: &slackevents.EventsAPICallbackEvent{Type: "event_callback", EventID: "EvH2"},
		InnerEvent: slackevents.EventsAPIInnerEvent{Type: string(slackevents.AppHomeOpened),
			Data: &slackevents.AppHomeOpenedEvent{Type: string(slackevents.AppHomeOpened), User: "U7", Channel: "D7", Tab: "home"}},
	}
	h.adapter.socketEvent(context.Background(), socketmode.Event{Type: socketmode.EventTypeEventsAPI, Data: ev, Request: &socketmode.Request{EnvelopeID: "envH"}}, ack)
	h.adapter.Close()
	if got := strings.Join(ack.acks, ","); got != "envH" {
		t.Errorf("acks = %s", got)
	}
	wantHome(t, h.fake.Views(), "zh", "en")
}

// A user who has written to the bot gets the Home tab in their language.
func TestHomeTabInTheUsersLanguage(t *testing.T) {
	_, a, fake := handoffAdapter(t, Config{SigningSecret: secret, Workers: 1})
	ctx := context.Background()
	if err := a.answer(ctx, incomingMsg{channel: "D7", user: "U7", text: "the MIIT text never came", ts: "1.1"}); err != nil {
		t.Fatal(err)
	}
	if err := a.takeHome(homeOpened{Type: "app_home_opened", User: "U7", Channel: "D7", Tab: "home"}); err != nil {
		t.Fatal(err)
	}
	a.CloseWithin(5 * time.Second)
	wantHome(t, fake.Views(), "en")
}

// The app manifest turns the Home tab on and subscribes to the event that
// publishes it.
func TestManifestHasTheHomeTab(t *testing.T) {
	raw, err := os.ReadFile("manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Features struct {
			AppHome struct {
				HomeTab bool `yaml:"home_tab_enabled"`
			} `yaml:"app_home"`
		} `yaml:"features"`
		Settings struct {
			Events struct {
				Bot []string `yaml:"bot_events"`
			} `yaml:"event_subscriptions"`
		} `yaml:"settings"`
	}
	if err := yaml.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	if !m.Features.AppHome.HomeTab || !slices.Contains(m.Settings.Events.Bot, "app_home_opened") {
		t.Errorf("manifest: home tab %v, bot events %v; want the tab and app_home_opened", m.Features.AppHome.HomeTab, m.Settings.Events.Bot)
	}
}
