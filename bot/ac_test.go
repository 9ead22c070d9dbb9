package bot

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// naiveHits lists what scan must report: at each end offset in turn, every
// pattern that ends there, longest first, and patterns that are the same
// string in the order given.
func naiveHits(patterns []string, s string) [][3]int {
	var hits [][3]int
	for end := 1; end <= len(s); end++ {
		var at [][3]int
		for p, pat := range patterns {
			if pat != "" && strings.HasSuffix(s[:end], pat) {
				at = append(at, [3]int{p, end - len(pat), end})
			}
		}
		slices.SortStableFunc(at, func(a, b [3]int) int { return a[1] - b[1] })
		hits = append(hits, at...)
	}
	return hits
}

func scanHits(a *automaton, s string) [][3]int {
	var hits [][3]int
	a.scan(s, func(p, start, end int) { hits = append(hits, [3]int{p, start, end}) })
	return hits
}

func TestAutomatonMatchesNaiveSearch(t *testing.T) {
	// Few letters, so that patterns share prefixes and suffixes; Chinese
	// ones, so that they share bytes inside characters.
	alphabet := []string{"a", "b", "c", "短", "信", "管", "局"}
	word := func(r *rand.Rand, max int) string {
		var b strings.Builder
		for range 1 + r.IntN(max) {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		return b.String()
	}
	r := rand.New(rand.NewPCG(1, 2))
	for round := range 300 {
		patterns := make([]string, 1+r.IntN(12))
		for i := range patterns {
			patterns[i] = word(r, 4)
		}
		if round%5 == 0 { // the same string twice, as "x" and "x*" atoms are
			patterns = append(patterns, patterns[r.IntN(len(patterns))])
		}
		a, err := newAutomaton(patterns)
		if err != nil {
			t.Fatal(err)
		}
		for range 20 {
			s := word(r, 16)
			if got, want := scanHits(a, s), naiveHits(patterns, s); !slices.Equal(got, want) {
				t.Fatalf("patterns %q, text %q:\n got %v\nwant %v", patterns, s, got, want)
			}
		}
	}
}

func TestAutomatonEdges(t *testing.T) {
	a, err := newAutomaton([]string{"管局", "局", "管局短信", "xyz"})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"", "\xff\xfe", "管", "管局短信管局", "xy", "xyzxyz", "局局"} {
		if got, want := scanHits(a, s), naiveHits(a.patterns, s); !slices.Equal(got, want) {
			t.Errorf("text %q: got %v, want %v", s, got, want)
		}
	}
	// Too many states for uint16 transitions: refused, with the count.
	var many []string
	for i := range 9000 {
		many = append(many, string(rune(0x4e00+i))+string(rune(0x5e00+i))+string(rune(0x6e00+i))+string(rune(0x7e00+i)))
	}
	if _, err := newAutomaton(many); err == nil || !strings.Contains(err.Error(), "matcher states") {
		t.Errorf("9000 distinct 4-character phrases: err %v, want too many states", err)
	}
}
