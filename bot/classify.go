package bot

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
