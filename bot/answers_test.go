package bot

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/supportbot/supportbot/bot/match"
	"github.com/supportbot/supportbot/knowledge"
)

// newHelpdeskBot is a bot over an operator's FAQ with no rules written for
// it (testdata/helpdesk): an IT helpdesk, with an English twin and a second
// topic file without one.
func newHelpdeskBot(t *testing.T, opts ...BotOption) *Bot {
	t.Helper()
	kb, err := knowledge.LoadDir("testdata/helpdesk")
	if err != nil {
		t.Fatal(err)
	}
	norm, err := match.NewNormalizer()
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(kb, norm, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestAnyFAQIsAnsweredWithoutRules(t *testing.T) {
	b := newHelpdeskBot(t)
	tests := []struct {
		text, want string
	}{
		// Every question as written, in both languages.
		{"忘记密码怎么办？", "忘记密码怎么办"},
		{"账号被锁定了怎么办？", "账号被锁定了怎么办"},
		{"VPN 连不上怎么办？", "VPN 连不上怎么办"},
		{"What if my account is locked?", "账号被锁定了怎么办"},
		{"Outlook 打不开怎么办？", "Outlook 打不开怎么办"},
		// Other wordings: colloquial, traditional, pinyin, a typo, English.
		{"密码忘了咋整", "忘记密码怎么办"},
		{"帳號被鎖了", "账号被锁定了怎么办"},
		{"mima wangle zenme chongzhi mima", "忘记密码怎么办"},
		{"mi ma wang le", "忘记密码怎么办"},
		{"i forgot my pasword", "忘记密码怎么办"},
		{"vpn wont connect from home", "VPN 连不上怎么办"},
		// An also: phrasing.
		{"找不到打印机", "打印机怎么添加"},
	}
	for _, tt := range tests {
		c := b.Classify(tt.text)
		if got := b.KB().Family(c.Intent); got != tt.want {
			t.Errorf("%q: answered with %q (clarify %v), want %q", tt.text, c.Intent, c.Clarify, tt.want)
		}
	}
	for _, text := range []string{"今天天气怎么样", "what is the capital of France", "食堂几点开饭"} {
		if c := b.Classify(text); c.Intent != knowledge.None {
			t.Errorf("%q: answered with %q, want none", text, c.Intent)
		}
	}
}

func TestAStepThatFitsBetterIsTheAnswer(t *testing.T) {
	b := newHelpdeskBot(t)
	r := b.Respond(context.Background(), Message{Channel: "t", User: "u", Text: "VPN 连不上，重启电脑有用吗"})
	if r.Source == nil || r.Source.Step != 3 {
		t.Fatalf("answer %+v, want step 3 of the VPN entry", r.Source)
	}
	if !strings.Contains(r.PlainText(), "第 3 步") {
		t.Errorf("a step answer points to the whole entry:\n%s", r.PlainText())
	}
}

func TestEnglishReadersOfAFileWithoutTwinGetTheChineseAnswer(t *testing.T) {
	b := newHelpdeskBot(t)
	r := b.Respond(context.Background(), Message{Channel: "t", User: "u", Text: "outlook won't open"})
	text := r.PlainText()
	if r.Source == nil || !strings.Contains(text, "Outlook 打不开怎么办") || !strings.Contains(text, "only available in Chinese") {
		t.Errorf("answer:\n%s", text)
	}
}

func TestMessagesListTheFAQsQuestions(t *testing.T) {
	b := newHelpdeskBot(t)
	for _, q := range []struct{ text, want string }{
		{"/help", "VPN 连不上怎么办"},
		{"今天天气怎么样", "忘记密码怎么办"},
		{"hello", "What if I forgot my password"},
	} {
		r := b.Respond(context.Background(), Message{Channel: "t", User: "u", Text: q.text})
		if text := r.PlainText(); !strings.Contains(text, q.want) || strings.Contains(text, "MIIT") || strings.Contains(text, "管局") {
			t.Errorf("%q:\n%s\nwant it to list %q and no word of the built-in FAQ", q.text, text, q.want)
		}
	}
}

func TestNoTableNoNumberCheck(t *testing.T) {
	b := newHelpdeskBot(t)
	r := b.Respond(context.Background(), Message{Channel: "t", User: "u", Text: "/checknum 13812345678"})
	if !strings.Contains(r.PlainText(), "没有配置号段表") {
		t.Errorf("/checknum without a table:\n%s", r.PlainText())
	}
	r = b.CheckNumbers(context.Background(), "slack", "U1", "138", "en")
	if !strings.Contains(r.PlainText(), "no number table") {
		t.Errorf("/checknum without a table, in English:\n%s", r.PlainText())
	}
}

func TestAnEntryThatAsksForANumber(t *testing.T) {
	b := newHelpdeskBot(t, WithConversations(NewMemoryConversations(), 0))
	r := b.Respond(context.Background(), Message{Channel: "t", User: "u", Text: "我的手机号能领新员工电脑吗"})
	if !strings.Contains(r.PlainText(), "请发送您的手机号码") {
		t.Errorf("an answer that asks for a number, asked about my number without it:\n%s", r.PlainText())
	}
}

func TestPinyinNamesAreNoTypos(t *testing.T) {
	b := newTestBot(t)
	for _, text := range []string{"I live in Hunan", "i live in hunan"} {
		if c := b.Classify(text); c.Intent == "human" {
			t.Errorf("%q: handed to a person (hunan read as human)", text)
		}
	}
	if c := b.Classify("i want to talk to a humna"); c.Intent != "human" {
		t.Errorf("a typo of human: %q, want human", c.Intent)
	}
}

// Whatever bytes a channel passes, what the bot answers, records and
// shows agents is valid text: the invariant the exchange log relies on.
func TestMessagesAreValidText(t *testing.T) {
	var got []Exchange
	b := newHelpdeskBot(t, WithRecorder(recorderFunc(func(x Exchange) { got = append(got, x) })))
	r := b.Respond(context.Background(), Message{Channel: "web\xff", User: "u\x00", Text: "密码\xff忘了\x00"})
	b.CheckNumbers(context.Background(), "slack", "U1", "138\xff", "zh")
	for _, s := range []string{r.Asked, got[0].Text, got[0].Channel, got[1].Text} {
		if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
			t.Errorf("%q is not valid text", s)
		}
	}
}

type recorderFunc func(Exchange)

func (f recorderFunc) Record(_ context.Context, x Exchange) error { f(x); return nil }
