package bot

import (
	"context"
	"strings"
	"testing"
)

// The Home page lists the FAQ's questions, whatever FAQ is loaded, and
// explains /checknum only where there is a table to check against.
func TestHomeListsTheFAQ(t *testing.T) {
	tests := []struct {
		name     string
		b        *Bot
		lang     string
		checknum bool
	}{
		{"built-in, Chinese", newTestBot(t), "zh", true},
		{"built-in, English", newTestBot(t), "en", true},
		{"another FAQ without a table", newHelpdeskBot(t), "zh", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.b.Home(tt.lang)
			text := r.PlainText()
			if r.Lang != tt.lang || r.Title != tt.b.KB().Message("home_title", tt.lang) {
				t.Errorf("lang %q, title %q", r.Lang, r.Title)
			}
			for _, e := range tt.b.KB().FAQ(tt.lang).Entries {
				if q := strings.TrimRight(e.Question, "?？"); !strings.Contains(strings.ToLower(text), strings.ToLower(q)) {
					t.Errorf("the Home page does not name %q:\n%s", q, text)
				}
			}
			if got := strings.Contains(text, "/checknum 13812345678"); got != tt.checknum {
				t.Errorf("explains /checknum: %v, want %v:\n%s", got, tt.checknum, text)
			}
		})
	}
}

func TestConversationLang(t *testing.T) {
	b, _ := newConversationalBot(t)
	ctx := context.Background()
	msg := Message{Channel: "slack", User: "U1", Thread: "D1:"}
	if got := b.ConversationLang(ctx, msg); got != "" {
		t.Errorf("before any message: %q, want unknown", got)
	}
	b.Respond(ctx, Message{Channel: "slack", User: "U1", Thread: "D1:", Text: "the MIIT text never came"})
	if got := b.ConversationLang(ctx, msg); got != "en" {
		t.Errorf("after an English message: %q, want en", got)
	}
	if got := newTestBot(t).ConversationLang(ctx, msg); got != "" {
		t.Errorf("a bot that keeps no conversations: %q", got)
	}
}
