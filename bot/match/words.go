package match

import (
	"strings"

	"github.com/supportbot/supportbot/bot/retrieval"
)

func isWordByte(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// Lang tells the language of a message: Chinese when it has any Chinese
// character or is written in pinyin (see inPinyin), English when it has
// Latin letters, else def.
func Lang(text, def string) string {
	letters := false
	for _, r := range text {
		if IsHan(r) {
			return "zh"
		}
		if r < 0x80 && isLetter(byte(r)) || r >= 0xFF21 && r <= 0xFF5A {
			letters = true
		}
	}
	switch {
	case letters && inPinyin(text):
		return "zh"
	case letters:
		return "en"
	case def == "":
		return "zh"
	}
	return def
}

// inPinyin reports whether a message is Chinese written in pinyin: every
// word reads as pinyin syllables, and one of them as two or more ("beian
// zhuxiao", not "a man").
func inPinyin(text string) bool {
	several := false
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !(r >= 'a' && r <= 'z') }) {
		if retrieval.IsPinyin(w) {
			several = true
		} else if !retrieval.IsSyllable(w) {
			return false
		}
	}
	return several
}

// fixTypos replaces English words the rules do not know with a rule word
// one edit away ("recieve" -> "receive"), so typos still match. A word
// that reads as pinyin is a Chinese name or word, not a typo: "I live in
// Hunan" is not about a human.
func (m *Matcher) fixTypos(s string) string {
	var b *strings.Builder
	last := 0
	for i := 0; i < len(s); {
		if !(s[i] >= 'a' && s[i] <= 'z') {
			i++
			continue
		}
		j := i
		for j < len(s) && s[j] >= 'a' && s[j] <= 'z' {
			j++
		}
		w := s[i:j]
		if len(w) >= 5 && !m.vocab[w] && !m.hasStem(w) && !retrieval.IsPinyin(w) {
			if fix := m.nearWord(w); fix != "" {
				if b == nil {
					b = &strings.Builder{}
				}
				b.WriteString(s[last:i])
				b.WriteString(fix)
				last = j
			}
		}
		i = j
	}
	if b == nil {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// hasStem reports whether w is a word a "stem*" phrase matches ("failed"
// for "fail*"): a known word, not a typo to correct.
func (m *Matcher) hasStem(w string) bool {
	for _, st := range m.stems {
		if strings.HasPrefix(w, st) {
			return true
		}
	}
	return false
}

func (m *Matcher) nearWord(w string) string {
	for _, l := range []int{len(w), len(w) - 1, len(w) + 1} {
		if l < 5 {
			continue
		}
		for _, v := range m.byLen[l] {
			if retrieval.WithinOneEdit(w, v) {
				return v
			}
		}
	}
	return ""
}

// countUnits counts Chinese characters, words and numbers in normalised text.
func countUnits(s string) int {
	n := 0
	inWord := false
	for _, r := range s {
		switch {
		case IsHan(r):
			n++
			inWord = false
		case r == ' ':
			inWord = false
		default:
			if !inWord {
				n++
			}
			inWord = true
		}
	}
	return n
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// isASCIIWord reports whether s is ASCII letters only.
func isASCIIWord(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isLetter(s[i]) {
			return false
		}
	}
	return true
}
