package knowledge

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ParseRules parses an intents file. It checks the file on its own; the
// references into the FAQ are checked by Load.
func ParseRules(file string, r io.Reader) (*Rules, error) {
	src, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	errs := problems{file: file, list: new(Problems)}
	// The file is parsed once, into nodes, which give the lines, and then
	// decoded from them. (Decoding it strictly from the text as well took
	// half of the start's time in here.)
	var root yaml.Node
	if err := yaml.Unmarshal(src, &root); err != nil {
		line, format, problem := yamlProblem(err.Error())
		errs.add(syntaxLine(src, line, problem), format, problem)
		return nil, *errs.list
	}
	if len(root.Content) == 0 {
		errs.add(0, "the file is empty")
		return nil, *errs.list
	}
	var rf rulesFile
	if list := decodeKnownFields(&root, &rf); len(list) > 0 {
		for _, p := range list { // each at its own line
			errs.add(yamlProblem(p))
		}
		return nil, *errs.list
	}
	intentNodes, signalNodes := nodeLines(&root)

	rs := &Rules{File: file, Settings: rf.Settings, Concepts: rf.Concepts, Messages: rf.Messages,
		Commands: rf.Commands, NumberContext: rf.Numbers.Context, NumberUnits: rf.Numbers.Units, Synonyms: rf.Synonyms}
	for i, g := range rs.Synonyms {
		if len(g) < 2 {
			errs.add(0, "synonyms: group %d has %d words; a group needs two or more", i+1, len(g))
		}
	}
	for cmd, words := range rs.Commands {
		if !slices.Contains(commandNames, cmd) {
			errs.add(0, "commands: unknown command %q (the commands are %s)", cmd, strings.Join(commandNames, ", "))
		}
		for _, w := range words {
			if strings.TrimSpace(w) == "" || strings.ContainsAny(strings.TrimSpace(w), " \t") {
				errs.add(0, "commands: %s: %q is not one word", cmd, w)
			}
		}
	}
	for _, c := range []struct{ key, name string }{{"followup", rf.Settings.Followup}, {"own_number", rf.Settings.OwnNumber}} {
		if _, ok := rs.Concepts[c.name]; c.name != "" && !ok {
			errs.add(0, "settings.%s names the concept %q, which concepts does not define", c.key, c.name)
		}
	}
	s := &rs.Settings
	setDefault(&s.Threshold, 0.5)
	setDefault(&s.ClarifyMargin, 0.1)
	setDefault(&s.NegativePenalty, 0.7)
	if s.MaxRunes == 0 {
		s.MaxRunes = 500
	}
	if s.Threshold <= 0 || s.Threshold > 1 {
		errs.add(0, "settings.threshold must be in (0, 1], got %g", s.Threshold)
	}
	for name, phrases := range rs.Concepts {
		if len(phrases) == 0 {
			errs.add(0, "concept %q has no phrases", name)
		}
		for _, ph := range phrases {
			if strings.TrimSpace(ph) == "" {
				errs.add(0, "concept %q has an empty phrase", name)
			}
		}
	}
	seen := map[string]int{}
	for i, iy := range rf.Intents {
		line := 0
		if i < len(intentNodes) {
			line = intentNodes[i]
		}
		in := Intent{
			ID: iy.ID, Line: line, Entry: strings.TrimSpace(iy.Answer.Entry), Step: iy.Answer.Step,
			Message: iy.Answer.Message, Boost: iy.Boost, Handoff: iy.Handoff, Yield: iy.Yield, MaxUnits: iy.MaxUnits,
			Negatives: iy.Negatives, Examples: iy.Examples, Counterexamples: iy.Counterexamples,
		}
		switch {
		case in.ID == "":
			errs.add(line, "intent has no id")
		case in.ID == None:
			errs.add(line, "intent id %q is reserved for no answer", None)
		case !intentID.MatchString(in.ID):
			errs.add(line, "intent id %q: use lower-case words joined by _ and .", in.ID)
		}
		if prev, ok := seen[in.ID]; ok {
			errs.add(line, "intent %q is defined twice (also on line %d)", in.ID, prev)
		}
		seen[in.ID] = line
		if in.Entry != "" && in.Message != "" {
			errs.add(line, "intent %q: answer has both an entry and a message; give one", in.ID)
		}
		if in.Step < 0 || (in.Step > 0 && in.Entry == "") {
			errs.add(line, "intent %q: step %d needs an entry and must be positive", in.ID, in.Step)
		}
		if _, ok := rs.Messages[in.Message]; in.Message != "" && !ok {
			errs.add(line, "message %q is missing from messages", in.Message)
		}
		if len(iy.Signals) == 0 {
			errs.add(line, "intent %q has no signals, so nothing can match it", in.ID)
		}
		for j, sy := range iy.Signals {
			sl := line
			if i < len(signalNodes) && j < len(signalNodes[i]) {
				sl = signalNodes[i][j]
			}
			if len(sy.All) == 0 {
				errs.add(sl, "intent %q: signal has no terms", in.ID)
			}
			if sy.Weight == 0 || sy.Weight > 1 || sy.Weight < -1 {
				errs.add(sl, "intent %q: signal weight must be in [-1, 1] and not 0, got %g", in.ID, sy.Weight)
			}
			for _, t := range sy.All {
				checkTerm(errs, sl, rs.Concepts, in.ID, t)
			}
			in.Signals = append(in.Signals, Signal{All: sy.All, Weight: sy.Weight, Line: sl})
		}
		for _, t := range in.Negatives {
			checkTerm(errs, line, rs.Concepts, in.ID, t)
		}
		rs.Intents = append(rs.Intents, in)
	}
	for _, in := range rs.Intents {
		if p := in.Parent(); p != "" {
			if _, ok := seen[p]; !ok {
				errs.add(in.Line, "intent %q refines %q, which is not defined", in.ID, p)
			}
		}
	}
	used := map[string]bool{}
	for _, m := range requiredMessages {
		used[m] = true
	}
	for _, in := range rs.Intents {
		used[in.Message] = true
	}
	names := make([]string, 0, len(rs.Messages))
	for name := range rs.Messages {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if !used[name] {
			errs.add(0, "message %q is not one the bot says (a typo?); the bot's messages are %s", name, strings.Join(requiredMessages, ", "))
			continue
		}
		if strings.TrimSpace(rs.Messages[name]["zh"]) == "" {
			errs.add(0, "message %q has no zh text", name)
		}
	}
	return rs, errs.list.errOrNil()
}

type rulesFile struct {
	Settings Settings                     `yaml:"settings"`
	Commands map[string][]string          `yaml:"commands"`
	Numbers  numbersYAML                  `yaml:"numbers"`
	Synonyms [][]string                   `yaml:"synonyms"`
	Concepts map[string][]string          `yaml:"concepts"`
	Messages map[string]map[string]string `yaml:"messages"`
	Intents  []intentYAML                 `yaml:"intents"`
}

type numbersYAML struct {
	Context []string `yaml:"context"`
	Units   []string `yaml:"units"`
}

type intentYAML struct {
	ID     string `yaml:"id"`
	Answer struct {
		Entry   string `yaml:"entry"`
		Step    int    `yaml:"step"`
		Message string `yaml:"message"`
	} `yaml:"answer"`
	Boost           bool         `yaml:"boost"`
	Handoff         bool         `yaml:"handoff"`
	Yield           bool         `yaml:"yield"`
	MaxUnits        int          `yaml:"max_units"`
	Signals         []signalYAML `yaml:"signals"`
	Negatives       []string     `yaml:"negatives"`
	Examples        []string     `yaml:"examples"`
	Counterexamples []string     `yaml:"counterexamples"`
}

type signalYAML struct {
	All    []string `yaml:"all"`
	Weight float64  `yaml:"weight"`
}

func checkTerm(errs problems, line int, concepts map[string][]string, id, t string) {
	switch {
	case strings.TrimSpace(t) == "":
		errs.add(line, "intent %q: empty term", id)
	case strings.HasPrefix(t, "@"):
		if _, ok := concepts[t[1:]]; !ok {
			errs.add(line, "intent %q: unknown concept %s", id, t)
		}
	case strings.HasPrefix(t, "$"):
		if !specialTerms[t] {
			errs.add(line, "intent %q: unknown term %s (want $number, $phone, $prefix, $badnumber or $short)", id, t)
		}
	}
}

func setDefault(v *float64, d float64) {
	if *v == 0 {
		*v = d
	}
}
