package evaluate

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/bot/match"
	"github.com/supportbot/supportbot/bot/phone"
	"github.com/supportbot/supportbot/knowledge"
)

// Labelled is one message of an evaluation set, labelled with the answer
// it should get: an answer's id (Intent: an entry's or item's id, or a
// rule's), or a question as written in the Chinese FAQ (Question, "" for
// none), optionally with one of its steps or cases (Step). Kind says what
// sort of message it is ("typo", "near_miss"...), for the report.
type Labelled struct {
	Text     string `json:"text"`
	Intent   string `json:"intent,omitempty"`
	Question string `json:"question,omitempty"`
	Step     int    `json:"step,omitempty"`
	Kind     string `json:"kind,omitempty"`
}

// Resolve checks the label against kb and sets Intent to the id of the
// answer it names (knowledge.None for none).
func (l *Labelled) Resolve(kb *knowledge.KB) error {
	if l.Intent != "" && l.Question != "" {
		return fmt.Errorf("give intent or question, not both")
	}
	if l.Intent != "" {
		if l.Intent == knowledge.None {
			return nil
		}
		t, ok := kb.Target(l.Intent)
		if !ok {
			return fmt.Errorf("unknown intent %q", l.Intent)
		}
		l.Intent = t.ID
		return nil
	}
	if l.Question == "" {
		l.Intent = knowledge.None
		return nil
	}
	i, ok := kb.ZH.Entry(l.Question)
	if !ok {
		if t, found := kb.Target(knowledge.DerivedID(l.Question)); found && t.IsEntry() && t.Step == 0 {
			i, ok = t.Entry, true
		}
	}
	if !ok {
		return fmt.Errorf("no question %q in the FAQ", l.Question)
	}
	e := &kb.ZH.Entries[i]
	switch {
	case l.Step == 0:
		l.Intent = e.ID
	case l.Step > len(e.Items):
		return fmt.Errorf("question %q has no %s %d", l.Question, e.Kind(), l.Step)
	default:
		l.Intent = e.Items[l.Step-1].ID
	}
	return nil
}

// Report scores a matcher on a labelled set, in the manner of NLU test
// reports: per-intent precision, recall and F1, the confusions, accuracy,
// and how often out-of-scope messages got an answer anyway.
type Report struct {
	Total    int           `json:"total"`
	Correct  int           `json:"correct"`
	Accuracy float64       `json:"accuracy"`
	Intents  []IntentScore `json:"intents"`
	// InScope counts the messages labelled with an FAQ entry or item;
	// EntryCorrect those that got the right entry (any of its steps, or
	// the whole), and EntryAccuracy the share: the "top-1" figure.
	InScope       int     `json:"in_scope"`
	EntryCorrect  int     `json:"entry_correct"`
	EntryAccuracy float64 `json:"entry_accuracy"`
	// OutOfScope counts messages labelled none; FalseAnswers those of them
	// that got an answer, and FalseAnswerRate the share; the Clarified
	// figures count a clarify question as an answer too.
	OutOfScope           int     `json:"out_of_scope"`
	FalseAnswers         int     `json:"false_answers"`
	FalseAnswerRate      float64 `json:"false_answer_rate"`
	FalseOrClarified     int     `json:"false_or_clarified"`
	FalseOrClarifiedRate float64 `json:"false_or_clarified_rate"`
	Clarified            int     `json:"clarified"` // answers that came with clarify candidates
	// ToModel counts the messages that would go to the fallback model when
	// one is configured: no confident rule and a relevant FAQ passage.
	ToModel int `json:"to_model"`
	// Langs and Kinds break the in-scope and out-of-scope figures down by
	// the message's language and by the label's kind.
	Langs      []Group     `json:"langs"`
	Kinds      []Group     `json:"kinds,omitempty"`
	Confusions []Confusion `json:"confusions"`
	MacroF1    float64     `json:"macro_f1"`
}

// Group is the report's figures for one group of messages.
type Group struct {
	Group         string  `json:"group"`
	InScope       int     `json:"in_scope"`
	EntryAccuracy float64 `json:"entry_accuracy"`
	OutOfScope    int     `json:"out_of_scope"`
	// FalseAnswerRate counts a clarify question as an answer.
	FalseAnswerRate float64 `json:"false_answer_rate"`

	entryCorrect, falseAnswers int
}

// IntentScore is one intent's line of the report.
type IntentScore struct {
	Intent    string  `json:"intent"`
	Support   int     `json:"support"` // labelled with it
	Predicted int     `json:"predicted"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
}

// Confusion is a (label, prediction) pair that differ, with examples.
type Confusion struct {
	Label     string   `json:"label"`
	Predicted string   `json:"predicted"`
	Count     int      `json:"count"`
	Examples  []string `json:"examples"`
}

// Evaluate classifies every message of set, whose labels are resolved.
func Evaluate(b *bot.Bot, set []Labelled) Report {
	e := snapshotOf(b)
	t := newEvalTally()
	for _, ex := range set {
		c := e.m.Match(ex.Text)
		toModel := c.Intent == knowledge.None && len(c.Clarify) == 0 && b.HasPassages(ex.Text, c.Lang)
		t.add(e, ex, c, toModel)
	}
	return t.report()
}

// evalTally counts an evaluation's messages as they are classified: the
// report's totals, and per intent, confusion and group what its figures
// are made from.
type evalTally struct {
	r                      Report
	tp, support, predicted map[string]int
	conf                   map[[2]string]*Confusion
	langs, kinds           map[string]*Group
}

// newEvalTally returns an empty tally.
func newEvalTally() *evalTally {
	return &evalTally{
		tp: map[string]int{}, support: map[string]int{}, predicted: map[string]int{},
		conf:  map[[2]string]*Confusion{},
		langs: map[string]*Group{}, kinds: map[string]*Group{},
	}
}

// add counts message ex, classified as c; toModel says it would go to the
// fallback model.
func (t *evalTally) add(e *snapshot, ex Labelled, c match.Classification, toModel bool) {
	t.r.Total++
	t.support[ex.Intent]++
	t.predicted[c.Intent]++
	if len(c.Clarify) > 0 && c.Intent != knowledge.None {
		t.r.Clarified++
	}
	if toModel {
		t.r.ToModel++
	}
	t.addScope(e, ex, c)
	if c.Intent == ex.Intent {
		t.r.Correct++
		t.tp[ex.Intent]++
		return
	}
	t.confuse(ex, c)
}

// addScope counts an out-of-scope message and whether it got an answer,
// or an in-scope one and whether it got the right entry: in the report
// and in the groups of its language and its label's kind.
func (t *evalTally) addScope(e *snapshot, ex Labelled, c match.Classification) {
	gs := []*Group{groupOf(t.langs, c.Lang)}
	if ex.Kind != "" {
		gs = append(gs, groupOf(t.kinds, ex.Kind))
	}
	answered := c.Intent != knowledge.None || len(c.Clarify) > 0
	switch {
	case ex.Intent == knowledge.None:
		t.r.OutOfScope++
		for _, g := range gs {
			g.OutOfScope++
		}
		if c.Intent != knowledge.None {
			t.r.FalseAnswers++
		}
		if answered {
			t.r.FalseOrClarified++
			for _, g := range gs {
				g.falseAnswers++
			}
		}
	case e.isEntry(ex.Intent):
		t.r.InScope++
		for _, g := range gs {
			g.InScope++
		}
		if e.kb.Family(c.Intent) == e.kb.Family(ex.Intent) {
			t.r.EntryCorrect++
			for _, g := range gs {
				g.entryCorrect++
			}
		}
	}
}

// groupOf returns the group of groups named name, adding it the first time.
func groupOf(groups map[string]*Group, name string) *Group {
	if groups[name] == nil {
		groups[name] = &Group{Group: name}
	}
	return groups[name]
}

// confuse counts a message that got another answer than its label, with
// up to five examples of each pair, their numbers masked.
func (t *evalTally) confuse(ex Labelled, c match.Classification) {
	k := [2]string{ex.Intent, c.Intent}
	if t.conf[k] == nil {
		t.conf[k] = &Confusion{Label: ex.Intent, Predicted: c.Intent}
	}
	t.conf[k].Count++
	if len(t.conf[k].Examples) < 5 {
		t.conf[k].Examples = append(t.conf[k].Examples, phone.MaskText(ex.Text))
	}
}

// report works out the rates, the groups' figures, the intents' lines and
// the confusions, most frequent first.
func (t *evalTally) report() Report {
	r := t.r
	r.Accuracy = ratio(r.Correct, r.Total)
	r.EntryAccuracy = ratio(r.EntryCorrect, r.InScope)
	r.FalseAnswerRate = ratio(r.FalseAnswers, r.OutOfScope)
	r.FalseOrClarifiedRate = ratio(r.FalseOrClarified, r.OutOfScope)
	r.Langs, r.Kinds = groups(t.langs), groups(t.kinds)
	r.Intents, r.MacroF1 = t.intents()
	for _, c := range t.conf {
		r.Confusions = append(r.Confusions, *c)
	}
	sort.Slice(r.Confusions, func(i, j int) bool {
		a, b := r.Confusions[i], r.Confusions[j]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		return a.Label+a.Predicted < b.Label+b.Predicted
	})
	return r
}

// intents returns the line of every intent labelled or predicted, by id,
// and their macro F1.
func (t *evalTally) intents() ([]IntentScore, float64) {
	names := map[string]bool{}
	for k := range t.support {
		names[k] = true
	}
	for k := range t.predicted {
		names[k] = true
	}
	var out []IntentScore
	var sumF1 float64
	for name := range names {
		ie := IntentScore{Intent: name, Support: t.support[name], Predicted: t.predicted[name]}
		ie.Precision = ratio(t.tp[name], t.predicted[name])
		ie.Recall = ratio(t.tp[name], t.support[name])
		if ie.Precision+ie.Recall > 0 {
			ie.F1 = 2 * ie.Precision * ie.Recall / (ie.Precision + ie.Recall)
		}
		ie.Precision, ie.Recall, ie.F1 = round(ie.Precision), round(ie.Recall), round(ie.F1)
		sumF1 += ie.F1
		out = append(out, ie)
	}
	var macro float64
	if len(out) > 0 {
		macro = round(sumF1 / float64(len(out)))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Intent < out[j].Intent })
	return out, macro
}

func groups(m map[string]*Group) []Group {
	var out []Group
	for _, g := range m {
		g.EntryAccuracy = ratio(g.entryCorrect, g.InScope)
		g.FalseAnswerRate = ratio(g.falseAnswers, g.OutOfScope)
		out = append(out, *g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Group < out[j].Group })
	return out
}

// isEntry reports whether id answers from the FAQ.
func (e *snapshot) isEntry(id string) bool {
	t, ok := e.kb.Target(id)
	return ok && t.IsEntry()
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return round(float64(a) / float64(b))
}

// CheckExamples classifies the examples and counterexamples of every rule
// and reports those that do not come out as the rule says.
func CheckExamples(b *bot.Bot) knowledge.Problems {
	e := snapshotOf(b)
	var ps knowledge.Problems
	for _, in := range e.kb.Rules.Intents {
		for _, ex := range in.Examples {
			if got := e.m.Match(ex).Intent; got != in.Target {
				ps = append(ps, knowledge.Problem{File: e.kb.Rules.File, Line: in.Line,
					Msg: "example " + quote(ex) + " of " + in.ID + " is classified as " + got})
			}
		}
		for _, ex := range in.Counterexamples {
			if got := e.m.Match(ex).Intent; got == in.Target {
				ps = append(ps, knowledge.Problem{File: e.kb.Rules.File, Line: in.Line,
					Msg: "counterexample " + quote(ex) + " of " + in.ID + " is classified as " + in.ID})
			}
		}
	}
	return ps
}

func quote(s string) string { return "\"" + strings.ReplaceAll(s, `"`, `\"`) + "\"" }

// ConfusionMatrix counts the messages of an evaluation by label and
// answer: Counts[i][j] messages labelled Labels[i] got the answer
// Labels[j], so the diagonal holds the right answers and every message is
// in exactly one cell.
type ConfusionMatrix struct {
	Labels []string
	Counts [][]int
}

// Matrix returns the report's confusion matrix, labels in the report's
// order with none (out of scope) last.
func (r Report) Matrix() ConfusionMatrix {
	var m ConfusionMatrix
	at := map[string]int{}
	hasNone := false
	for _, ie := range r.Intents {
		if ie.Intent == knowledge.None {
			hasNone = true
			continue
		}
		at[ie.Intent] = len(m.Labels)
		m.Labels = append(m.Labels, ie.Intent)
	}
	if hasNone {
		at[knowledge.None] = len(m.Labels)
		m.Labels = append(m.Labels, knowledge.None)
	}
	m.Counts = make([][]int, len(m.Labels))
	for i := range m.Counts {
		m.Counts[i] = make([]int, len(m.Labels))
	}
	// Each label's messages are the right answers and its confusions.
	for _, ie := range r.Intents {
		m.Counts[at[ie.Intent]][at[ie.Intent]] += ie.Support
	}
	for _, c := range r.Confusions {
		m.Counts[at[c.Label]][at[c.Predicted]] += c.Count
		m.Counts[at[c.Label]][at[c.Label]] -= c.Count
	}
	return m
}

// round keeps three decimals, as the reports show them.
func round(f float64) float64 { return math.Round(f*1000) / 1000 }
