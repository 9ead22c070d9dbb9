package match

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
	// The empty phrase never reaches the automaton (a phrase must have
	// something left after normalisation), but it ends at every byte offset.
	e, err := newAutomaton([]string{"局", ""})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := scanHits(e, "管局"), [][3]int{{1, 1, 1}, {1, 2, 2}, {1, 3, 3}, {1, 4, 4}, {1, 5, 5}, {0, 3, 6}, {1, 6, 6}}; !slices.Equal(got, want) {
		t.Errorf("with an empty phrase: got %v, want %v", got, want)
	}
	// The most states that fit: all 32,768 strings of 15 letters a and b
	// make 65,534 prefixes, plus the root. One longer string is one too many.
	var all []string
	for i := range 1 << 15 {
		b := make([]byte, 15)
		for j := range b {
			b[j] = "ab"[i>>j&1]
		}
		all = append(all, string(b))
	}
	full, err := newAutomaton(all)
	if err != nil {
		t.Fatalf("%d states: %v", maxStates, err)
	}
	text := "abbabaabbbababbbaabaab"
	if got, want := scanHits(full, text), naiveHits(all, text); !slices.Equal(got, want) {
		t.Errorf("full automaton: got %v, want %v", got, want)
	}
	if _, err := newAutomaton(append(all, strings.Repeat("a", 16))); err == nil || !strings.Contains(err.Error(), "65536 matcher states") {
		t.Errorf("one state too many: err %v", err)
	}
}
