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
	root, rf, ok := decodeRules(src, errs)
	if !ok {
		return nil, *errs.list
	}
	rs := newRules(file, rf)
	rs.checkSynonyms(errs)
	rs.checkCommands(errs)
	rs.checkSettings(errs)
	rs.checkConcepts(errs)
	seen := rs.parseIntents(rf.Intents, root, errs)
	rs.checkParents(seen, errs)
	rs.checkMessageNames(errs)
	return rs, errs.list.errOrNil()
}

// decodeRules parses src and decodes it into a rulesFile; root is the
// parsed file, whose nodes know the lines. ok is false, with the problems
// in errs, when src is not YAML, is empty or has keys or values that do
// not fit.
func decodeRules(src []byte, errs problems) (root *yaml.Node, rf *rulesFile, ok bool) {
	// The file is parsed once, into nodes, which give the lines, and then
	// decoded from them. (Decoding it strictly from the text as well took
	// half of the start's time in here.)
	root = new(yaml.Node)
	if err := yaml.Unmarshal(src, root); err != nil {
		line, format, problem := yamlProblem(err.Error())
		errs.add(syntaxLine(src, line, problem), format, problem)
		return nil, nil, false
	}
	if len(root.Content) == 0 {
		errs.add(0, "the file is empty")
		return nil, nil, false
	}
	rf = new(rulesFile)
	if list := decodeKnownFields(root, rf); len(list) > 0 {
		for _, p := range list { // each at its own line
			errs.add(yamlProblem(p))
		}
		return nil, nil, false
	}
	return root, rf, true
}

// newRules makes Rules of the decoded file's sections; the intents are
// added one by one, as they are checked.
func newRules(file string, rf *rulesFile) *Rules {
	return &Rules{File: file, Settings: rf.Settings, Concepts: rf.Concepts, Messages: rf.Messages,
		Commands: rf.Commands, NumberContext: rf.Numbers.Context, NumberUnits: rf.Numbers.Units, Synonyms: rf.Synonyms}
}

// checkSynonyms reports synonym groups of fewer than two words.
func (rs *Rules) checkSynonyms(errs problems) {
	for i, g := range rs.Synonyms {
		if len(g) < 2 {
			errs.add(0, "synonyms: group %d has %d words; a group needs two or more", i+1, len(g))
		}
	}
}

// checkCommands reports unknown agent commands and command words that are
// not one word.
func (rs *Rules) checkCommands(errs problems) {
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
}

// checkSettings reports settings that name undefined concepts, fills in
// the defaults of the numbers not set, and then checks the threshold.
func (rs *Rules) checkSettings(errs problems) {
	s := &rs.Settings
	for _, c := range []struct{ key, name string }{{"followup", s.Followup}, {"own_number", s.OwnNumber}} {
		if _, ok := rs.Concepts[c.name]; c.name != "" && !ok {
			errs.add(0, "settings.%s names the concept %q, which concepts does not define", c.key, c.name)
		}
	}
	setDefault(&s.Threshold, 0.5)
	setDefault(&s.ClarifyMargin, 0.1)
	setDefault(&s.NegativePenalty, 0.7)
	if s.MaxRunes == 0 {
		s.MaxRunes = 500
	}
	if s.Threshold <= 0 || s.Threshold > 1 {
		errs.add(0, "settings.threshold must be in (0, 1], got %g", s.Threshold)
	}
}

// checkConcepts reports concepts without phrases and empty phrases.
func (rs *Rules) checkConcepts(errs problems) {
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
}

// parseIntents adds the file's intents to rs.Intents in order, each one
// checked; root gives their lines. seen is the line of each intent id.
func (rs *Rules) parseIntents(list []intentYAML, root *yaml.Node, errs problems) (seen map[string]int) {
	intentLines, signalLines := nodeLines(root)
	seen = map[string]int{}
	for i, iy := range list {
		line, sigLines := 0, []int(nil)
		if i < len(intentLines) {
			line = intentLines[i]
		}
		if i < len(signalLines) {
			sigLines = signalLines[i]
		}
		rs.Intents = append(rs.Intents, rs.parseIntent(iy, line, sigLines, seen, errs))
	}
	return seen
}

// parseIntent makes the intent iy, written at line with its signals at
// signalLines, an Intent, and reports what is wrong with it. seen holds
// the line of each intent id before it; parseIntent adds this one's.
func (rs *Rules) parseIntent(iy intentYAML, line int, signalLines []int, seen map[string]int, errs problems) Intent {
	in := Intent{
		ID: iy.ID, Line: line, Entry: strings.TrimSpace(iy.Answer.Entry), Step: iy.Answer.Step,
		Message: iy.Answer.Message, Boost: iy.Boost, Handoff: iy.Handoff, Yield: iy.Yield, MaxUnits: iy.MaxUnits,
		Negatives: iy.Negatives, Examples: iy.Examples, Counterexamples: iy.Counterexamples,
	}
	checkIntentID(in, seen, errs)
	seen[in.ID] = line
	rs.checkAnswer(in, errs)
	in.Signals = rs.parseSignals(in.ID, iy.Signals, line, signalLines, errs)
	for _, t := range in.Negatives {
		checkTerm(errs, line, rs.Concepts, in.ID, t)
	}
	return in
}

// checkIntentID reports an intent id that is missing, reserved, badly
// formed or, by seen, already taken.
func checkIntentID(in Intent, seen map[string]int, errs problems) {
	switch {
	case in.ID == "":
		errs.add(in.Line, "intent has no id")
	case in.ID == None:
		errs.add(in.Line, "intent id %q is reserved for no answer", None)
	case !intentID.MatchString(in.ID):
		errs.add(in.Line, "intent id %q: use lower-case words joined by _ and .", in.ID)
	}
	if prev, ok := seen[in.ID]; ok {
		errs.add(in.Line, "intent %q is defined twice (also on line %d)", in.ID, prev)
	}
}

// checkAnswer reports an answer that gives both an entry and a message, a
// step without an entry, and a message that messages does not define.
func (rs *Rules) checkAnswer(in Intent, errs problems) {
	if in.Entry != "" && in.Message != "" {
		errs.add(in.Line, "intent %q: answer has both an entry and a message; give one", in.ID)
	}
	if in.Step < 0 || (in.Step > 0 && in.Entry == "") {
		errs.add(in.Line, "intent %q: step %d needs an entry and must be positive", in.ID, in.Step)
	}
	if _, ok := rs.Messages[in.Message]; in.Message != "" && !ok {
		errs.add(in.Line, "message %q is missing from messages", in.Message)
	}
}

// parseSignals makes the signals of intent id, written at lines (or, past
// their end, at the intent's line), Signals, and reports what is wrong
// with them: an intent needs at least one.
func (rs *Rules) parseSignals(id string, list []signalYAML, line int, lines []int, errs problems) []Signal {
	if len(list) == 0 {
		errs.add(line, "intent %q has no signals, so nothing can match it", id)
	}
	var signals []Signal
	for j, sy := range list {
		sl := line
		if j < len(lines) {
			sl = lines[j]
		}
		if len(sy.All) == 0 {
			errs.add(sl, "intent %q: signal has no terms", id)
		}
		if sy.Weight == 0 || sy.Weight > 1 || sy.Weight < -1 {
			errs.add(sl, "intent %q: signal weight must be in [-1, 1] and not 0, got %g", id, sy.Weight)
		}
		for _, t := range sy.All {
			checkTerm(errs, sl, rs.Concepts, id, t)
		}
		signals = append(signals, Signal{All: sy.All, Weight: sy.Weight, Line: sl})
	}
	return signals
}

// checkParents reports intents that refine one that seen, the ids of
// every intent, does not have.
func (rs *Rules) checkParents(seen map[string]int, errs problems) {
	for _, in := range rs.Intents {
		if p := in.Parent(); p != "" {
			if _, ok := seen[p]; !ok {
				errs.add(in.Line, "intent %q refines %q, which is not defined", in.ID, p)
			}
		}
	}
}

// checkMessageNames reports, in name order, messages that neither the bot
// nor an intent says (most likely a typo), and those it says without a
// Chinese text.
func (rs *Rules) checkMessageNames(errs problems) {
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
