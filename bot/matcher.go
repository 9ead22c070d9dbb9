package bot

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/supportbot/supportbot/bot/phone"
	"github.com/supportbot/supportbot/bot/retrieval"
	"github.com/supportbot/supportbot/knowledge"
)

// Classification is what the matcher makes of one message.
type Classification struct {
	// Intent is the id of the answer (an FAQ entry or item, or a rule's
	// message; see knowledge.Target), or knowledge.None.
	Intent     string
	Confidence float64        // in [0, 1]
	Lang       string         // "zh" or "en"
	Numbers    []phone.Number // phone numbers and prefixes in the message
	// Clarify lists the answers to offer when the best ones are too
	// close to call, best first; empty when the answer is clear.
	Clarify []string
	// Nearest is the id of the FAQ entry nearest to the message, also when
	// it is not the answer: reports group unanswered messages by it. ""
	// when no entry is near.
	Nearest string
	// Scores holds the best answers' scores, for explaining a decision.
	Scores []Score
}

// Score is one answer's score, with what the rules and the retrieval
// index gave it.
type Score struct {
	Intent    string  `json:"intent"`
	Score     float64 `json:"score"`
	Rules     float64 `json:"rules,omitempty"`
	Retrieval float64 `json:"retrieval,omitempty"`
	// Features are the retrieval index's, for an entry it found.
	Features *retrieval.Features `json:"features,omitempty"`
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

	// The answers: every FAQ entry and item without a rule, found by the
	// retrieval index, and the rules' targets.
	ret         *retrieval.Index
	targets     []knowledge.Target
	ruleTarget  []int   // intent -> target
	entryTarget []int   // FAQ entry -> its target
	partTarget  [][]int // FAQ entry, item -> target
	ruleOf      []int   // target -> an intent answering with it, -1 for none
	// ruled marks the FAQ entries that rules answer with (the entry or
	// one of its items): for them the rules decide, and the index no
	// longer offers them; allRuled says every entry is ruled, so that
	// classifying needs no search (Nearest does one of its own).
	ruled    []bool
	allRuled bool
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
	negated []bool // by intent: one of its negatives matched
	cands   []candidate
	blocked map[int]bool
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
	m.indexTargets(kb, norm)
	m.pool.New = func() any {
		return &scratch{
			matched: make([]bool, len(m.terms)),
			scores:  make([]float64, len(m.intents)),
			negated: make([]bool, len(m.intents)),
			blocked: map[int]bool{},
		}
	}
	return m, nil
}

// indexTargets builds the retrieval index and maps rules, entries and
// items to the answers.
func (m *Matcher) indexTargets(kb *knowledge.KB, norm *Normalizer) {
	m.ret = retrieval.Build(retrievalDocs(kb, norm), synonymGroups(norm, kb.Rules.Synonyms))
	m.targets = kb.Targets()
	m.entryTarget = make([]int, len(kb.ZH.Entries))
	m.partTarget = make([][]int, len(kb.ZH.Entries))
	m.ruleOf = make([]int, len(m.targets))
	for i, t := range m.targets {
		m.ruleOf[i] = -1
		if !t.IsEntry() {
			continue
		}
		if t.Step == 0 {
			m.entryTarget[t.Entry] = i
			continue
		}
		for len(m.partTarget[t.Entry]) < t.Step {
			m.partTarget[t.Entry] = append(m.partTarget[t.Entry], -1)
		}
		m.partTarget[t.Entry][t.Step-1] = i
	}
	index := map[string]int{}
	for i, t := range m.targets {
		index[t.ID] = i
	}
	m.ruleTarget = make([]int, len(kb.Rules.Intents))
	m.ruled = make([]bool, len(kb.ZH.Entries))
	for i, in := range kb.Rules.Intents {
		t := index[in.Target]
		m.ruleTarget[i] = t
		if m.ruleOf[t] < 0 {
			m.ruleOf[t] = i
		}
		if m.targets[t].IsEntry() && !in.Boost {
			m.ruled[m.targets[t].Entry] = true
		}
	}
	m.allRuled = !slices.Contains(m.ruled, false)
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
// character or is written in pinyin (see inPinyin), English when it has
// Latin letters, else def.
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
	switch {
	case letters && inPinyin(text):
		return "zh"
	case letters:
		return "en"
	case def == "":
		return "zh"
	}
	return def
}

// inPinyin reports whether a message is Chinese written in pinyin: every
// word reads as pinyin syllables, and one of them as two or more ("beian
// zhuxiao", not "a man").
func inPinyin(text string) bool {
	several := false
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !(r >= 'a' && r <= 'z') }) {
		if retrieval.IsPinyin(w) {
			several = true
		} else if !retrieval.IsSyllable(w) {
			return false
		}
	}
	return several
}

// Classify scores text and picks an intent.
func (m *Matcher) Classify(text string) Classification {
	return m.classify(text, true)
}

func (m *Matcher) classify(text string, withScores bool) Classification {
	text = truncateRunes(text, m.settings.MaxRunes)
	c := Classification{Lang: Lang(text, "zh"), Numbers: phone.Extract(m.kb, text)}
	plain := m.norm.Normalize(text)
	norm := m.fixTypos(plain)

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
		sc.negated[i] = false
		for _, t := range in.negatives {
			if matched(t) {
				sc.negated[i] = true
				break
			}
		}
		if s > 0 {
			s -= minus
			if sc.negated[i] {
				s -= m.settings.NegativePenalty
			}
		}
		// A refining intent that matches on its own also carries its
		// parent's evidence, so it beats the parent when both match.
		if s > 0 && in.parent >= 0 {
			s = 1 - (1-s)*(1-sc.scores[in.parent])
		}
		sc.scores[i] = math.Min(math.Max(s, 0), 1)
	}
	var hits []retrieval.Hit
	if !m.allRuled || withScores {
		hits = m.ret.Find(plain, searchDepth)
	}
	cands := m.candidates(sc, hits)
	m.decide(&c, cands)
	if withScores {
		for _, k := range cands {
			if k.score <= 0 && k.rules <= 0 && k.retrieval <= 0 {
				continue
			}
			sc := Score{Intent: m.targets[k.target].ID, Score: round(k.score), Rules: round(k.rules), Retrieval: round(k.retrieval)}
			if k.hit != nil {
				f := k.hit.Features
				sc.Features = &f
			}
			c.Scores = append(c.Scores, sc)
		}
	}
	return c
}

// searchDepth is how many entries the retrieval index offers a message.
const searchDepth = 5

// candidate is one answer's evidence for a message.
type candidate struct {
	target    int
	rules     float64 // the best score of the rules answering with it
	retrieval float64 // the index's confidence
	score     float64 // both, as independent evidence
	hit       *retrieval.Hit
}

// candidates combines the rules' scores and the retrieval index's hits
// per answer, best first. A rule's negative that matched keeps the index
// from offering what the rule answers with (and, for an entry's rule, its
// items): the rules are the precise overrides. A rule for an item also
// carries the index's evidence for its entry, as refining rules carry
// their parent's.
func (m *Matcher) candidates(sc *scratch, hits []retrieval.Hit) []candidate {
	out := sc.cands[:0]
	get := func(t int) *candidate {
		for i := range out {
			if out[i].target == t {
				return &out[i]
			}
		}
		out = append(out, candidate{target: t})
		return &out[len(out)-1]
	}
	blocked := sc.blocked
	clear(blocked) // targets the rules rule out
	for i, s := range sc.scores {
		t := m.ruleTarget[i]
		if sc.negated[i] {
			blocked[t] = true
			if tg := m.targets[t]; tg.IsEntry() && tg.Step == 0 {
				for _, p := range m.partTarget[tg.Entry] {
					blocked[p] = true
				}
			}
		}
		if s > 0 {
			c := get(t)
			c.rules = max(c.rules, s)
		}
	}
	entryConf := func(entry int) float64 { // the index's, for an entry
		for i := range hits {
			if hits[i].Doc == entry && !blocked[m.entryTarget[entry]] {
				return hits[i].Conf
			}
		}
		return 0
	}
	for i := range hits {
		h := &hits[i]
		t := m.entryTarget[h.Doc]
		if blocked[t] {
			continue
		}
		conf := h.Conf
		if h.Part > 0 {
			if p := m.partTarget[h.Doc][h.Part-1]; !blocked[p] {
				c := get(p)
				c.retrieval, c.hit = max(c.retrieval, conf), h
				conf -= 0.01 // the item answers it better than the entry
			}
		}
		c := get(t)
		c.retrieval, c.hit = max(c.retrieval, conf), h
	}
	for i := range out {
		c := &out[i]
		tg := m.targets[c.target]
		if c.rules > 0 && tg.IsEntry() && tg.Step > 0 && !blocked[c.target] {
			c.retrieval = max(c.retrieval, entryConf(tg.Entry))
		}
		if tg.IsEntry() && m.ruled[tg.Entry] {
			c.retrieval = 0 // the rules decide when this entry is the answer
		}
		c.score = 1 - (1-c.rules)*(1-c.retrieval)
	}
	slices.SortStableFunc(out, func(a, b candidate) int {
		switch {
		case a.score > b.score:
			return -1
		case a.score < b.score:
			return 1
		}
		return a.target - b.target
	})
	sc.cands = out
	return out
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

// decide picks the answer and the clarify choices from the candidates,
// best first.
func (m *Matcher) decide(c *Classification, cands []candidate) {
	th, margin := m.settings.Threshold, m.settings.ClarifyMargin
	for _, k := range cands {
		if tg := m.targets[k.target]; tg.IsEntry() && k.hit != nil && k.hit.Cover >= nearestCover {
			c.Nearest = m.targets[m.entryTarget[tg.Entry]].ID
			break
		}
	}
	yield := func(k candidate) bool {
		r := m.ruleOf[k.target]
		return r >= 0 && m.intents[r].yield && !m.targets[k.target].IsEntry()
	}
	// An explicit request for a person wins over the question it comes
	// with ("转人工，收不到短信"): the person will answer that.
	for _, k := range cands {
		if r := m.ruleOf[k.target]; r >= 0 && m.intents[r].handoff && k.score >= th {
			c.Intent, c.Confidence = m.targets[k.target].ID, round(k.score)
			return
		}
	}
	if len(cands) == 0 || cands[0].score <= 0 {
		c.Intent, c.Confidence = knowledge.None, 1
		return
	}
	best := 0
	// Small talk gives way to content that also clears the threshold: by
	// the rules, or by the index more surely than the small talk ("thanks
	// a lot" is thanks, whatever an FAQ says about a parking lot).
	if yield(cands[0]) {
		for i, k := range cands {
			if !yield(k) && k.score >= th && (k.rules >= th || k.score > cands[0].score) {
				best = i
				break
			}
		}
	}
	second := -1
	for i, k := range cands {
		if i != best && !m.related(cands[best], k) {
			second = i
			break
		}
	}
	top := cands[best].score
	close := second >= 0 && top-cands[second].score < margin && cands[second].score >= th-margin
	id := func(i int) string { return m.targets[cands[i].target].ID }
	switch {
	case top >= th:
		c.Intent, c.Confidence = id(best), round(top)
		if close {
			c.Clarify = []string{id(best), id(second)}
		}
	case top >= th-margin && !yield(cands[best]) && cands[best].rules > 0:
		// Nearly confident rules: "did you mean …?" (the index's
		// confidence is calibrated at th already).
		c.Intent, c.Confidence = knowledge.None, round(1-top)
		c.Clarify = []string{id(best)}
		if close {
			c.Clarify = append(c.Clarify, id(second))
		}
	default:
		c.Intent, c.Confidence = knowledge.None, round(1-top)
	}
}

// nearestCover is how much of a message an entry must explain to be the
// nearest to it in reports.
const nearestCover = 0.25

// related reports whether two answers are one entry and its item, or
// small talk, which never need a clarify question between them.
func (m *Matcher) related(a, b candidate) bool {
	ta, tb := m.targets[a.target], m.targets[b.target]
	if ta.IsEntry() && tb.IsEntry() {
		// Two steps of one entry are not: which one is meant matters.
		return ta.Entry == tb.Entry && (ta.Step == 0 || tb.Step == 0)
	}
	for _, k := range []candidate{a, b} {
		if r := m.ruleOf[k.target]; r >= 0 && m.intents[r].yield {
			return true
		}
	}
	return false
}

func round(f float64) float64 { return math.Round(f*1000) / 1000 }

// fixTypos replaces English words the rules do not know with a rule word
// one edit away ("recieve" -> "receive"), so typos still match. A word
// that reads as pinyin is a Chinese name or word, not a typo: "I live in
// Hunan" is not about a human.
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
		if len(w) >= 5 && !m.vocab[w] && !m.hasStem(w) && !retrieval.IsPinyin(w) {
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
			if retrieval.WithinOneEdit(w, v) {
				return v
			}
		}
	}
	return ""
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
