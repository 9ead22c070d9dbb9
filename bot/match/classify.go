package match

import (
	"math"
	"slices"

	"github.com/supportbot/supportbot/bot/phone"
	"github.com/supportbot/supportbot/bot/retrieval"
)

// shortUnits is the most units (Chinese characters, words, numbers) a
// message matching $short has: "sms?", "验证码", "code pls".
const shortUnits = 4

// scratch is one classification's working memory, kept in the
// Matcher's pool.
type scratch struct {
	hits    []hit
	matched []bool // by term
	scores  []float64
	negated []bool // by intent: one of its negatives matched
	cands   []candidate
	blocked map[int]bool
}

// newScratch returns working memory sized for m's terms and intents.
func (m *Matcher) newScratch() *scratch {
	return &scratch{
		matched: make([]bool, len(m.terms)),
		scores:  make([]float64, len(m.intents)),
		negated: make([]bool, len(m.intents)),
		blocked: map[int]bool{},
	}
}

type hit struct{ atom, start, end int }

// Classify scores text and picks an intent.
func (m *Matcher) Classify(text string) Classification {
	return m.classify(text, true)
}

// Match classifies text as Classify does, without the per-intent scores
// that explain the decision: what answering needs.
func (m *Matcher) Match(text string) Classification {
	return m.classify(text, false)
}

// Explain lists how the retrieval index reads norm, for calibration.
func (m *Matcher) Explain(norm string) []string { return m.ret.Explain(norm) }

// Find returns the n entries of the retrieval index nearest to norm, a
// normalised message, best first.
func (m *Matcher) Find(norm string, n int) []retrieval.Hit {
	return m.ret.Find(norm, n)
}

// classify reads text's language and numbers, marks the terms it matches,
// scores the intents, combines their scores with the retrieval index's
// hits and decides; withScores adds the candidates' scores, which needs a
// search also when the rules decide every entry.
func (m *Matcher) classify(text string, withScores bool) Classification {
	text = TruncateRunes(text, m.settings.MaxRunes)
	c := Classification{Lang: Lang(text, "zh"), Numbers: phone.Extract(m.kb, text)}
	plain := m.norm.Normalize(text)
	norm := m.fixTypos(plain)

	sc := m.pool.Get().(*scratch)
	defer m.pool.Put(sc)
	units := countUnits(norm)
	m.matchTerms(sc, norm, c.Numbers, units)
	m.scoreIntents(sc, units)
	var hits []retrieval.Hit
	if !m.allRuled || withScores {
		hits = m.ret.Find(plain, searchDepth)
	}
	cands := m.candidates(sc, hits)
	m.decide(&c, cands)
	if withScores {
		c.Scores = m.scores(cands)
	}
	return c
}

// matchTerms marks in sc the terms that normalised text matches: those of
// the atoms found in it, the computed terms of its numbers and its length
// in units, then the gap phrases among the atoms' hits.
func (m *Matcher) matchTerms(sc *scratch, norm string, numbers []phone.Number, units int) {
	sc.hits = sc.hits[:0]
	clear(sc.matched)
	m.ac.scan(norm, func(p, start, end int) {
		if !m.atoms[p].fits(norm, start, end) {
			return
		}
		sc.hits = append(sc.hits, hit{p, start, end})
		for _, t := range m.atomTerm[p] {
			sc.matched[t] = true
		}
	})
	m.matchSpecials(sc.matched, numbers, units)
	for i, t := range m.terms {
		if !sc.matched[i] && len(t.gaps) > 0 && len(sc.hits) > 1 {
			sc.matched[i] = gapMatched(sc.hits, t.gaps)
		}
	}
}

// fits reports whether a hit of the atom at s[start:end] keeps to its
// word bounds: an English word it starts or ends is not part of a longer
// one in s.
func (a atom) fits(s string, start, end int) bool {
	if a.boundStart && start > 0 && isWordByte(s[start-1]) {
		return false
	}
	return !(a.boundEnd && end < len(s) && isWordByte(s[end]))
}

// matchSpecials marks the computed terms: $number for a valid number,
// with $phone for a whole one and $prefix for a prefix, $badnumber for an
// invalid one, and $short for a message of at most shortUnits units.
func (m *Matcher) matchSpecials(matched []bool, numbers []phone.Number, units int) {
	for _, n := range numbers {
		if n.Valid {
			matched[m.special[spNumber]] = true
			if len(n.Normalized) == 11 {
				matched[m.special[spPhone]] = true
			} else {
				matched[m.special[spPrefix]] = true
			}
		} else {
			matched[m.special[spBadNumber]] = true
		}
	}
	if units <= shortUnits {
		matched[m.special[spShort]] = true
	}
}

// scoreIntents scores every intent from the matched terms, parents first
// so that a refining intent can carry its parent's score.
func (m *Matcher) scoreIntents(sc *scratch, units int) {
	for _, i := range m.order {
		sc.scores[i] = m.scoreIntent(sc, i, units)
	}
}

// scoreIntent returns intent i's score in [0, 1] and marks in sc whether
// one of its negatives matched. Signals combine as independent evidence
// (noisy-OR), so that overlapping signals do not add up past certainty;
// negative weights and negatives subtract afterwards.
func (m *Matcher) scoreIntent(sc *scratch, i, units int) float64 {
	in := &m.intents[i]
	miss, minus := 1.0, 0.0
	for _, sig := range in.signals {
		switch {
		case !allMatched(sc.matched, sig.terms):
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
	sc.negated[i] = anyMatched(sc.matched, in.negatives)
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
	return math.Min(math.Max(s, 0), 1)
}

// allMatched reports whether every one of terms is matched.
func allMatched(matched []bool, terms []int) bool {
	for _, t := range terms {
		if !matched[t] {
			return false
		}
	}
	return true
}

// anyMatched reports whether one of terms is matched.
func anyMatched(matched []bool, terms []int) bool {
	for _, t := range terms {
		if matched[t] {
			return true
		}
	}
	return false
}

// scores lists the candidates that have any evidence, best first, with
// the index's features where it found them: the explanation of a
// decision.
func (m *Matcher) scores(cands []candidate) []Score {
	var out []Score
	for _, k := range cands {
		if k.score <= 0 && k.rules <= 0 && k.retrieval <= 0 {
			continue
		}
		s := Score{Intent: m.targets[k.target].ID, Score: round(k.score), Rules: round(k.rules), Retrieval: round(k.retrieval)}
		if k.hit != nil {
			f := k.hit.Features
			s.Features = &f
		}
		out = append(out, s)
	}
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

// HasConcept reports whether text contains one of the phrases of the named
// concept of the rules; false for a concept the rules do not define.
func (m *Matcher) HasConcept(text, concept string) bool {
	id, ok := m.conceptTerm[concept]
	if !ok {
		return false
	}
	norm := m.fixTypos(m.norm.Normalize(TruncateRunes(text, m.settings.MaxRunes)))
	found := false
	var hits []hit
	m.ac.scan(norm, func(p, start, end int) {
		if !m.atoms[p].fits(norm, start, end) {
			return
		}
		hits = append(hits, hit{p, start, end})
		if slices.Contains(m.atomTerm[p], int32(id)) {
			found = true
		}
	})
	return found || gapMatched(hits, m.terms[id].gaps)
}
