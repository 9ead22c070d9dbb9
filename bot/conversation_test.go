package bot

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/supportbot/supportbot/knowledge"
)

func newConversationalBot(t *testing.T, opts ...BotOption) (*Bot, *MemoryHandoffs) {
	t.Helper()
	kb, err := knowledge.Default()
	if err != nil {
		t.Fatal(err)
	}
	h := NewMemoryHandoffs()
	opts = append([]BotOption{WithConversations(NewMemoryConversations(), time.Hour), WithHandoffs(h, time.Hour)}, opts...)
	b, err := New(kb, newTestBot(t).norm, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return b, h
}

// say sends the messages of one user in order and returns the replies.
func say(b *Bot, user string, texts ...string) []Reply {
	var out []Reply
	for _, t := range texts {
		out = append(out, b.Respond(context.Background(), Message{Channel: "test", User: user, Text: t}))
	}
	return out
}

func TestClarifyThenChoose(t *testing.T) {
	b, _ := newConversationalBot(t)
	rs := say(b, "u1", "短信是要重发，还是被拦截了", "2")
	if rs[0].Intent != "clarify" || len(rs[0].Clarify) != 2 || !strings.Contains(rs[0].PlainText(), "1. ") {
		t.Fatalf("first reply: %s %v\n%s", rs[0].Intent, rs[0].Clarify, rs[0].PlainText())
	}
	want := rs[0].Clarify[1].Intent
	if rs[1].Intent != want {
		t.Errorf("after choosing 2: intent %s, want %s", rs[1].Intent, want)
	}
	// The choice by words works too, and another user is not affected.
	rs = say(b, "u2", "短信是要重发，还是被拦截了", "被拦截")
	if rs[1].Intent != "sms_missing.blocked" {
		t.Errorf("choosing by words: %s", rs[1].Intent)
	}
	if r := say(b, "u3", "2")[0]; r.Intent == want {
		t.Error("a bare 2 from a new user was taken as a choice")
	}
}

func TestAskForTheNumber(t *testing.T) {
	b, _ := newConversationalBot(t)
	rs := say(b, "u1", "我的号码能收到工信部的短信吗", "19212345678")
	if !strings.Contains(rs[0].PlainText(), "请发送您的手机号码") {
		t.Fatalf("first reply:\n%s", rs[0].PlainText())
	}
	if rs[1].Intent != "sms_missing.prefix" || !strings.Contains(rs[1].PlainText(), "号段 192 不在") {
		t.Errorf("second reply %s:\n%s", rs[1].Intent, rs[1].PlainText())
	}
	rs = say(b, "en1", "can my number receive the MIIT SMS?", "170")
	if !strings.Contains(rs[1].PlainText(), "prefix 170 (China Unicom) is on the MIIT list") {
		t.Errorf("english follow-up:\n%s", rs[1].PlainText())
	}
}

func TestStillNothingWalksTheSteps(t *testing.T) {
	b, _ := newConversationalBot(t)
	rs := say(b, "u1", "短信被拦截了吗", "还是收不到", "still nothing", "还是不行", "还是没有")
	var got []string
	for _, r := range rs {
		got = append(got, r.Intent)
	}
	want := "sms_missing.blocked sms_missing.phone_mismatch sms_missing.resend sms_missing.prefix none"
	if strings.Join(got, " ") != want {
		t.Errorf("intents %v, want %s", got, want)
	}
	if !strings.Contains(rs[4].PlainText(), "人工") {
		t.Errorf("after every step the bot should offer a person:\n%s", rs[4].PlainText())
	}
	// After the whole answer, "still nothing" offers a person at once.
	rs = say(b, "u2", "收不到核验短信", "还是收不到")
	if !strings.Contains(rs[1].PlainText(), "人工") {
		t.Errorf("after the whole answer:\n%s", rs[1].PlainText())
	}
}

func TestHandoffSilencesTheBotUntilResolved(t *testing.T) {
	b, h := newConversationalBot(t)
	r := say(b, "u1", "转人工")[0]
	if !r.Handoff || r.HandoffID == "" || r.Silent {
		t.Fatalf("handoff reply %+v", r)
	}
	if list, _ := h.List(context.Background()); len(list) != 1 || list[0].User != "u1" {
		t.Fatalf("queue %+v", list)
	}
	if r := say(b, "u1", "收不到短信")[0]; !r.Silent {
		t.Errorf("the bot answered during a handoff: %s", r.PlainText())
	}
	if r := say(b, "u2", "收不到短信")[0]; r.Silent {
		t.Error("another user was silenced")
	}
	if _, err := h.Resolve(context.Background(), r.HandoffID); err != nil {
		t.Fatal(err)
	}
	if r := say(b, "u1", "收不到短信")[0]; r.Silent || r.Intent != "sms_missing" {
		t.Errorf("after resolve: silent %v intent %s", r.Silent, r.Intent)
	}
}

// refusalRecorder records exchanges and the handoffs taken back.
type refusalRecorder struct {
	exchanges []Exchange
	refused   []string
}

var _ HandoffRefuser = (*refusalRecorder)(nil)

func (r *refusalRecorder) Record(_ context.Context, x Exchange) error {
	r.exchanges = append(r.exchanges, x)
	return nil
}

func (r *refusalRecorder) HandoffRefused(_ context.Context, id string) error {
	r.refused = append(r.refused, id)
	return nil
}

func TestRefusedHandoffIsTakenBackFromTheLog(t *testing.T) {
	rec := &refusalRecorder{}
	b, h := newConversationalBot(t, WithRecorder(rec))
	r := say(b, "u1", "转人工")[0]
	if len(rec.exchanges) != 1 || !rec.exchanges[0].Handoff || rec.exchanges[0].HandoffID != r.HandoffID {
		t.Fatalf("recorded %+v, want the handoff %q", rec.exchanges, r.HandoffID)
	}
	if out := b.HandoffFailed(context.Background(), r); out.Handoff || !strings.Contains(out.PlainText(), "暂时无法通知人工客服") {
		t.Errorf("HandoffFailed answered %+v", out)
	}
	if len(rec.refused) != 1 || rec.refused[0] != r.HandoffID {
		t.Errorf("refused %q, want the handoff %q", rec.refused, r.HandoffID)
	}
	if list, _ := h.List(context.Background()); len(list) != 0 {
		t.Errorf("queue %+v, want the refused handoff ended", list)
	}
	// A handoff a person takes stays one.
	r = say(b, "u2", "转人工")[0]
	if err := b.Resolve(context.Background(), r.HandoffID); err != nil || len(rec.refused) != 1 {
		t.Errorf("Resolve: %v, refused %q", err, rec.refused)
	}
}

// TestHandoffOnlyWhereADeskSees: a request for a person from a channel no
// agent desk sees is answered "no agent available" in the user's language,
// and opens no handoff; one from a channel a desk sees opens one.
func TestHandoffOnlyWhereADeskSees(t *testing.T) {
	rec := &refusalRecorder{}
	b, h := newConversationalBot(t, WithRecorder(rec), WithDesks(Desks{"slack"}))
	for _, tt := range []struct{ channel, text, want string }{
		{"test", "转人工", "没有配置人工客服"},
		{"test", "I want to talk to a human", "no support team is set up"},
	} {
		r := b.Respond(context.Background(), Message{Channel: tt.channel, User: "u1", Text: tt.text})
		if r.Handoff || r.HandoffID != "" || !strings.Contains(r.PlainText(), tt.want) {
			t.Errorf("%q from %s: %+v", tt.text, tt.channel, r)
		}
	}
	if list, _ := h.List(context.Background()); len(list) != 0 || len(rec.exchanges) != 2 || rec.exchanges[0].Handoff {
		t.Errorf("handoffs %+v, log %+v; want none", list, rec.exchanges)
	}
	if r := b.Respond(context.Background(), Message{Channel: "slack", User: "u1", Request: RequestHandoff}); !r.Handoff || r.HandoffID == "" {
		t.Errorf("the button in Slack: %+v", r)
	}
}

func TestRateLimit(t *testing.T) {
	b, _ := newConversationalBot(t, WithRateLimiter(NewMemoryRateLimiter(2)))
	rs := say(b, "u1", "你好", "收不到短信", "收不到短信")
	if rs[1].RateLimited || !rs[2].RateLimited || !strings.Contains(rs[2].PlainText(), "稍等") {
		t.Errorf("rate limited: %v %v %v", rs[0].RateLimited, rs[1].RateLimited, rs[2].RateLimited)
	}
	if r := say(b, "u2", "你好")[0]; r.RateLimited {
		t.Error("another user was limited")
	}
}

// A clarify button names its option: it is answered even when the
// conversation no longer waits for a choice, and ends a wait that it does.
func TestClarifyChoiceByButton(t *testing.T) {
	b, _ := newConversationalBot(t)
	ctx := context.Background()
	first := say(b, "u1", "短信是要重发，还是被拦截了")[0]
	if first.Intent != "clarify" || len(first.Clarify) != 2 {
		t.Fatalf("first reply: %s %v", first.Intent, first.Clarify)
	}
	want := first.Clarify[0].Intent
	r := b.Respond(ctx, Message{Channel: "test", User: "u1", Text: "1", Choice: want})
	if r.Intent != want {
		t.Errorf("button 1: intent %s, want %s", r.Intent, want)
	}
	if r := say(b, "u1", "2")[0]; r.Intent == first.Clarify[1].Intent {
		t.Error("after the button, a bare 2 was still taken as a choice")
	}
	// A button of an old card, the conversation forgotten (another user):
	// still its option, in the card's language.
	r = b.Respond(ctx, Message{Channel: "test", User: "u9", Text: "2", Choice: "sms_missing.blocked", Lang: "en"})
	if r.Intent != "sms_missing.blocked" || r.Lang != "en" {
		t.Errorf("old card: intent %s lang %s", r.Intent, r.Lang)
	}
	if r := b.Respond(ctx, Message{Channel: "test", User: "u9", Text: "2", Choice: "no such intent"}); r.Intent == "no such intent" {
		t.Error("an unknown choice was answered as an intent")
	}
}
