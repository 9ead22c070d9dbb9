package knowledge

import (
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"testing"
)

// Broken rules files get problems a person can act on, each at its line.
func TestRulesProblems(t *testing.T) {
	src, _ := fs.ReadFile(Embedded(), FileRules)
	base := string(src)
	cases := []struct{ name, old, new, want string }{
		{"unknown top-level key", "\nconcepts:\n", "\nconcept:\n",
			`intents.yaml:{line}: unknown key "concept" at the top level; the keys there are settings, commands, numbers, synonyms, concepts, messages, intents`},
		{"unknown setting", "  max_runes: 500", "  max_rune: 500",
			`intents.yaml:{line}: unknown key "max_rune" in settings; the keys there are threshold, clarify_margin, negative_penalty, max_runes, followup, own_number`},
		{"unknown intent key", "    yield: true", "    yeld: true",
			`intents.yaml:{line}: unknown key "yeld" in intent greeting; the keys there are id, answer, boost, handoff, yield, max_units, signals, negatives, examples, counterexamples`},
		{"unknown answer key", "answer: {message: greeting}", "answer: {mesage: greeting}",
			`intents.yaml:{line}: unknown key "mesage" in intent greeting: answer; the keys there are entry, step, message`},
		{"unknown signal key", "weight: ", "wieght: ",
			`intents.yaml:{line}: unknown key "wieght" in intent verify_failed: signals[0]; the keys there are all, weight`},
		{"two unknown keys", "  max_runes: 500", "  max_rune: 500\n  foo: 1",
			`intents.yaml:{line}: unknown key "max_rune" in settings; the keys there are threshold, clarify_margin, negative_penalty, max_runes, followup, own_number | intents.yaml:{line+1}: unknown key "foo" in settings; the keys there are threshold, clarify_margin, negative_penalty, max_runes, followup, own_number`},
		{"wrong type", "  max_runes: 500", "  max_runes: many",
			"intents.yaml:{line}: cannot unmarshal !!str `many` into int"},
		{"wrong type in a signal", "weight: 0.6}", "weight: [0.6]}",
			"intents.yaml:{line}: cannot unmarshal !!seq into float64"},
		{"a key with a line number in it", "  max_runes: 500", "  max_runes: 500\n  deadline 3: 1",
			`intents.yaml:{line+1}: unknown key "deadline 3" in settings; the keys there are threshold, clarify_margin, negative_penalty, max_runes, followup, own_number`},
		{"a key written as an alias", "  max_runes: 500", "  max_runes: &k 500\n  *k : 1",
			`intents.yaml:{line+1}: unknown key "500" in settings; the keys there are threshold, clarify_margin, negative_penalty, max_runes, followup, own_number`},
		{"a list as a key", "  max_runes: 500", "  max_runes: 500\n  ? [a, b]\n  : 1",
			"intents.yaml:{line+1}: cannot unmarshal !!seq into string"},
		{"syntax error", "  max_runes: 500", "  max_runes: [500",
			`intents.yaml:{line}: did not find expected ',' or ']'`},
		{"tab", "  max_runes: 500", "\tmax_runes: 500",
			`intents.yaml:{line}: found a tab character that violates indentation`},
		// yaml puts these at the start of the list they are in.
		{"an error at the end of the intents", "    counterexamples: [人工审核要多久]\n", "    counterexamples: [人工审核要多久]\n  - id: broken\n  examples: [x]\n",
			`intents.yaml:{line+2}: did not find expected '-' indicator`},
		{"an error at the end of a setting's list", "  max_runes: 500", "  max_runes: 500\n  followups:\n    - a\n    b: 1",
			`intents.yaml:{line+3}: did not find expected '-' indicator`},
		{"empty", base, "",
			`intents.yaml: the file is empty`},
		{"only a comment", base, "# nothing\n",
			`intents.yaml: the file is empty`},
		{"not a mapping", base, "- a\n- b\n",
			`intents.yaml:{line}: cannot unmarshal !!seq into knowledge.rulesFile`},
		{"intents not a list", base, "intents: 3\n",
			"intents.yaml:{line}: cannot unmarshal !!int `3` into []knowledge.intentYAML"},
		{"anchor and alias", "  max_runes: 500", "  max_runes: &m 500\n  threshold: *m",
			`intents.yaml:{line+1}: mapping key "threshold" already defined at line {line-3}`},
		{"merge key", "\nsettings:\n", "\nbase: &b {threshold: 0.6}\nsettings:\n  <<: *b\n",
			`intents.yaml:{line}: unknown key "base" at the top level; the keys there are settings, commands, numbers, synonyms, concepts, messages, intents`},
		{"merge list", "\nsettings:\n", "\nsettings:\n  <<: [{threshold: 0.6}, {treshold: 0.5}]\n",
			`intents.yaml:{line+1}: unknown key "treshold" in settings; the keys there are threshold, clarify_margin, negative_penalty, max_runes, followup, own_number`},
	}
	for _, c := range cases {
		at := strings.Index(base, c.old)
		if at < 0 {
			t.Fatalf("%s: %q not found", c.name, c.old)
		}
		text := base[:at] + c.new + base[at+len(c.old):]
		// {line} is the line where the change starts; yaml puts some
		// problems a line or so before or after it.
		line := strings.Count(text[:at+len(c.new)-len(strings.TrimLeft(c.new, "\n"))], "\n") + 1
		want := c.want
		for d := -3; d <= 3; d++ {
			ph := "{line}"
			if d != 0 {
				ph = fmt.Sprintf("{line%+d}", d)
			}
			want = strings.ReplaceAll(want, ph, strconv.Itoa(line+d))
		}
		_, err := ParseRules(FileRules, strings.NewReader(text))
		var ps Problems
		if err != nil && !errors.As(err, &ps) {
			t.Fatalf("%s: %T %v", c.name, err, err)
		}
		if got := strings.ReplaceAll(fmt.Sprint(err), "\n", " | "); got != want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, want)
		}
	}
}
