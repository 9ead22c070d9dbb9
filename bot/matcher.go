package bot

import (
	"fmt"
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
