package slack

import (
	"context"
	"strings"
	"testing"

	goslack "github.com/slack-go/slack"
)

// An agent's reply from the console reaches the user in the language of
// their conversation, whether they asked in words or pressed the button
// under an English answer (whose conversation the bot may have forgotten).
func TestAgentReplyFollowsTheConversationsLanguage(t *testing.T) {
	tests := []struct {
		name     string
		ask      func(t *testing.T, a *Adapter, hook string)
		want     string
		mustNot  string
		language string
	}{
		{"asked in English", func(t *testing.T, a *Adapter, _ string) {
			if err := a.answer(context.Background(), incomingMsg{channel: "D1", user: "U1", text: "let me talk to a human", ts: "1.1"}); err != nil {
				t.Fatal(err)
			}
		}, "Support agent: Hello &lt;there&gt;", "人工客服", "en"},
		{"asked in Chinese", func(t *testing.T, a *Adapter, _ string) {
			if err := a.answer(context.Background(), incomingMsg{channel: "D1", user: "U1", text: "转人工", ts: "1.1"}); err != nil {
				t.Fatal(err)
			}
		}, "人工客服：Hello &lt;there&gt;", "Support agent", "zh"},
		{"the button under an English answer", func(t *testing.T, a *Adapter, hook string) {
			cb := goslack.InteractionCallback{Type: goslack.InteractionTypeBlockActions, User: goslack.User{ID: "U1"},
				Channel:     goslack.Channel{GroupConversation: goslack.GroupConversation{Conversation: goslack.Conversation{ID: "D1"}}},
				ResponseURL: hook}
			act := goslack.BlockAction{ActionID: actionHandoff, Value: "en|the SMS never came"}
			if err := a.action(context.Background(), cb, act); err != nil {
				t.Fatal(err)
			}
		}, "Support agent: Hello &lt;there&gt;", "人工客服", "en"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, a, fake := handoffAdapter(t, Config{SigningSecret: secret, Workers: 1, Console: true})
			tt.ask(t, a, fake.srv.URL+"/hook/h")
			ctx := context.Background()
			hs, _ := b.Handoffs(ctx)
			if len(hs) != 1 || hs[0].Lang != tt.language {
				t.Fatalf("open handoffs: %+v, want one in %s", hs, tt.language)
			}
			if err := a.DeliverAgentReply(ctx, hs[0], "Hello <there>"); err != nil {
				t.Fatal(err)
			}
			posts := fake.Posts()
			got := posts[len(posts)-1].Get("text")
			if !strings.Contains(got, tt.want) || strings.Contains(got, tt.mustNot) {
				t.Errorf("agent's reply = %q, want it to say %q", got, tt.want)
			}
		})
	}
}
