package match

import (
	"bytes"
	"flag"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/liuzl/da"
	"github.com/longbridgeapp/opencc"
	"github.com/supportbot/supportbot/knowledge"
)

var update = flag.Bool("update", false, "rewrite s2tw.txt and t2s.txt from the OpenCC module's dictionaries")

// tableSpec says which of an OpenCC conversion's dictionaries go into
// which section of its table file.
type tableSpec struct {
	conversion, file, about string
	chains                  []int // dictionaries per chain step
	sections                []struct {
		chain, dict int
		file, name  string
	}
}

var tableSpecs = []tableSpec{
	{conversion: "s2tw", file: "s2tw.txt", about: "simplified to traditional Chinese (Taiwan standard)", chains: []int{2, 1},
		sections: []struct {
			chain, dict int
			file, name  string
		}{
			{0, 0, "STPhrases.ocd2", "phrases"}, {0, 1, "STCharacters.ocd2", "characters"}, {1, 0, "TWVariants.ocd2", "variants"}}},
	{conversion: "t2s", file: "t2s.txt", about: "traditional to simplified Chinese", chains: []int{2},
		sections: []struct {
			chain, dict int
			file, name  string
		}{
			{0, 0, "TSPhrases.ocd2", "phrases"}, {0, 1, "TSCharacters.ocd2", "characters"}}},
}

// conversionTable writes a table file's content from OpenCC's own
// converter: its dictionaries' entries, each key with its first value (the
// one OpenCC's Convert uses), sorted by key.
func conversionTable(t *testing.T, spec tableSpec) []byte {
	t.Helper()
	cc, err := opencc.New(spec.conversion)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, s := range spec.sections {
		files = append(files, strings.TrimSuffix(s.file, ".ocd2"))
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# OpenCC's dictionaries for %s, from\n", spec.about)
	fmt.Fprintf(&b, "# github.com/longbridgeapp/opencc %s (Apache License 2.0): %s,\n",
		moduleVersion(t, "github.com/longbridgeapp/opencc"), strings.Join(files, ", "))
	fmt.Fprintf(&b, "# each key with the value OpenCC uses, sorted.\n")
	fmt.Fprintf(&b, "# Generated, do not edit: go test ./bot/match -run TestConversionTables -update\n")
	shape := make([]int, len(cc.DictChains))
	for i, g := range cc.DictChains {
		shape[i] = len(g.Dicts)
	}
	if !slices.Equal(shape, spec.chains) {
		t.Fatalf("OpenCC's %s chain is now %v dictionaries per step, not %v", spec.conversion, shape, spec.chains)
	}
	for _, sec := range spec.sections {
		g := cc.DictChains[sec.chain]
		if g.Files[sec.dict] != sec.file {
			t.Fatalf("OpenCC's %s dictionary is %s, not %s", spec.conversion, g.Files[sec.dict], sec.file)
		}
		fmt.Fprintf(&b, "## %s\n", sec.name)
		for _, e := range dictEntries(t, g.Dicts[sec.dict]) {
			fmt.Fprintf(&b, "%s\t%s\n", e[0], e[1])
		}
	}
	return b.Bytes()
}

// moduleVersion reads the version of module path that go.mod requires.
func moduleVersion(t *testing.T, path string) string {
	t.Helper()
	mod, err := os.ReadFile("../../go.mod")
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

func TestConversionTables(t *testing.T) {
	embedded := map[string]string{"s2tw.txt": s2twData, "t2s.txt": t2sData}
	for _, spec := range tableSpecs {
		got := conversionTable(t, spec)
		if *update {
			if err := os.WriteFile(spec.file, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if !bytes.Equal(got, []byte(embedded[spec.file])) {
			t.Errorf("%s differs from the OpenCC module's dictionaries: go test ./bot/match -run TestConversionTables -update", spec.file)
		}
	}
	if *update {
		return // the tables built into this test binary are the old ones
	}
	for _, c := range []struct {
		name string
		d    *dictTable
		min  int
	}{
		{"s2tw phrases", &loadS2TW().phrases, 40000}, {"s2tw characters", &loadS2TW().chars, 3000}, {"s2tw variants", &loadS2TW().variants, 10},
		{"t2s phrases", &loadT2S().phrases, 200}, {"t2s characters", &loadT2S().chars, 3000},
	} {
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

// The tables convert as OpenCC's converters do: every line of the built-in
// knowledge (and, for t2s, those lines in traditional characters), every
// phrase and character on its own, random runs of them, where phrases
// overlap and the longest match decides, pieces cut at either end, and
// near misses (a character of a phrase changed), where the search cuts the
// text to a common prefix.
func TestConversionsAsOpenCC(t *testing.T) {
	var lines []string
	err := fs.WalkDir(knowledge.Embedded(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(knowledge.Embedded(), path)
		lines = append(lines, strings.Split(string(body), "\n")...)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var traditional []string
	for _, l := range lines {
		traditional = append(traditional, s2tw(l))
	}
	t.Run("s2tw", func(t *testing.T) { checkAsOpenCC(t, "s2tw", s2tw, loadS2TW(), lines) })
	t.Run("t2s", func(t *testing.T) { checkAsOpenCC(t, "t2s", t2s, loadT2S(), append(traditional, lines...)) })
	// Where OpenCC is wrong: its trie takes byte 0x01 back to the root, so
	// the character after it is converted twice.
	if got := s2tw("\x01发"); got != "\x01發" {
		t.Errorf(`s2tw("\x01发") = %q`, got)
	}
	if got := t2s("\x01發"); got != "\x01发" {
		t.Errorf(`t2s("\x01發") = %q`, got)
	}
}

func checkAsOpenCC(t *testing.T, conversion string, convert func(string) string, tab *convTables, texts []string) {
	cc, err := opencc.New(conversion)
	if err != nil {
		t.Fatal(err)
	}
	var pieces []string
	for _, d := range []*dictTable{&tab.phrases, &tab.chars, &tab.variants} {
		for i := range d.Len() {
			k, v := d.entry(i)
			pieces = append(pieces, k, v)
		}
	}
	texts = append(texts, pieces...)
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		var b strings.Builder
		for range 1 + rng.IntN(6) {
			r := []rune(pieces[rng.IntN(len(pieces))])
			switch rng.IntN(5) {
			case 0:
				r = r[rng.IntN(len(r)):]
			case 1:
				r = r[:1+rng.IntN(len(r))]
			case 2:
				r[rng.IntN(len(r))] = rune(0x4e00 + rng.IntN(0x5000))
			}
			b.WriteString(string(r))
			if rng.IntN(4) == 0 {
				b.WriteString(" a1，")
			}
		}
		texts = append(texts, b.String())
	}
	texts = append(texts, "", "abc", "发", "後", "后来的发展里面", "一个人的头发干了", "後來的發展裡面") // short and ambiguous
	bad := 0
	for _, s := range texts {
		want, err := cc.Convert(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := convert(s); got != want && bad < 10 {
			bad++
			t.Errorf("%s(%q) = %q, OpenCC: %q", conversion, s, got, want)
		}
	}
	t.Logf("%d texts", len(texts))
}

// A checkout that turned the table's line ends into CRLF still converts.
func TestConversionTableWithCRLF(t *testing.T) {
	tab := loadS2TW()
	crlf := loadTables(strings.ReplaceAll(s2twData, "\n", "\r\n"))
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

// The cache of conversions starts again when full, and answers stay right.
func TestToTraditionalCacheStartsAgain(t *testing.T) {
	n, err := NewNormalizer()
	if err != nil {
		t.Fatal(err)
	}
	if got := n.ToTraditional("头发"); got != "頭髮" {
		t.Fatalf("头发 -> %q", got)
	}
	first := n.s2t.Load()
	for i := range s2tCacheSize + 10 {
		s := fmt.Sprintf("号段 %d 属于联通", i)
		if got, want := n.ToTraditional(s), fmt.Sprintf("號段 %d 屬於聯通", i); got != want {
			t.Fatalf("%q -> %q, want %q", s, got, want)
		}
	}
	if c := n.s2t.Load(); c == first || c.size.Load() > s2tCacheSize {
		t.Errorf("the cache did not start again: size %d", c.size.Load())
	}
	if got := n.ToTraditional("头发"); got != "頭髮" {
		t.Errorf("头发 after a new start -> %q", got)
	}
	// From several goroutines at once, across new starts (go test -race).
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range s2tCacheSize / 2 {
				if got := n.ToTraditional(fmt.Sprintf("发%d-%d", g, i%300)); got != fmt.Sprintf("發%d-%d", g, i%300) {
					t.Errorf("got %q", got)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestTraditionalCharactersFromKeys(t *testing.T) {
	n, err := NewNormalizer()
	if err != nil {
		t.Fatal(err)
	}
	cc, err := opencc.New("t2s")
	if err != nil {
		t.Fatal(err)
	}
	marked := 0
	for r := rune(hanLo); r <= hanHi; r++ {
		out, err := cc.Convert(string(r))
		if err != nil {
			t.Fatal(err)
		}
		if changes := out != string(r); n.isTrad(r) != changes {
			t.Errorf("%c (U+%04X): marked %v, t2s gives %q", r, r, n.isTrad(r), out)
		}
		if n.isTrad(r) {
			marked++
		}
	}
	if marked < 1000 {
		t.Errorf("only %d characters marked", marked)
	}
}

// numberList lists numbers as the tests write them: normalized, or
// "!input" for an invalid one.
