package retrieval

import (
	_ "embed"

	"github.com/kljensen/snowball/english"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// synonyms.txt is everyday support vocabulary: words that mean the same
// in a question, Chinese and English in one group.
//
//go:embed synonyms.txt
var synonymsData string

// Synonyms returns the built-in synonym groups; callers do not change them.
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

// lastTable is the table of the groups of the last Build, kept for the
// next Build with the same groups (a reload of edited FAQ files).
var lastTable struct {
	sync.Mutex
	groups [][]string
	table  *synonymTable
}

// synonymsFor returns the table of groups: the last one made, when the
// groups are the same slice.
func synonymsFor(groups [][]string) *synonymTable {
	lastTable.Lock()
	defer lastTable.Unlock()
	if t := lastTable.table; t != nil && len(groups) == len(lastTable.groups) && (len(groups) == 0 || &groups[0] == &lastTable.groups[0]) {
		return t
	}
	t := newSynonymTable(groups, plainStem)
	lastTable.groups, lastTable.table = groups, t
	return t
}

// plainStem is a word's Porter2 stem.
func plainStem(w string) string {
	if len(w) <= 2 {
		return w
	}
	return english.Stem(w, true)
}

// synonymTable finds the members of the groups in texts: Chinese members
// as written, English ones by their words' stems; the longest member at a
// place wins over the shorter ones inside it.
type synonymTable struct {
	han    map[rune][]hanMember // by first character, longest first
	words  map[string][]wordSeq // by first stem, longest first
	words1 map[string]int32     // one-word members, by stem
}

type hanMember struct {
	text  string
	group int32
}

type wordSeq struct {
	stems []string
	key   string // the stems joined by spaces
	group int32
}

func newSynonymTable(groups [][]string, stem func(string) string) *synonymTable {
	t := &synonymTable{han: map[rune][]hanMember{}, words: map[string][]wordSeq{}, words1: map[string]int32{}}
	seen := map[string]bool{}
	for gi, g := range groups {
		for _, m := range g {
			m = strings.ToLower(strings.TrimSpace(m))
			switch {
			case m == "" || seen[m]:
			case strings.IndexFunc(m, isHan) >= 0:
				if strings.IndexFunc(m, func(r rune) bool { return !isHan(r) }) >= 0 {
					continue // mixed scripts: not matched
				}
				seen[m] = true
				r, _ := utf8.DecodeRuneInString(m)
				t.han[r] = append(t.han[r], hanMember{m, int32(gi)})
			default:
				ws := strings.FieldsFunc(m, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
				if len(ws) == 0 {
					continue
				}
				for i, w := range ws {
					ws[i] = stem(w)
				}
				k := strings.Join(ws, " ")
				if seen[k] {
					continue
				}
				seen[k] = true
				t.words[ws[0]] = append(t.words[ws[0]], wordSeq{ws, k, int32(gi)})
				if len(ws) == 1 {
					t.words1[ws[0]] = int32(gi)
				}
			}
		}
	}
	for _, ms := range t.han {
		slices.SortStableFunc(ms, func(a, b hanMember) int { return len(b.text) - len(a.text) })
	}
	for _, ss := range t.words {
		slices.SortStableFunc(ss, func(a, b wordSeq) int { return len(b.stems) - len(a.stems) })
	}
	return t
}

// hanMember returns the longest member that s starts with, "" for none.
func (t *synonymTable) hanMember(s string) (string, int32) {
	r, _ := utf8.DecodeRuneInString(s)
	for _, m := range t.han[r] {
		if strings.HasPrefix(s, m.text) {
			return m.text, m.group
		}
	}
	return "", 0
}

// wordMember returns how many of stems, from the first, are the longest
// member there, its key and group; 0 for none.
func (t *synonymTable) wordMember(stems []string) (int, string, int32) {
	for _, ws := range t.words[stems[0]] {
		if len(ws.stems) <= len(stems) && slices.Equal(ws.stems, stems[:len(ws.stems)]) {
			return len(ws.stems), ws.key, ws.group
		}
	}
	return 0, "", 0
}
