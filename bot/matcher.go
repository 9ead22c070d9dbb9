package bot

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/supportbot/supportbot/knowledge"
)

// Classification is what the matcher makes of one message.
type Classification struct {
	Intent     string   // an intent id, or knowledge.None
	Confidence float64  // in [0, 1]
	Lang       string   // "zh" or "en"
	Numbers    []Number // phone numbers and prefixes in the message
	// Clarify lists the intents to offer when the best ones are too close
	// to call, best first; empty when the answer is clear.
	Clarify []string
	// Scores holds every intent's score, for explaining a decision.
	Scores []Score
}

// Score is one intent's score.
type Score struct {
	Intent string  `json:"intent"`
	Score  float64 `json:"score"`
}

// Matcher scores messages against the intent rules. Build it with
// NewMatcher; it is immutable and safe for concurrent use.
type Matcher struct {
	kb       *knowledge.KB
	norm     *Normalizer
	settings knowledge.Settings
	ac       *automaton
	atoms    []atom
	phrases  []phrase
	terms    []term
	atomTerm [][]int32        // atom -> terms it matches on its own
	special  [spShort + 1]int // term index of each computed term
	// conceptTerm finds the term of every concept, for HasConcept.
	conceptTerm map[string]int
	intents     []cintent
	order       []int // intents, parents before children
	vocab       map[string]bool
	stems       []string // of "stem*" phrases: words they match are not typos
	byLen       map[int][]string
	pool        sync.Pool
}

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

// shortUnits is the most units (Chinese characters, words, numbers) a
// message matching $short has: "sms?", "验证码", "code pls".
const shortUnits = 4

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

type scratch struct {
	hits    []hit
	matched []bool // by term
	scores  []float64
}

type hit struct{ atom, start, end int }

// NewMatcher compiles the rules of kb.
func NewMatcher(kb *knowledge.KB, norm *Normalizer) (*Matcher, error) {
	m := &Matcher{kb: kb, norm: norm, settings: kb.Rules.Settings, vocab: map[string]bool{}, byLen: map[int][]string{}}
	atomIDs := map[string]int{}
	var patterns []string
	addAtom := func(s string) int {
		prefixWord := strings.HasSuffix(s, "*")
		s = norm.Normalize(strings.TrimSuffix(s, "*"))
		key := s
		if prefixWord {
			key += "*"
		}
		if id, ok := atomIDs[key]; ok {
			return id
		}
		id := len(m.atoms)
		atomIDs[key] = id
		patterns = append(patterns, s)
		m.atoms = append(m.atoms, atom{
			boundStart: s != "" && isWordByte(s[0]),
			boundEnd:   s != "" && isWordByte(s[len(s)-1]) && !prefixWord,
		})
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
		return id
	}
	phraseIDs := map[string]int{}
	addPhrase := func(s string) (int, error) {
		if id, ok := phraseIDs[s]; ok {
			return id, nil
		}
		p := phrase{b: -1}
		parts := strings.Split(s, "..")
		switch len(parts) {
		case 1:
			p.a = addAtom(parts[0])
		case 2:
			p.a, p.b = addAtom(parts[0]), addAtom(parts[1])
		default:
			return 0, fmt.Errorf("phrase %q: at most one ..", s)
		}
		if patterns[p.a] == "" || (p.b >= 0 && patterns[p.b] == "") {
			return 0, fmt.Errorf("phrase %q has nothing to match after normalisation", s)
		}
		phraseIDs[s] = len(m.phrases)
		m.phrases = append(m.phrases, p)
		return len(m.phrases) - 1, nil
	}
	termIDs := map[string]int{}
	compileTerm := func(t string) (int, error) {
		if id, ok := termIDs[t]; ok {
			return id, nil
		}
		var ct term
		switch t {
		case "$number":
			ct.special = spNumber
		case "$phone":
			ct.special = spPhone
		case "$prefix":
			ct.special = spPrefix
		case "$badnumber":
			ct.special = spBadNumber
		case "$short":
			ct.special = spShort
		}
		id := len(m.terms)
		if ct.special == noSpecial {
			list := []string{t}
			if strings.HasPrefix(t, "@") {
				list = kb.Rules.Concepts[t[1:]]
			}
			for _, s := range list {
				pid, err := addPhrase(s)
				if err != nil {
					return 0, err
				}
				p := m.phrases[pid]
				if p.b >= 0 {
					ct.gaps = append(ct.gaps, p)
					continue
				}
				for len(m.atomTerm) <= p.a {
					m.atomTerm = append(m.atomTerm, nil)
				}
				if !slices.Contains(m.atomTerm[p.a], int32(id)) {
					m.atomTerm[p.a] = append(m.atomTerm[p.a], int32(id))
				}
			}
		}
		termIDs[t] = id
		m.terms = append(m.terms, ct)
		return id, nil
	}
	index := map[string]int{}
	for i, in := range kb.Rules.Intents {
		index[in.ID] = i
	}
	for _, in := range kb.Rules.Intents {
		ci := cintent{id: in.ID, parent: -1, yield: in.Yield, handoff: in.Handoff, maxUnits: in.MaxUnits}
		if p, ok := index[in.Parent()]; ok {
			ci.parent = p
		}
		for _, s := range in.Signals {
			cs := csignal{weight: s.Weight}
			for _, t := range s.All {
				ct, err := compileTerm(t)
				if err != nil {
					return nil, fmt.Errorf("%s:%d: intent %s: %w", knowledge.FileRules, s.Line, in.ID, err)
				}
				cs.terms = append(cs.terms, ct)
			}
			ci.signals = append(ci.signals, cs)
		}
		for _, t := range in.Negatives {
			ct, err := compileTerm(t)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: intent %s: %w", knowledge.FileRules, in.Line, in.ID, err)
			}
			ci.negatives = append(ci.negatives, ct)
		}
		m.intents = append(m.intents, ci)
	}
	m.conceptTerm = map[string]int{}
	for name := range kb.Rules.Concepts {
		id, err := compileTerm("@" + name)
		if err != nil {
			return nil, fmt.Errorf("%s: concept %s: %w", knowledge.FileRules, name, err)
		}
		m.conceptTerm[name] = id
	}
	for sp, name := range map[special]string{spNumber: "$number", spPhone: "$phone", spPrefix: "$prefix", spBadNumber: "$badnumber", spShort: "$short"} {
		id, _ := compileTerm(name) // specials always compile
		m.special[sp] = id
	}
	m.order = parentsFirst(m.intents)
	for len(m.atomTerm) < len(m.atoms) {
		m.atomTerm = append(m.atomTerm, nil)
	}
	ac, err := newAutomaton(patterns)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", knowledge.FileRules, err)
	}
	m.ac = ac
	m.pool.New = func() any {
		return &scratch{
			matched: make([]bool, len(m.terms)),
			scores:  make([]float64, len(m.intents)),
		}
	}
	return m, nil
}

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

func isWordByte(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// Lang tells the language of a message: Chinese when it has any Chinese
// character, English when it has Latin letters, else def.
func Lang(text, def string) string {
	letters := false
	for _, r := range text {
		if isHan(r) {
			return "zh"
		}
		if r < 0x80 && isLetter(byte(r)) || r >= 0xFF21 && r <= 0xFF5A {
			letters = true
		}
	}
	if letters {
		return "en"
	}
	if def == "" {
		return "zh"
	}
	return def
}

// Classify scores text and picks an intent.
func (m *Matcher) Classify(text string) Classification {
	return m.classify(text, true)
}

func (m *Matcher) classify(text string, withScores bool) Classification {
	text = truncateRunes(text, m.settings.MaxRunes)
	c := Classification{Lang: Lang(text, "zh"), Numbers: ExtractNumbers(m.kb, text)}
	norm := m.fixTypos(m.norm.Normalize(text))

	sc := m.pool.Get().(*scratch)
	defer m.pool.Put(sc)
	sc.hits = sc.hits[:0]
	clear(sc.matched)
	m.ac.scan(norm, func(p, start, end int) {
		a := m.atoms[p]
		if a.boundStart && start > 0 && isWordByte(norm[start-1]) {
			return
		}
		if a.boundEnd && end < len(norm) && isWordByte(norm[end]) {
			return
		}
		sc.hits = append(sc.hits, hit{p, start, end})
		for _, t := range m.atomTerm[p] {
			sc.matched[t] = true
		}
	})
	for _, n := range c.Numbers {
		if n.Valid {
			sc.matched[m.special[spNumber]] = true
			if len(n.Normalized) == 11 {
				sc.matched[m.special[spPhone]] = true
			} else {
				sc.matched[m.special[spPrefix]] = true
			}
		} else {
			sc.matched[m.special[spBadNumber]] = true
		}
	}
	units := countUnits(norm)
	if units <= shortUnits {
		sc.matched[m.special[spShort]] = true
	}
	for i, t := range m.terms {
		if !sc.matched[i] && len(t.gaps) > 0 && len(sc.hits) > 1 {
			sc.matched[i] = gapMatched(sc.hits, t.gaps)
		}
	}
	matched := func(t int) bool { return sc.matched[t] }
	for _, i := range m.order {
		in := &m.intents[i]
		// Signals combine as independent evidence (noisy-OR), so that
		// overlapping signals do not add up past certainty; negative
		// weights and negatives subtract afterwards.
		miss, minus := 1.0, 0.0
		for _, sig := range in.signals {
			all := true
			for _, t := range sig.terms {
				if !matched(t) {
					all = false
					break
				}
			}
			switch {
			case !all:
			case sig.weight > 0:
				miss *= 1 - sig.weight
			default:
				minus -= sig.weight
			}
		}
		s := 1 - miss
		if s > 0 && in.maxUnits > 0 {
			if units > in.maxUnits {
				s = 0
			}
		}
		if s > 0 {
			s -= minus
			for _, t := range in.negatives {
				if matched(t) {
					s -= m.settings.NegativePenalty
					break
				}
			}
		}
		// A refining intent that matches on its own also carries its
		// parent's evidence, so it beats the parent when both match.
		if s > 0 && in.parent >= 0 {
			s = 1 - (1-s)*(1-sc.scores[in.parent])
		}
		sc.scores[i] = math.Min(math.Max(s, 0), 1)
	}
	m.decide(&c, sc.scores)
	if withScores {
		c.Scores = make([]Score, len(m.intents))
		for i, in := range m.intents {
			c.Scores[i] = Score{in.id, round(sc.scores[i])}
		}
	}
	return c
}

// gapMatched reports whether one of gaps ("A..B") occurs among hits: B
// starting after A ends, at most maxGap bytes later.
func gapMatched(hits []hit, gaps []phrase) bool {
	for _, g := range gaps {
		for _, h := range hits {
			if h.atom != g.a {
				continue
			}
			for _, h2 := range hits {
				if h2.atom == g.b && h2.start >= h.end && h2.start-h.end <= maxGap {
					return true
				}
			}
		}
	}
	return false
}

// decide picks the intent and the clarify candidates from the scores.
func (m *Matcher) decide(c *Classification, scores []float64) {
	th, margin := m.settings.Threshold, m.settings.ClarifyMargin
	best, second := -1, -1
	for i, s := range scores {
		if s <= 0 {
			continue
		}
		switch {
		case best < 0 || s > scores[best]:
			best, second = i, best
		case second < 0 || s > scores[second]:
			second = i
		}
	}
	// Small talk gives way to any content that also clears the threshold.
	if best >= 0 && m.intents[best].yield {
		alt := -1
		for i, s := range scores {
			if !m.intents[i].yield && s >= th && (alt < 0 || s > scores[alt]) {
				alt = i
			}
		}
		if alt >= 0 {
			best, second = alt, best
		}
	}
	// An explicit request for a person wins over the question it comes
	// with ("转人工，收不到短信"): the person will answer that.
	for i, s := range scores {
		if m.intents[i].handoff && s >= th {
			c.Intent, c.Confidence = m.intents[i].id, round(s)
			return
		}
	}
	if best < 0 {
		c.Intent, c.Confidence = knowledge.None, 1
		return
	}
	top := scores[best]
	related := func(a, b int) bool {
		return m.intents[a].parent == b || m.intents[b].parent == a || m.intents[a].yield || m.intents[b].yield
	}
	close := second >= 0 && !related(best, second) && top-scores[second] < margin && scores[second] >= th-margin
	switch {
	case top >= th:
		c.Intent, c.Confidence = m.intents[best].id, round(top)
		if close {
			c.Clarify = []string{m.intents[best].id, m.intents[second].id}
		}
	case top >= th-margin && !m.intents[best].yield:
		c.Intent, c.Confidence = knowledge.None, round(1-top)
		c.Clarify = []string{m.intents[best].id}
		if close {
			c.Clarify = append(c.Clarify, m.intents[second].id)
		}
	default:
		c.Intent, c.Confidence = knowledge.None, round(1-top)
	}
}

func round(f float64) float64 { return math.Round(f*1000) / 1000 }

// fixTypos replaces English words the rules do not know with a rule word
// one edit away ("recieve" -> "receive"), so typos still match.
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
		if len(w) >= 5 && !m.vocab[w] && !m.hasStem(w) {
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
			if osaWithin1(w, v) {
				return v
			}
		}
	}
	return ""
}

// osaWithin1 reports whether a and b differ by at most one insertion,
// deletion, substitution or swap of neighbours.
func osaWithin1(a, b string) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	if len(b)-len(a) > 1 {
		return false
	}
	i := 0
	for i < len(a) && a[i] == b[i] {
		i++
	}
	if i == len(a) {
		return true
	}
	if len(a) == len(b) {
		if a[i+1:] == b[i+1:] {
			return true
		}
		return i+1 < len(a) && a[i] == b[i+1] && a[i+1] == b[i] && a[i+2:] == b[i+2:]
	}
	return a[i:] == b[i+1:]
}

// countUnits counts Chinese characters, words and numbers in normalised text.
func countUnits(s string) int {
	n := 0
	inWord := false
	for _, r := range s {
		switch {
		case isHan(r):
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

// HasConcept reports whether text contains one of the phrases of the named
// concept of the rules; false for a concept the rules do not define.
func (m *Matcher) HasConcept(text, concept string) bool {
	id, ok := m.conceptTerm[concept]
	if !ok {
		return false
	}
	norm := m.fixTypos(m.norm.Normalize(truncateRunes(text, m.settings.MaxRunes)))
	found := false
	var hits []hit
	m.ac.scan(norm, func(p, start, end int) {
		a := m.atoms[p]
		if a.boundStart && start > 0 && isWordByte(norm[start-1]) || a.boundEnd && end < len(norm) && isWordByte(norm[end]) {
			return
		}
		hits = append(hits, hit{p, start, end})
		if slices.Contains(m.atomTerm[p], int32(id)) {
			found = true
		}
	})
	return found || gapMatched(hits, m.terms[id].gaps)
}
