package textcut

import (
	"strings"
	"testing"
)

func TestSplit(t *testing.T) {
	s := strings.Repeat("第一行内容\n", 500)
	for _, p := range Split(s, 2048, false) {
		if len(p) > 2048 || !strings.HasSuffix(p, "内容") {
			t.Fatalf("part of %d bytes ends %q", len(p), p[len(p)-6:])
		}
	}
	long := strings.Repeat("字", 1000)
	if parts := Split(long, 2048, false); strings.Join(parts, "") != long {
		t.Error("split without line breaks lost text")
	}
	link := strings.Repeat("x", 10) + "<https://example.com|link> &amp; more"
	for _, p := range Split(link, 30, true) {
		if strings.Count(p, "<") != strings.Count(p, ">") || strings.Contains(p, "&") && !strings.Contains(p, ";") {
			t.Errorf("markup cut inside: %q", p)
		}
	}
	if got := Split("", 10, false); len(got) != 0 {
		t.Errorf("empty text split into %q", got)
	}
}

func TestTruncate(t *testing.T) {
	for _, c := range []struct {
		in   string
		max  int
		want string
	}{
		{"abc", 3, "abc"}, {"abcd", 3, "ab…"}, {"收不到短信", 5, "收不到短信"}, {"收不到短信了", 5, "收不到短…"}, {"收不到", 2, "收…"}, {"", 3, ""},
	} {
		if got := Truncate(c.in, c.max); got != c.want {
			t.Errorf("Truncate(%q, %d) = %q, want %q", c.in, c.max, got, c.want)
		}
	}
}
