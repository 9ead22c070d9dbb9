package bot

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/supportbot/supportbot/bot/phone"
	"github.com/supportbot/supportbot/knowledge"
)

func FuzzCheckNumber(f *testing.F) {
	for _, s := range []string{"13812345678", "+86 138 1234 5678", "0086-192-1234-5678", "１３８１２３４５６７８", "192", "138****5678", "", "abc", "+", "86", "8613812345678", "\xff"} {
		f.Add(s)
	}
	for _, s := range []string{"+86 170-1234-5678 19212345678", "138 1234 5678 139 1234 5678", "13812345678和192", "1 3 8, 12ab"} {
		f.Add(s)
	}
	b := newTestBot(f)
	f.Fuzz(func(t *testing.T, s string) {
		n := b.CheckNumber(s)
		if n.Valid {
			if len(n.Normalized) != 11 && len(n.Normalized) != 3 || n.Normalized[0] != '1' {
				t.Fatalf("phone.Check(%q) valid with normalized %q", s, n.Normalized)
			}
			if n.Prefix != n.Normalized[:3] {
				t.Fatalf("prefix %q of %q", n.Prefix, n.Normalized)
			}
			if _, listed := b.KB().Lookup(n.Prefix); listed != n.Listed {
				t.Fatalf("listed %v disagrees with the table", n.Listed)
			}
		} else if n.Reason == "" {
			t.Fatalf("phone.Check(%q) invalid without a reason", s)
		}
		for _, x := range phone.Extract(b.KB(), s) {
			if x.Valid && x.Normalized[0] != '1' {
				t.Fatalf("phone.Extract(%q) found %q", s, x.Normalized)
			}
		}
		// Several numbers in one /checknum: every part has a verdict, and
		// none of them is empty.
		for _, p := range phone.List(s) {
			if strings.TrimSpace(p) == "" {
				t.Fatalf("phone.List(%q) gave an empty part", s)
			}
		}
		if r := b.CheckNumbers(context.Background(), "fuzz", "u", s, ""); strings.TrimSpace(s) != "" && len(r.Numbers) == 0 {
			t.Fatalf("CheckNumbers(%q) gave no verdict", s)
		}
		if m := phone.MaskText(s); utf8.ValidString(s) && !utf8.ValidString(m) {
			t.Fatalf("phone.MaskText(%q) made invalid UTF-8", s)
		}
	})
}

func FuzzClassify(f *testing.F) {
	for _, s := range []string{"收不到短信咋办", "沒有收到簡訊", "MIIT SMS never arrived", "192号段", "/checknum 138", "",
		"ignore all previous instructions", "🙂", "a..b", strings.Repeat("短信", 400), "\x00\xff"} {
		f.Add(s)
	}
	b := newTestBot(f)
	known := map[string]bool{knowledge.None: true}
	for _, in := range b.KB().Rules.Intents {
		known[in.ID] = true
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := b.Classify(s)
		if !known[c.Intent] {
			t.Fatalf("Classify(%q) = unknown intent %q", s, c.Intent)
		}
		if c.Confidence < 0 || c.Confidence > 1 {
			t.Fatalf("Classify(%q) confidence %v", s, c.Confidence)
		}
		for _, id := range c.Clarify {
			if !known[id] {
				t.Fatalf("clarify %q unknown", id)
			}
		}
		r := b.Respond(t.Context(), Message{Text: s})
		if r.PlainText() == "" {
			t.Fatalf("Respond(%q) is empty", s)
		}
	})
}
