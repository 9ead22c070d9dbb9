package evaluate

import (
	"fmt"
	"slices"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/knowledge"
)

// CheckRetrieval asks the bot every question of the FAQ in each of its
// phrasings (both languages' headings and the also: phrasings) and warns
// about each one that does not get its own entry, and about pairs of
// entries whose phrasings the bot can hardly tell apart: where a phrasing
// (also:) or a clearer heading is missing.
func CheckRetrieval(b *bot.Bot) (warnings knowledge.Problems) {
	e := snapshotOf(b)
	th, margin := e.kb.Rules.Settings.Threshold, e.kb.Rules.Settings.ClarifyMargin
	type pair struct{ a, b int }
	confusable := map[pair]string{}
	for i := range e.kb.ZH.Entries {
		own := e.kb.ZH.Entries[i].ID
		for _, v := range e.phrasings(i) {
			c := e.m.Classify(v.text)
			got := e.kb.Family(c.Intent)
			switch {
			case got == own:
			case c.Intent == knowledge.None && slices.ContainsFunc(c.Clarify, func(id string) bool { return e.kb.Family(id) == own }):
				warnings = append(warnings, knowledge.Problem{File: v.entry.File, Line: v.line,
					Msg: fmt.Sprintf("%q is only offered as a choice for %q: add also: phrasings", v.text, v.entry.Question)})
			case c.Intent == knowledge.None:
				warnings = append(warnings, knowledge.Problem{File: v.entry.File, Line: v.line,
					Msg: fmt.Sprintf("%q gets no answer (its entry %q is not found with confidence): add also: phrasings or reword it", v.text, v.entry.Question)})
			default:
				warnings = append(warnings, knowledge.Problem{File: v.entry.File, Line: v.line,
					Msg: fmt.Sprintf("%q is answered with %s, not with its own entry", v.text, e.describe(c.Intent))})
			}
			// Another entry as close as this one: the two are confusable.
			best := map[string]float64{}
			for _, s := range c.Scores {
				f := e.kb.Family(s.Intent)
				best[f] = max(best[f], s.Score)
			}
			for f, s := range best {
				t, ok := e.kb.Target(f)
				if f == own || !ok || !t.IsEntry() {
					continue
				}
				if s >= th-margin && s >= best[own]-margin {
					p := pair{min(i, t.Entry), max(i, t.Entry)}
					if _, seen := confusable[p]; !seen {
						confusable[p] = v.text
					}
				}
			}
		}
	}
	pairs := make([]pair, 0, len(confusable))
	for p := range confusable {
		pairs = append(pairs, p)
	}
	slices.SortFunc(pairs, func(x, y pair) int {
		if x.a != y.a {
			return x.a - y.a
		}
		return x.b - y.b
	})
	for _, p := range pairs {
		a, bb := &e.kb.ZH.Entries[p.a], &e.kb.ZH.Entries[p.b]
		warnings = append(warnings, knowledge.Problem{File: a.File, Line: a.Line,
			Msg: fmt.Sprintf("confusable: %q and %q (line %d of %s): %q scores both alike; make the questions differ, or add also: phrasings", a.Question, bb.Question, bb.Line, bb.File, confusable[p])})
	}
	return warnings
}

// phrasing is one way an entry's question is written, and where.
type phrasing struct {
	text  string
	entry *knowledge.Entry
	line  int
}

// phrasings lists entry i's question in both languages and its also:
// phrasings.
func (e *snapshot) phrasings(i int) []phrasing {
	var out []phrasing
	versions := []*knowledge.Entry{&e.kb.ZH.Entries[i]}
	if en := &e.kb.EN.Entries[i]; en.Lang == "en" {
		versions = append(versions, en)
	}
	for _, v := range versions {
		out = append(out, phrasing{v.Question, v, v.Line})
		for _, a := range v.Also {
			out = append(out, phrasing{a, v, v.Line})
		}
	}
	return out
}

// describe names an answer for people: its entry's question, and the step.
func (e *snapshot) describe(id string) string {
	t, ok := e.kb.Target(id)
	if !ok || !t.IsEntry() {
		return fmt.Sprintf("%q", id)
	}
	entry := &e.kb.ZH.Entries[t.Entry]
	if t.Step > 0 {
		return fmt.Sprintf("%s %d of %q", entry.Kind(), t.Step, entry.Question)
	}
	return fmt.Sprintf("%q", entry.Question)
}
