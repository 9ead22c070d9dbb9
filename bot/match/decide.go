package match

import (
	"math"
	"slices"

	"github.com/supportbot/supportbot/bot/retrieval"
	"github.com/supportbot/supportbot/knowledge"
)

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
