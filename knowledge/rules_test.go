package knowledge

import (
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"testing"
)

// Broken rules files get problems a person can act on, at the right line;
// these are the ones a strict yaml.Decoder gave when the file was also
// parsed a second time for the lines.
func TestRulesProblems(t *testing.T) {
	src, _ := fs.ReadFile(Embedded(), FileRules)
	base := string(src)
	cases := []struct{ name, old, new, want string }{
		{"unknown top-level key", "\nconcepts:\n", "\nconcept:\n",
			`intents.yaml:{line}: field concept not found in type knowledge.rulesFile`},
		{"unknown setting", "  max_runes: 500", "  max_rune: 500",
			`intents.yaml:{line}: field max_rune not found in type knowledge.Settings`},
		{"unknown intent key", "    yield: true", "    yeld: true",
			`intents.yaml:{line}: field yeld not found in type knowledge.intentYAML`},
		{"unknown answer key", "answer: {entry: 管局短信核验失败怎么办？}", "answer: {entri: 管局短信核验失败怎么办？}",
			`intents.yaml:{line}: field entri not found in type struct { Entry string "yaml:\"entry\""; Step int "yaml:\"step\""; Message string "yaml:\"message\"" }`},
		{"unknown signal key", "weight: ", "wieght: ",
			`intents.yaml:{line}: field wieght not found in type knowledge.signalYAML`},
		{"two unknown keys", "  max_runes: 500", "  max_rune: 500\n  foo: 1",
			`intents.yaml:{line}: field max_rune not found in type knowledge.Settings : field foo not found in type knowledge.Settings`},
		{"wrong type", "  max_runes: 500", "  max_runes: many",
			"intents.yaml:{line}: cannot unmarshal !!str `many` into int"},
		{"wrong type in a signal", "weight: ", "weight: [1] #",
			`intents.yaml:{line-1}: did not find expected ',' or '}'`},
		{"syntax error", "  max_runes: 500", "  max_runes: [500",
			`intents.yaml:{line-1}: did not find expected ',' or ']'`},
		{"tab", "  max_runes: 500", "\tmax_runes: 500",
			`intents.yaml:{line-1}: found a tab character that violates indentation`},
		{"empty", base, "",
			`intents.yaml: the file is empty`},
		{"only a comment", base, "# nothing\n",
			`intents.yaml: the file is empty`},
		{"not a mapping", base, "- a\n- b\n",
			`intents.yaml:{line}: cannot unmarshal !!seq into knowledge.rulesFile`},
		{"intents not a list", base, "intents: 3\n",
			"intents.yaml:{line}: cannot unmarshal !!int `3` into []knowledge.intentYAML"},
		{"anchor and alias", "  max_runes: 500", "  max_runes: &m 500\n  threshold: *m",
			`intents.yaml:{line+1}: mapping key "threshold" already defined at`},
		{"merge key", "\nsettings:\n", "\nbase: &b {threshold: 0.6}\nsettings:\n  <<: *b\n",
			`intents.yaml:{line}: field base not found in type knowledge.rulesFile`},
		{"merge list", "\nsettings:\n", "\nsettings:\n  <<: [{threshold: 0.6}, {treshold: 0.5}]\n",
			`intents.yaml:{line+1}: field treshold not found in type knowledge.Settings`},
	}
	for _, c := range cases {
		at := strings.Index(base, c.old)
		if at < 0 {
			t.Fatalf("%s: %q not found", c.name, c.old)
		}
		text := base[:at] + c.new + base[at+len(c.old):]
		// {line} is the line where the change starts; yaml puts some
		// problems a line before or after it.
		line := strings.Count(text[:at+len(c.new)-len(strings.TrimLeft(c.new, "\n"))], "\n") + 1
		want := c.want
		for d := -1; d <= 1; d++ {
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
