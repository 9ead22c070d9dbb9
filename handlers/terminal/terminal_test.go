package terminal

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/knowledge"
)

// fakeResponder answers with respond and records every message it got.
type fakeResponder struct {
	respond func(ctx context.Context, msg bot.Message) bot.Reply
	got     []bot.Message
}

var _ Responder = (*fakeResponder)(nil)

func (f *fakeResponder) Respond(ctx context.Context, msg bot.Message) bot.Reply {
	f.got = append(f.got, msg)
	return f.respond(ctx, msg)
}

func (f *fakeResponder) NoAgent(_ context.Context, r bot.Reply) bot.Reply {
	return bot.Reply{Blocks: []bot.Block{{Text: knowledge.Text{{Text: "no agent here"}}}}}
}

// echo answers "echo: TEXT".
func echo() *fakeResponder {
	return &fakeResponder{respond: func(_ context.Context, msg bot.Message) bot.Reply {
		return bot.Reply{Blocks: []bot.Block{{Text: knowledge.Text{{Text: "echo: " + msg.Text}}}}}
	}}
}

func TestChat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		in     string
		prompt string
		want   string   // all of out
		texts  []string // messages the responder saw
	}{
		{
			name:  "each line is answered",
			in:    "你好\n收不到短信\n",
			want:  "echo: 你好\n\necho: 收不到短信\n\n",
			texts: []string{"你好", "收不到短信"},
		},
		{
			name:  "blank lines are skipped",
			in:    "\n   \n\t\nhi\n\n",
			want:  "echo: hi\n\n",
			texts: []string{"hi"},
		},
		{
			name:  "lines are trimmed",
			in:    "  hi there \r\n",
			want:  "echo: hi there\n\n",
			texts: []string{"hi there"},
		},
		{
			name:  "exit stops reading",
			in:    "one\nexit\ntwo\n",
			want:  "echo: one\n\n",
			texts: []string{"one"},
		},
		{
			name:  "quit in any case stops reading",
			in:    "QUIT\ntwo\n",
			want:  "",
			texts: nil,
		},
		{
			name:  "退出 stops reading",
			in:    "退出\ntwo\n",
			want:  "",
			texts: nil,
		},
		{
			name:  "last line without newline is answered",
			in:    "one",
			want:  "echo: one\n\n",
			texts: []string{"one"},
		},
		{
			name:   "prompt is shown before each line and at eof",
			in:     "a\n\nb\n",
			prompt: "> ",
			want:   "> echo: a\n\n> > echo: b\n\n> ",
			texts:  []string{"a", "b"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := echo()
			var out bytes.Buffer
			if err := Chat(context.Background(), r, strings.NewReader(tt.in), &out, "me", tt.prompt); err != nil {
				t.Fatalf("Chat: %v", err)
			}
			if diff := cmp.Diff(tt.want, out.String()); diff != "" {
				t.Errorf("output mismatch (-want +got):\n%s", diff)
			}
			var texts []string
			for _, m := range r.got {
				texts = append(texts, m.Text)
				if m.Channel != "terminal" || m.User != "me" {
					t.Errorf("message %q has channel %q user %q, want terminal and me", m.Text, m.Channel, m.User)
				}
			}
			if diff := cmp.Diff(tt.texts, texts); diff != "" {
				t.Errorf("messages mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestChatStopsWhenContextEnds(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	r := &fakeResponder{respond: func(context.Context, bot.Message) bot.Reply {
		cancel() // the user pressed Ctrl-C while the first answer was composed
		return bot.Reply{Blocks: []bot.Block{{Text: knowledge.Text{{Text: "first"}}}}}
	}}
	var out bytes.Buffer
	if err := Chat(ctx, r, strings.NewReader("one\ntwo\nthree\n"), &out, "me", ""); err != nil {
		t.Fatalf("Chat: %v", err)
	}
	if len(r.got) != 1 {
		t.Errorf("responder got %d messages after cancel, want 1", len(r.got))
	}
	if got, want := out.String(), "first\n\n"; got != want {
		t.Errorf("output = %q, want %q", got, want)
	}
}

func TestChatReportsReadError(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	err := Chat(context.Background(), echo(), iotest.ErrReader(boom), &bytes.Buffer{}, "me", "")
	if !errors.Is(err, boom) {
		t.Errorf("Chat error = %v, want it to wrap %v", err, boom)
	}
}
