package match

import (
	"fmt"
	"slices"
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
	patterns, err := m.compileRules(kb.Rules, norm)
	if err != nil {
		return nil, err
	}
	ac, err := newAutomaton(patterns)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", knowledge.FileRules, err)
	}
	m.ac = ac
	m.indexTargets(kb, norm)
	m.pool.New = func() any { return m.newScratch() }
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
