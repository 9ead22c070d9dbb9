package match

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/supportbot/supportbot/knowledge"
)

type atom struct {
	boundStart, boundEnd bool // an English word must start/end here
}

// phrase is one atom, or two with a short gap ("A..B").
type phrase struct{ a, b int }

const maxGap = 30 // bytes between the parts of "A..B": about ten Chinese characters

type special int

const (
	noSpecial special = iota
	spNumber
	spPhone
	spPrefix
	spBadNumber
	spShort
)

// term is one distinct term of the rules ("@sms", "收不到", "$number").
// A hit on any of its single-atom phrases marks it matched while the
// message is scanned; its gap phrases are checked after the scan.
type term struct {
	gaps    []phrase
	special special
}

type csignal struct {
	terms  []int // indexes into Matcher.terms
	weight float64
}

type cintent struct {
	id        string
	parent    int // index, -1 for none
	yield     bool
	handoff   bool // asks for a person: wins whenever it is confident
	maxUnits  int
	signals   []csignal
	negatives []int
}

// compiler turns the rules into a Matcher's atoms, phrases, terms and
// intents, each distinct one once: the ids map a text to its index.
type compiler struct {
	m         *Matcher
	norm      *Normalizer
	rules     *knowledge.Rules
	atomIDs   map[string]int // normalised text, "*" for a prefix word
	phraseIDs map[string]int
	termIDs   map[string]int
	patterns  []string // by atom: what the automaton looks for
}

// compileRules compiles the intents, the concepts and the computed terms
// of rules into m, and returns the patterns of its atoms.
func (m *Matcher) compileRules(rules *knowledge.Rules, norm *Normalizer) ([]string, error) {
	cp := &compiler{m: m, norm: norm, rules: rules, atomIDs: map[string]int{}, phraseIDs: map[string]int{}, termIDs: map[string]int{}}
	if err := cp.intents(); err != nil {
		return nil, err
	}
	if err := cp.concepts(); err != nil {
		return nil, err
	}
	cp.specials()
	m.order = parentsFirst(m.intents)
	for len(m.atomTerm) < len(m.atoms) {
		m.atomTerm = append(m.atomTerm, nil)
	}
	return cp.patterns, nil
}

// parentsFirst orders the intents by how many parents they refine, so
// that each comes after its parent; intents of one depth keep the rules'
// order.
func parentsFirst(intents []cintent) []int {
	depth := func(i int) int {
		d := 0
		for p := intents[i].parent; p >= 0 && d < len(intents); p = intents[p].parent {
			d++
		}
		return d
	}
	order := make([]int, len(intents))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return depth(order[a]) < depth(order[b]) })
	return order
}

// intents compiles every intent in the order of the rules, with the index
// of its parent; errors name the line of the signal or intent.
func (cp *compiler) intents() error {
	index := map[string]int{}
	for i, in := range cp.rules.Intents {
		index[in.ID] = i
	}
	for _, in := range cp.rules.Intents {
		ci := cintent{id: in.ID, parent: -1, yield: in.Yield, handoff: in.Handoff, maxUnits: in.MaxUnits}
		if p, ok := index[in.Parent()]; ok {
			ci.parent = p
		}
		for _, s := range in.Signals {
			cs := csignal{weight: s.Weight}
			for _, t := range s.All {
				ct, err := cp.addTerm(t)
				if err != nil {
					return fmt.Errorf("%s:%d: intent %s: %w", knowledge.FileRules, s.Line, in.ID, err)
				}
				cs.terms = append(cs.terms, ct)
			}
			ci.signals = append(ci.signals, cs)
		}
		for _, t := range in.Negatives {
			ct, err := cp.addTerm(t)
			if err != nil {
				return fmt.Errorf("%s:%d: intent %s: %w", knowledge.FileRules, in.Line, in.ID, err)
			}
			ci.negatives = append(ci.negatives, ct)
		}
		cp.m.intents = append(cp.m.intents, ci)
	}
	return nil
}

// concepts compiles every concept, also those no intent names, so that
// HasConcept finds each by its term.
func (cp *compiler) concepts() error {
	cp.m.conceptTerm = map[string]int{}
	for name := range cp.rules.Concepts {
		id, err := cp.addTerm("@" + name)
		if err != nil {
			return fmt.Errorf("%s: concept %s: %w", knowledge.FileRules, name, err)
		}
		cp.m.conceptTerm[name] = id
	}
	return nil
}

// specials compiles the computed terms, which classify marks from the
// numbers and the length of a message rather than from its phrases.
func (cp *compiler) specials() {
	for sp, name := range map[special]string{spNumber: "$number", spPhone: "$phone", spPrefix: "$prefix", spBadNumber: "$badnumber", spShort: "$short"} {
		id, _ := cp.addTerm(name) // specials always compile
		cp.m.special[sp] = id
	}
}

// addTerm returns the index of term t ("@sms", "收不到", "$number"),
// compiling it the first time: a computed term, or the phrases of a
// concept or t itself, whose single atoms are linked to it.
func (cp *compiler) addTerm(t string) (int, error) {
	if id, ok := cp.termIDs[t]; ok {
		return id, nil
	}
	ct := term{special: specialOf(t)}
	id := len(cp.m.terms)
	if ct.special == noSpecial {
		list := []string{t}
		if strings.HasPrefix(t, "@") {
			list = cp.rules.Concepts[t[1:]]
		}
		for _, s := range list {
			pid, err := cp.addPhrase(s)
			if err != nil {
				return 0, err
			}
			p := cp.m.phrases[pid]
			if p.b >= 0 {
				ct.gaps = append(ct.gaps, p)
				continue
			}
			cp.m.linkAtom(p.a, id)
		}
	}
	cp.termIDs[t] = id
	cp.m.terms = append(cp.m.terms, ct)
	return id, nil
}

// specialOf tells which computed term t is, noSpecial for a phrase or a
// concept.
func specialOf(t string) special {
	switch t {
	case "$number":
		return spNumber
	case "$phone":
		return spPhone
	case "$prefix":
		return spPrefix
	case "$badnumber":
		return spBadNumber
	case "$short":
		return spShort
	}
	return noSpecial
}

// linkAtom records that a hit on atom a matches term t on its own.
func (m *Matcher) linkAtom(a, t int) {
	for len(m.atomTerm) <= a {
		m.atomTerm = append(m.atomTerm, nil)
	}
	if !slices.Contains(m.atomTerm[a], int32(t)) {
		m.atomTerm[a] = append(m.atomTerm[a], int32(t))
	}
}

// addPhrase returns the index of phrase s, one atom or "A..B", compiling it
// the first time; an error for more than one gap or a part that
// normalises to nothing.
func (cp *compiler) addPhrase(s string) (int, error) {
	if id, ok := cp.phraseIDs[s]; ok {
		return id, nil
	}
	p := phrase{b: -1}
	parts := strings.Split(s, "..")
	switch len(parts) {
	case 1:
		p.a = cp.addAtom(parts[0])
	case 2:
		p.a, p.b = cp.addAtom(parts[0]), cp.addAtom(parts[1])
	default:
		return 0, fmt.Errorf("phrase %q: at most one ..", s)
	}
	if cp.patterns[p.a] == "" || (p.b >= 0 && cp.patterns[p.b] == "") {
		return 0, fmt.Errorf("phrase %q has nothing to match after normalisation", s)
	}
	cp.phraseIDs[s] = len(cp.m.phrases)
	cp.m.phrases = append(cp.m.phrases, p)
	return len(cp.m.phrases) - 1, nil
}

// addAtom returns the index of the atom of text s, normalised, compiling it
// the first time. A trailing "*" makes its last word a prefix ("fail*"):
// it need not end where the word does.
func (cp *compiler) addAtom(s string) int {
	prefixWord := strings.HasSuffix(s, "*")
	s = cp.norm.Normalize(strings.TrimSuffix(s, "*"))
	key := s
	if prefixWord {
		key += "*"
	}
	if id, ok := cp.atomIDs[key]; ok {
		return id
	}
	id := len(cp.m.atoms)
	cp.atomIDs[key] = id
	cp.patterns = append(cp.patterns, s)
	cp.m.atoms = append(cp.m.atoms, atom{
		boundStart: s != "" && isWordByte(s[0]),
		boundEnd:   s != "" && isWordByte(s[len(s)-1]) && !prefixWord,
	})
	cp.m.learnWords(s, prefixWord)
	return id
}

// learnWords adds the English words of a normalised atom to the words
// fixTypos corrects to, and the last one of a prefix word to the stems
// it leaves alone.
func (m *Matcher) learnWords(s string, prefixWord bool) {
	fields := strings.Fields(s)
	for _, w := range fields {
		if isASCIIWord(w) && len(w) >= 4 && !m.vocab[w] {
			m.vocab[w] = true
			m.byLen[len(w)] = append(m.byLen[len(w)], w)
		}
	}
	if prefixWord && len(fields) > 0 && isASCIIWord(fields[len(fields)-1]) {
		m.stems = append(m.stems, fields[len(fields)-1])
	}
}
