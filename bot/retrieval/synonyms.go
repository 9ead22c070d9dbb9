package retrieval

import (
	_ "embed"
	"strconv"
	"strings"
	"sync"
	"unicode"
)

// synonyms.txt is everyday support vocabulary: words that mean the same
// in a question, Chinese and English in one group.
//
//go:embed synonyms.txt
var synonymsData string

// Synonyms returns the built-in synonym groups.
func Synonyms() [][]string { return builtinSynonyms() }

var builtinSynonyms = sync.OnceValue(func() [][]string {
	var out [][]string
	for line := range strings.SplitSeq(synonymsData, "\n") {
		if line = strings.TrimSpace(line); line == "" || line[0] == '#' {
			continue
		}
		var g []string
		for m := range strings.SplitSeq(line, ",") {
			if m = strings.TrimSpace(m); m != "" {
				g = append(g, m)
			}
		}
		out = append(out, g)
	}
	return out
})

// synonymTable finds the members of the groups in texts: Chinese members
// as written, English ones by their words' stems.
type synonymTable struct {
	han     map[string]int32 // member -> group
	hanMax  int              // runes of the longest
	words   map[string]int32 // stems joined by " " -> group
	wordMax int
}

func newSynonymTable(groups [][]string) *synonymTable {
	t := &synonymTable{han: map[string]int32{}, words: map[string]int32{}}
	for gi, g := range groups {
		for _, m := range g {
			m = strings.ToLower(strings.TrimSpace(m))
			switch {
			case m == "":
			case strings.IndexFunc(m, isHan) >= 0:
				if strings.IndexFunc(m, func(r rune) bool { return !isHan(r) }) >= 0 {
					continue // mixed scripts: not matched
				}
				if _, ok := t.han[m]; !ok {
					t.han[m] = int32(gi)
				}
				t.hanMax = max(t.hanMax, len([]rune(m)))
			default:
				ws := strings.FieldsFunc(m, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
				for i, w := range ws {
					ws[i] = stem(w)
				}
				key := strings.Join(ws, " ")
				if _, ok := t.words[key]; !ok && key != "" {
					t.words[key] = int32(gi)
				}
				t.wordMax = max(t.wordMax, len(ws))
			}
		}
	}
	return t
}

func synKey(g int32) string { return strconv.Itoa(int(g)) }

// match is a member found in a run of characters or words.
type match struct {
	start, end int // runes or words
	member     string
	group      int32
}

// hanMembers finds members in a run of Chinese characters.
func (t *synonymTable) hanMembers(rs []rune) []match {
	if t == nil {
		return nil
	}
	return longest(len(rs), t.hanMax, func(i, n int) string { return string(rs[i : i+n]) }, t.han)
}

// wordMembers finds members in a run of words' stems.
func (t *synonymTable) wordMembers(stems []string) []match {
	if t == nil {
		return nil
	}
	return longest(len(stems), t.wordMax, func(i, n int) string { return strings.Join(stems[i:i+n], " ") }, t.words)
}

// longest finds the members of a run of n units, longest first, left to
// right, without overlaps; key spells the units from i, k of them.
func longest(n, most int, key func(i, k int) string, members map[string]int32) []match {
	if len(members) == 0 {
		return nil
	}
	var out []match
	for i := 0; i < n; {
		k := min(most, n-i)
		for ; k >= 1; k-- {
			m := key(i, k)
			if g, ok := members[m]; ok {
				out = append(out, match{i, i + k, m, g})
				break
			}
		}
		i += max(k, 1)
	}
	return out
}
