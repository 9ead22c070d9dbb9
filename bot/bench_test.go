package bot

import (
	"testing"

	"github.com/supportbot/supportbot/bot/match"
	"github.com/supportbot/supportbot/knowledge"
)

// BenchmarkClassify classifies a mixed set (Chinese, traditional, English,
// numbers, out-of-scope) one message per iteration.
func BenchmarkClassify(b *testing.B) {
	bot := newTestBot(b)
	set := readSet(b, "../testdata/eval/tune.jsonl")
	m := bot.cur.Load().m
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Match(set[i%len(set)].Text)
	}
}

func BenchmarkRespond(b *testing.B) {
	bot := newTestBot(b)
	set := readSet(b, "../testdata/eval/tune.jsonl")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		bot.Respond(b.Context(), Message{Text: set[i%len(set)].Text}).PlainText()
	}
}

// BenchmarkStartup loads the knowledge and compiles the matcher, the work
// done before the first answer.
func BenchmarkStartup(b *testing.B) {
	for i := 0; i < b.N; i++ {
		kb, err := knowledge.Default()
		if err != nil {
			b.Fatal(err)
		}
		norm, err := match.NewNormalizer()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := New(kb, norm); err != nil {
			b.Fatal(err)
		}
	}
}

func TestFill(t *testing.T) {
	for _, c := range []struct{ tmpl, want string }{
		{"{a}x{b}{c", "1x22{c"},
		{"none", "none"},
		{"{b}{a}{", "221{"},
	} {
		if got := fill(c.tmpl, "{a}", "1", "{b}", "22"); got != c.want {
			t.Errorf("fill(%q) = %q, want %q", c.tmpl, got, c.want)
		}
	}
}
