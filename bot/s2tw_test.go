package bot

import (
	"bytes"
	"flag"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/liuzl/da"
	"github.com/longbridgeapp/opencc"
	"github.com/supportbot/supportbot/knowledge"
)

var update = flag.Bool("update", false, "rewrite s2tw.txt from the OpenCC module's dictionaries")

// s2twTable writes s2tw.txt's content from OpenCC's own s2tw converter:
// its dictionaries' entries, each key with its first value (the one
// OpenCC's Convert uses), sorted by key.
func s2twTable(t *testing.T) []byte {
	t.Helper()
	cc, err := opencc.New("s2tw")
	if err != nil {
		t.Fatal(err)
	}
	version := moduleVersion(t, "github.com/longbridgeapp/opencc")
	var b bytes.Buffer
	fmt.Fprintf(&b, "# OpenCC's dictionaries for simplified to traditional Chinese (Taiwan standard),\n")
	fmt.Fprintf(&b, "# from github.com/longbridgeapp/opencc %s (Apache License 2.0): STPhrases,\n", version)
	fmt.Fprintf(&b, "# STCharacters and TWVariants, each key with the value OpenCC uses, sorted.\n")
	fmt.Fprintf(&b, "# Generated, do not edit: go test ./bot -run TestS2TWTable -update\n")
	want := []struct{ chain, dict int }{{0, 0}, {0, 1}, {1, 0}}
	names := []string{"phrases", "characters", "variants"}
	files := []string{"STPhrases.ocd2", "STCharacters.ocd2", "TWVariants.ocd2"}
	if len(cc.DictChains) != 2 || len(cc.DictChains[0].Dicts) != 2 || len(cc.DictChains[1].Dicts) != 1 {
		t.Fatalf("OpenCC's s2tw is no longer phrases+characters, then variants: %v", cc.DictChains)
	}
	for i, w := range want {
		g := cc.DictChains[w.chain]
		if g.Files[w.dict] != files[i] {
			t.Fatalf("OpenCC's s2tw dictionary %d is %s, not %s", i, g.Files[w.dict], files[i])
		}
		fmt.Fprintf(&b, "## %s\n", names[i])
		for _, e := range dictEntries(t, g.Dicts[w.dict]) {
			fmt.Fprintf(&b, "%s\t%s\n", e[0], e[1])
		}
	}
	return b.Bytes()
}

// moduleVersion reads the version of module path that go.mod requires.
func moduleVersion(t *testing.T, path string) string {
	t.Helper()
	mod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(mod), "\n") {
		f := strings.Fields(line)
		if len(f) > 0 && f[0] == "require" {
			f = f[1:]
		}
		if len(f) >= 2 && f[0] == path {
			return f[1]
		}
	}
	t.Fatalf("go.mod does not require %s", path)
	return ""
}

// dictEntries lists a dictionary's keys and first values, sorted, going
// through the trie's keys (its Get gives some keys another key's value).
func dictEntries(t *testing.T, d *da.Dict) [][2]string {
	var out [][2]string
	for _, id := range d.Trie.PrefixPredict(nil, 0) {
		k, err := d.Trie.Key(id)
		if err != nil {
			t.Fatal(err)
		}
		v, err := d.Trie.Value(id)
		if err != nil || v < 0 || v >= len(d.Values) || len(d.Values[v]) == 0 {
			t.Fatalf("%q: no value (%v)", k, err)
		}
		key, value := string(k), d.Values[v][0]
		if strings.ContainsAny(key+value, "\t\r\n") || key == "" || strings.HasPrefix(key, "#") {
			t.Fatalf("entry %q -> %q cannot be written as a line", key, value)
		}
		out = append(out, [2]string{key, value})
	}
	slices.SortFunc(out, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	return out
}

func TestS2TWTable(t *testing.T) {
	got := s2twTable(t)
	if *update {
		if err := os.WriteFile("s2tw.txt", got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(got, []byte(s2twData)) {
		t.Fatal("s2tw.txt differs from the OpenCC module's dictionaries: go test ./bot -run TestS2TWTable -update")
	}
	tab := loadS2TW()
	for _, c := range []struct {
		name string
		d    *dictTable
		min  int
	}{{"phrases", &tab.phrases, 40000}, {"characters", &tab.chars, 3000}, {"variants", &tab.variants, 10}} {
		if c.d.Len() < c.min || !sortedKeys(c.d) {
			t.Errorf("%s: %d entries (sorted %v)", c.name, c.d.Len(), sortedKeys(c.d))
		}
	}
}

func sortedKeys(d *dictTable) bool {
	for i := 1; i < d.Len(); i++ {
		if d.key(i-1) >= d.key(i) {
			return false
		}
	}
	return true
}

// The table converts as OpenCC's s2tw converter does: every text of the
// built-in FAQ, every phrase and character on its own, and random runs of
// phrases and characters run together, where phrases overlap and the
// longest match decides.
func TestS2TWConvertsAsOpenCC(t *testing.T) {
	cc, err := opencc.New("s2tw")
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	err = fs.WalkDir(knowledge.Embedded(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(knowledge.Embedded(), path)
		texts = append(texts, strings.Split(string(body), "\n")...)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	tab := loadS2TW()
	var pieces []string
	for _, d := range []*dictTable{&tab.phrases, &tab.chars, &tab.variants} {
		for i := range d.Len() {
			pieces = append(pieces, d.key(i))
		}
	}
	texts = append(texts, pieces...)
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		var b strings.Builder
		for range 1 + rng.IntN(6) {
			p := pieces[rng.IntN(len(pieces))]
			if rng.IntN(3) == 0 { // a piece cut short, so matches start mid-phrase
				r := []rune(p)
				p = string(r[rng.IntN(len(r)):])
			}
			b.WriteString(p)
			if rng.IntN(4) == 0 {
				b.WriteString(" a1，")
			}
		}
		texts = append(texts, b.String())
	}
	texts = append(texts, "", "abc", "发", "后来的发展里面", "一个人的头发干了") // short and ambiguous
	// Cut at the end too, traditional text, and near misses (a rune of a
	// phrase changed), where the search cuts the text to a common prefix.
	for range 5000 {
		r := []rune(pieces[rng.IntN(len(pieces))])
		switch rng.IntN(3) {
		case 0:
			r = r[:1+rng.IntN(len(r))]
		case 1:
			r[rng.IntN(len(r))] = rune(0x4e00 + rng.IntN(0x5000))
		case 2:
			if v := s2tw(string(r)); v != "" {
				r = []rune(v)
			}
		}
		texts = append(texts, string(r)+"。"+pieces[rng.IntN(len(pieces))])
	}
	bad := 0
	for _, s := range texts {
		want, err := cc.Convert(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := s2tw(s); got != want && bad < 10 {
			bad++
			t.Errorf("s2tw(%q) = %q, OpenCC: %q", s, got, want)
		}
	}
	t.Logf("%d texts", len(texts))
	// Where OpenCC is wrong: its trie takes byte 0x01 back to the root, so
	// the character after it is converted twice.
	if got := s2tw("\x01发"); got != "\x01發" {
		t.Errorf(`s2tw("\x01发") = %q`, got)
	}
}

// A checkout that turned the table's line ends into CRLF still converts.
func TestS2TWWithCRLF(t *testing.T) {
	tab := loadS2TW()
	crlf := loadS2TWFrom(strings.ReplaceAll(s2twData, "\n", "\r\n"))
	if crlf.phrases.Len() != tab.phrases.Len() || crlf.chars.Len() != tab.chars.Len() || crlf.variants.Len() != tab.variants.Len() {
		t.Fatalf("CRLF: %d/%d/%d entries", crlf.phrases.Len(), crlf.chars.Len(), crlf.variants.Len())
	}
	if got := convertStage("头发", &crlf.phrases, &crlf.chars); got != "頭髮" {
		t.Errorf("CRLF: 头发 -> %q", got)
	}
}

func BenchmarkS2TW(b *testing.B) {
	body, err := fs.ReadFile(knowledge.Embedded(), knowledge.FileZH)
	if err != nil {
		b.Fatal(err)
	}
	text := string(body)
	loadS2TW()
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		s2tw(text)
	}
}

func BenchmarkS2TWOpenCC(b *testing.B) {
	body, err := fs.ReadFile(knowledge.Embedded(), knowledge.FileZH)
	if err != nil {
		b.Fatal(err)
	}
	cc, err := opencc.New("s2tw")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		cc.Convert(string(body))
	}
}
