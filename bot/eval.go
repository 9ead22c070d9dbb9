package bot

import (
	"sort"

	"github.com/supportbot/supportbot/knowledge"
)

// Labelled is one message of an evaluation set.
type Labelled struct {
	Text   string `json:"text"`
	Intent string `json:"intent"`
}

// EvalReport scores a matcher on a labelled set, in the manner of NLU test
// reports: per-intent precision, recall and F1, the confusions, accuracy,
// and how often out-of-scope messages got an answer anyway.
type EvalReport struct {
	Total    int          `json:"total"`
	Correct  int          `json:"correct"`
	Accuracy float64      `json:"accuracy"`
	Intents  []IntentEval `json:"intents"`
	// OutOfScope counts messages labelled none; FalseAnswers those of them
	// that got an intent, and FalseAnswerRate the share.
	OutOfScope      int     `json:"out_of_scope"`
	FalseAnswers    int     `json:"false_answers"`
	FalseAnswerRate float64 `json:"false_answer_rate"`
	Clarified       int     `json:"clarified"` // answers that came with clarify candidates
	// ToModel counts the messages that would go to the fallback model when
	// one is configured: no confident rule and a relevant FAQ passage.
	ToModel    int         `json:"to_model"`
	Confusions []Confusion `json:"confusions"`
	MacroF1    float64     `json:"macro_f1"`
}

// IntentEval is one intent's line of the report.
type IntentEval struct {
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

// Evaluate classifies every message of set.
func (b *Bot) Evaluate(set []Labelled) EvalReport {
	e := b.cur.Load()
	m := e.m
	var r EvalReport
	tp, support, predicted := map[string]int{}, map[string]int{}, map[string]int{}
	conf := map[[2]string]*Confusion{}
	for _, ex := range set {
		c := m.classify(ex.Text, false)
		r.Total++
		support[ex.Intent]++
		predicted[c.Intent]++
		if len(c.Clarify) > 0 && c.Intent != knowledge.None {
			r.Clarified++
		}
		if c.Intent == knowledge.None && len(c.Clarify) == 0 && len(e.index.search(b.norm.Normalize(ex.Text), c.Lang, 1)) > 0 {
			r.ToModel++
		}
		if ex.Intent == knowledge.None {
			r.OutOfScope++
			if c.Intent != knowledge.None {
				r.FalseAnswers++
			}
		}
		if c.Intent == ex.Intent {
			r.Correct++
			tp[ex.Intent]++
			continue
		}
		k := [2]string{ex.Intent, c.Intent}
		if conf[k] == nil {
			conf[k] = &Confusion{Label: ex.Intent, Predicted: c.Intent}
		}
		conf[k].Count++
		if len(conf[k].Examples) < 5 {
			conf[k].Examples = append(conf[k].Examples, MaskText(ex.Text))
		}
	}
	r.Accuracy = ratio(r.Correct, r.Total)
	r.FalseAnswerRate = ratio(r.FalseAnswers, r.OutOfScope)
	names := map[string]bool{}
	for k := range support {
		names[k] = true
	}
	for k := range predicted {
		names[k] = true
	}
	var sumF1 float64
	for name := range names {
		ie := IntentEval{Intent: name, Support: support[name], Predicted: predicted[name]}
		ie.Precision = ratio(tp[name], predicted[name])
		ie.Recall = ratio(tp[name], support[name])
		if ie.Precision+ie.Recall > 0 {
			ie.F1 = 2 * ie.Precision * ie.Recall / (ie.Precision + ie.Recall)
		}
		ie.Precision, ie.Recall, ie.F1 = round(ie.Precision), round(ie.Recall), round(ie.F1)
		sumF1 += ie.F1
		r.Intents = append(r.Intents, ie)
	}
	if len(r.Intents) > 0 {
		r.MacroF1 = round(sumF1 / float64(len(r.Intents)))
	}
	sort.Slice(r.Intents, func(i, j int) bool { return r.Intents[i].Intent < r.Intents[j].Intent })
	for _, c := range conf {
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

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return round(float64(a) / float64(b))
}

// CheckExamples classifies the examples and counterexamples of every rule
// and reports those that do not come out as the rule says.
func (b *Bot) CheckExamples() knowledge.Problems {
	e := b.cur.Load()
	var ps knowledge.Problems
	for _, in := range e.kb.Rules.Intents {
		for _, ex := range in.Examples {
			if got := e.m.classify(ex, false).Intent; got != in.ID {
				ps = append(ps, knowledge.Problem{File: knowledge.FileRules, Line: in.Line,
					Msg: "example " + quote(ex) + " of " + in.ID + " is classified as " + got})
			}
		}
		for _, ex := range in.Counterexamples {
			if got := e.m.classify(ex, false).Intent; got == in.ID {
				ps = append(ps, knowledge.Problem{File: knowledge.FileRules, Line: in.Line,
					Msg: "counterexample " + quote(ex) + " of " + in.ID + " is classified as " + in.ID})
			}
		}
	}
	return ps
}

func quote(s string) string { return "\"" + s + "\"" }
