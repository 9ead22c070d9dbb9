package retrieval

import (
	_ "embed"
	"strings"
	"sync"
)

// pinyin.txt gives every character of the CJK Unified Ideographs block its
// most common reading in toneless pinyin (ü as v), as the go-pinyin
// module's dictionary does; a line per syllable: the syllable, a tab, its
// characters. It is generated, and a test holds it to the module:
//
//	go test ./bot/retrieval -run TestPinyinTable -update
//
//go:embed pinyin.txt
var pinyinData string

const cjkLo, cjkHi = 0x4E00, 0x9FFF

// pinyinTable maps characters to syllables and knows every syllable.
type pinyinTable struct {
	of        []uint16 // rune-cjkLo -> index+1 in syllables; 0 for none
	syllables []string
	known     map[string]bool
	number    map[string]uint16 // syllable -> its number (1-based)
	longest   int
}

var loadPinyin = sync.OnceValue(func() *pinyinTable { return parsePinyin(pinyinData) })

func parsePinyin(data string) *pinyinTable {
	t := &pinyinTable{of: make([]uint16, cjkHi-cjkLo+1), known: map[string]bool{}, number: map[string]uint16{}}
	for line := range strings.SplitSeq(data, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		syl, chars, ok := strings.Cut(line, "\t")
		if !ok {
			continue
		}
		t.syllables = append(t.syllables, syl)
		// Syllables without a vowel (m, n, ng, hm: interjections) are
		// not read in words: "humna" is no pinyin.
		t.known[syl] = strings.ContainsAny(syl, "aeiouv")
		t.longest = max(t.longest, len(syl))
		idx := uint16(len(t.syllables))
		t.number[syl] = idx
		for _, r := range chars {
			if r >= cjkLo && r <= cjkHi {
				t.of[r-cjkLo] = idx
			}
		}
	}
	return t
}

// index returns the number of r's reading (1-based), 0 for a character
// it does not know.
func (t *pinyinTable) index(r rune) uint16 {
	if r < cjkLo || r > cjkHi {
		return 0
	}
	return t.of[r-cjkLo]
}

// syllable returns r's reading, "" for a character it does not know.
func (t *pinyinTable) syllable(r rune) string {
	if i := t.index(r); i > 0 {
		return t.syllables[i-1]
	}
	return ""
}

// segmentIndexes is segment as syllable numbers.
func (t *pinyinTable) segmentIndexes(w string) []uint16 {
	syl := t.segment(w)
	out := make([]uint16, len(syl))
	for i, s := range syl {
		out[i] = t.number[s]
	}
	return out
}

// segment splits a lower-case word into pinyin syllables ("shenhe" ->
// shen he), fewest syllables first; nil when it is not pinyin.
func (t *pinyinTable) segment(w string) []string {
	if len(w) < 2 || len(w) > 40 {
		return nil
	}
	// best[i]: fewest syllables for w[:i], and where the last one starts.
	const inf = 1 << 30
	best := make([]int, len(w)+1)
	from := make([]int, len(w)+1)
	for i := 1; i <= len(w); i++ {
		best[i] = inf
		for j := max(0, i-t.longest); j < i; j++ {
			if best[j] < inf && best[j]+1 < best[i] && t.known[w[j:i]] {
				best[i], from[i] = best[j]+1, j
			}
		}
	}
	if best[len(w)] >= inf {
		return nil
	}
	out := make([]string, best[len(w)])
	for i, k := len(w), len(out)-1; i > 0; i, k = from[i], k-1 {
		out[k] = w[from[i]:i]
	}
	return out
}

// IsPinyin reports whether a lower-case word reads as two or more pinyin
// syllables ("hunan", "shenhe"): a Chinese name or word written in
// pinyin, which is not an English word to correct.
func IsPinyin(w string) bool { return len(loadPinyin().segment(w)) >= 2 }

// IsSyllable reports whether a lower-case word is one pinyin syllable.
func IsSyllable(w string) bool { return loadPinyin().known[w] }
