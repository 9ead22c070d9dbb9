package retrieval

import (
	"flag"
	"fmt"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"testing"

	"github.com/mozillazg/go-pinyin"
)

var update = flag.Bool("update", false, "rewrite pinyin.txt from the go-pinyin module's dictionary")

// generatePinyin writes pinyin.txt from the module.
func generatePinyin(t *testing.T) string {
	t.Helper()
	args := pinyin.NewArgs() // Normal style: no tones
	by := map[string][]rune{}
	for r := rune(cjkLo); r <= cjkHi; r++ {
		ps := pinyin.SinglePinyin(r, args)
		if len(ps) == 0 || ps[0] == "" {
			continue
		}
		s := strings.ReplaceAll(ps[0], "ü", "v")
		by[s] = append(by[s], r)
	}
	syls := make([]string, 0, len(by))
	for s := range by {
		syls = append(syls, s)
	}
	slices.Sort(syls)
	var b strings.Builder
	fmt.Fprintf(&b, "# github.com/mozillazg/go-pinyin %s (MIT License): the first reading of U+4E00..U+9FFF, toneless.\n", moduleVersion(t))
	fmt.Fprintf(&b, "# Generated, do not edit: go test ./bot/retrieval -run TestPinyinTable -update\n")
	for _, s := range syls {
		fmt.Fprintf(&b, "%s\t%s\n", s, string(by[s]))
	}
	return b.String()
}

func moduleVersion(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "github.com/mozillazg/go-pinyin" {
			return f[1]
		}
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/mozillazg/go-pinyin" {
				return d.Version
			}
		}
	}
	t.Fatal("go.mod does not require github.com/mozillazg/go-pinyin")
	return ""
}

func TestPinyinTable(t *testing.T) {
	want := generatePinyin(t)
	if *update {
		if err := os.WriteFile("pinyin.txt", []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if pinyinData != want {
		t.Error("pinyin.txt differs from the go-pinyin module's dictionary: go test ./bot/retrieval -run TestPinyinTable -update")
	}
}

func TestPinyinReadsAndSegments(t *testing.T) {
	p := loadPinyin()
	for r, want := range map[rune]string{'审': "shen", '核': "he", '绿': "lv", '注': "zhu", '销': "xiao"} {
		if got := p.syllable(r); got != want {
			t.Errorf("syllable(%c) = %q, want %q", r, got, want)
		}
	}
	for w, want := range map[string]string{"shenhe": "shen he", "zhuxiao": "zhu xiao", "mima": "mi ma", "beian": "bei an", "password": "", "sms": ""} {
		if got := strings.Join(p.segment(w), " "); got != want {
			t.Errorf("segment(%q) = %q, want %q", w, got, want)
		}
	}
}
