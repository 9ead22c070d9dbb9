package match

import (
	_ "embed"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"
)

// Conversion between simplified and traditional Chinese uses OpenCC's
// dictionaries as OpenCC applies them: at each position the longest phrase
// of the phrase dictionary that starts there (looking at most
// convertWindow characters ahead), else the character's entry, else the
// character as it is; for s2tw then TWVariants, character by character.
// Messages in traditional characters are matched in simplified ones (t2s),
// and answers go back to traditional characters, Taiwan standard (s2tw).
//
// Building OpenCC's own converter for s2tw takes 14 MB of memory and 70 ms
// here (a double-array trie of the 49,000 phrases), and for t2s 1 MB and
// 2 ms at every start. The same dictionaries are kept here as sorted text
// embedded in the program, searched in place: nothing to build but an
// index of the lines (about 200 KB for s2tw), made at first use.
//
// s2tw.txt and t2s.txt are generated from the OpenCC module's
// dictionaries, and a test checks that they still match them and convert
// as OpenCC does (except where OpenCC's trie mishandles U+0001: "\x01发"
// gives it "發發", here "\x01發"; and invalid UTF-8 stays as it is instead
// of becoming U+FFFD):
//
//	go test ./bot -run TestConversionTables -update
var (
	//go:embed s2tw.txt
	s2twData string
	//go:embed t2s.txt
	t2sData string
)

// convertWindow is how many characters ahead a phrase may reach (OpenCC's).
const convertWindow = 10

// convTables is the parsed form of a file like s2tw.txt: one sorted table
// per section (t2s has no variants).
type convTables struct {
	phrases, chars, variants dictTable
}

var (
	loadS2TW = sync.OnceValue(func() *convTables { return loadTables(s2twData) })
	loadT2S  = sync.OnceValue(func() *convTables { return loadTables(t2sData) })
)

// loadTables indexes the sections of data, a file like s2tw.txt.
func loadTables(data string) *convTables {
	t := &convTables{phrases: dictTable{data: data}, chars: dictTable{data: data}, variants: dictTable{data: data}}
	sections := map[string]*dictTable{"phrases": &t.phrases, "characters": &t.chars, "variants": &t.variants}
	var cur *dictTable
	for at := 0; at < len(data); {
		line := data[at:]
		if i := strings.IndexByte(line, '\n'); i >= 0 {
			line = line[:i]
		}
		switch {
		case strings.HasPrefix(line, "## "):
			cur = sections[strings.TrimSuffix(line[3:], "\r")] // \r: a checkout with CRLF line ends
		case line == "" || line[0] == '#' || cur == nil:
		case strings.IndexByte(line, '\t') > 0:
			cur.lines = append(cur.lines, uint32(at))
		}
		at += len(line) + 1
	}
	return t // sorted as generated: TestConversionTables holds the files to that
}

// dictTable is a sorted list of "key TAB value" lines of data, by where
// they start.
type dictTable struct {
	data  string
	lines []uint32
}

func (d *dictTable) entry(i int) (key, value string) {
	line := d.data[d.lines[i]:]
	if end := strings.IndexByte(line, '\n'); end >= 0 {
		line = line[:end]
	}
	key, value, _ = strings.Cut(line, "\t")
	return key, strings.TrimSuffix(value, "\r")
}

func (d *dictTable) key(i int) string {
	line := d.data[d.lines[i]:]
	return line[:strings.IndexByte(line, '\t')]
}

func (d *dictTable) Len() int { return len(d.lines) }

// longest returns the value and length in bytes of the longest key that
// s starts with, looking at most convertWindow characters ahead. The largest
// key not above the text w is the answer if it is a prefix of w; if not,
// no key longer than their common prefix can be one, so the search goes
// on with w cut to it.
func (d *dictTable) longest(s string) (string, int) {
	end := 0
	for n := 0; n < convertWindow && end < len(s); n++ {
		_, size := utf8.DecodeRuneInString(s[end:])
		end += size
	}
	w := s[:end]
	for w != "" {
		i := sort.Search(len(d.lines), func(i int) bool { return d.key(i) > w }) - 1
		if i < 0 {
			break
		}
		k, v := d.entry(i)
		if strings.HasPrefix(w, k) {
			return v, len(k)
		}
		c := 0
		for c < len(k) && c < len(w) && k[c] == w[c] {
			c++
		}
		w = w[:c]
	}
	return "", 0
}

// s2tw converts s as OpenCC's s2tw does.
func s2tw(s string) string {
	t := loadS2TW()
	return convertStage(convertStage(s, &t.phrases, &t.chars), &t.variants)
}

// t2s converts s as OpenCC's t2s does.
func t2s(s string) string {
	t := loadT2S()
	return convertStage(s, &t.phrases, &t.chars)
}

// convertStage is one step of OpenCC's conversion chain: at each position,
// the longest match in the first of dicts that has one, else the character
// as it is.
func convertStage(s string, dicts ...*dictTable) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
next:
	for i := 0; i < len(s); {
		for _, d := range dicts {
			if v, n := d.longest(s[i:]); n > 0 {
				b.WriteString(v)
				i += n
				continue next
			}
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		b.WriteString(s[i : i+size])
		i += size
	}
	return b.String()
}
