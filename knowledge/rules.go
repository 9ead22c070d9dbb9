package knowledge

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Rules is the parsed intents file: how the matcher scores messages, and
// which answer each intent gives. It is data: adding an FAQ question and a
// rule entry needs no code change.
type Rules struct {
	File     string
	Settings Settings
	// Concepts are named phrase lists shared by signals ("@sms").
	Concepts map[string][]string
	// Messages are the bot's own texts by name, then language.
	Messages map[string]map[string]string
	Intents  []Intent
	// Commands are the words that start an agent command typed as text,
	// by command: "checknum", "help", "handoff".
	Commands map[string][]string
	// Synonyms are groups of words that mean the same in this FAQ's
	// field, for the retrieval index (besides its everyday ones).
	Synonyms [][]string
	// NumberContext are words that make a bare three-digit number in a
	// message a prefix ("192号段"), NumberUnits units after one that make
	// it a quantity ("120秒").
	NumberContext, NumberUnits []string
}

// Settings tune the matcher.
type Settings struct {
	Threshold       float64 `yaml:"threshold"`        // answer at or above this confidence
	ClarifyMargin   float64 `yaml:"clarify_margin"`   // top two closer than this: clarify
	NegativePenalty float64 `yaml:"negative_penalty"` // subtracted when a negative phrase matches
	MaxRunes        int     `yaml:"max_runes"`        // longer messages are cut before matching
	// Followup names the concept of messages that say the last answer
	// did not help ("still nothing"): the bot moves on to the next step.
	Followup string `yaml:"followup"`
	// OwnNumber names the concept of a user's own number ("my number"):
	// asked about it without giving it, for an answer that asks for a
	// number, the bot asks for it.
	OwnNumber string `yaml:"own_number"`
}

// Intent is one rule entry.
type Intent struct {
	ID   string
	Line int
	// Answer: an FAQ entry (Entry, its Chinese question or its id) and
	// optionally one of its items (Step, 1-based); or one of the bot's
	// messages (Message); with neither, the entry or item whose id is ID.
	Entry   string
	Step    int
	Message string
	// Target is the id of the answer, once Load has found it.
	Target string
	// Boost marks a rule that adds its evidence to the retrieval index's
	// for its entry or item. Without it, a rule for an entry or item is an
	// override: that entry and its items are answered by their rules,
	// and the index no longer offers them.
	Boost bool
	// Handoff marks an intent that asks for a person.
	Handoff bool
	// Yield marks small talk (greeting, thanks) that gives way to any
	// content intent that also matches.
	Yield bool
	// MaxUnits, when set, limits the intent to messages of at most this
	// many Chinese characters, words and numbers.
	MaxUnits  int
	Signals   []Signal
	Negatives []string
	Examples  []string
	// Counterexamples must not be answered with this intent.
	Counterexamples []string
}

// Signal adds Weight to its intent when every term matches. A term is a
// phrase, "@concept", or one of $number, $phone, $prefix, $badnumber, $short.
type Signal struct {
	All    []string
	Weight float64
	Line   int
}

// Parent returns the id of the intent this one refines ("sms_missing" for
// "sms_missing.resend"), or "".
func (in *Intent) Parent() string {
	if i := strings.LastIndexByte(in.ID, '.'); i > 0 {
		return in.ID[:i]
	}
	return ""
}

// Specials are the terms the matcher computes from the message itself.
var specialTerms = map[string]bool{"$number": true, "$phone": true, "$prefix": true, "$badnumber": true, "$short": true}

// SpecialTerm reports whether t is a computed term such as $number.
func SpecialTerm(t string) bool { return specialTerms[t] }

// None is the intent id for "no confident answer".
const None = "none"

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

// lines mirrors rulesFile with yaml nodes, to know where things are.

var intentID = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$`)

// IsIntentID reports whether s has the form of an intent id: parts of a
// lower-case letter and then letters, digits or underscores, joined by dots.
func IsIntentID(s string) bool { return intentID.MatchString(s) }

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

// commandNames are the agent commands that words in commands can start.
var commandNames = []string{"checknum", "help", "handoff"}

// requiredMessages are the texts the bot composes answers with.
var requiredMessages = []string{
	"none", "empty", "step_pointer", "case_pointer", "prefix_list",
	"verdict_supported", "verdict_unsupported", "verdict_listed_invalid",
	"number_invalid_length", "number_invalid_start", "number_invalid_chars", "number_empty", "number_foreign",
	"checknum_usage", "clarify", "text_only", "handoff_notice", "handoff_unavailable", "handoff_failed", "handoff_notified", "generated_note", "fallback_error", "rate_limited", "ask_number", "followup_exhausted",
	"no_table", "only_chinese", "help_checknum", "agent_reply",
	"home_title", "home", "home_checknum",
	"clarify_card", "card_chosen", "feedback_ask", "feedback_helpful", "feedback_not_helpful", "feedback_thanks",
}

// checkRequired reports the bot's messages that rs lacks.
func (rs *Rules) checkRequired(all *Problems) {
	errs := problems{file: rs.File, list: all}
	for _, m := range requiredMessages {
		checkMessage(errs, 0, rs.Messages, m)
	}
}

// fillMessages takes the bot's messages that an operator's rules do not
// set from the built-in rules.
func (rs *Rules) fillMessages(builtin *Rules) (filled []string) {
	if rs.Messages == nil {
		rs.Messages = map[string]map[string]string{}
	}
	for _, name := range requiredMessages {
		m := rs.Messages[name]
		for lang, text := range builtin.Messages[name] {
			if strings.TrimSpace(m[lang]) == "" {
				if m == nil {
					m = map[string]string{}
					rs.Messages[name] = m
				}
				m[lang] = text
				filled = append(filled, name+"."+lang)
			}
		}
	}
	for _, key := range []struct {
		dst *[]string
		src []string
	}{{&rs.NumberContext, builtin.NumberContext}, {&rs.NumberUnits, builtin.NumberUnits}} {
		if len(*key.dst) == 0 {
			*key.dst = key.src
		}
	}
	if rs.Commands == nil {
		rs.Commands = builtin.Commands
	}
	return filled
}

func checkMessage(errs problems, line int, msgs map[string]map[string]string, name string) {
	m, ok := msgs[name]
	if !ok {
		errs.add(line, "message %q is missing from messages", name)
		return
	}
	for _, lang := range []string{"zh", "en"} {
		if strings.TrimSpace(m[lang]) == "" {
			errs.add(line, "message %q has no %s text", name, lang)
		}
	}
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

// nodeLines finds the line of every intent and of each of its signals.
func nodeLines(root *yaml.Node) (intents []int, signals [][]int) {
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 {
		return nil, nil
	}
	top := root.Content[0]
	list := mapValue(top, "intents")
	if list == nil {
		return nil, nil
	}
	for _, in := range list.Content {
		intents = append(intents, in.Line)
		var sl []int
		if sigs := mapValue(in, "signals"); sigs != nil {
			for _, s := range sigs.Content {
				sl = append(sl, s.Line)
			}
		}
		signals = append(signals, sl)
	}
	return intents, signals
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// decodeKnownFields decodes n into v and reports, besides the decoder's
// own problems (a value of the wrong kind), every key that names no field:
// a mistyped key would otherwise be dropped without a word. The problems
// come in the file's order, each as "line N: ...".
func decodeKnownFields(n *yaml.Node, v any) []string {
	var list []string
	if err := n.Decode(v); err != nil {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return []string{err.Error()}
		}
		list = te.Errors
	}
	unknownKeys(n, reflect.TypeOf(v), "", &list)
	line := func(s string) int { n, _, _ := yamlProblem(s); return n }
	slices.SortStableFunc(list, func(a, b string) int { return line(a) - line(b) })
	return list
}

// unknownKeys adds a problem for each mapping key under n that names no
// field of the struct that t (or what it holds) is; where says where n is
// in the file, as a person would look for it ("" at the top level).
func unknownKeys(n *yaml.Node, t reflect.Type, where string, list *[]string) {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind == yaml.DocumentNode {
		for _, c := range n.Content {
			unknownKeys(c, t, where, list)
		}
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t.Kind() == reflect.Slice && n.Kind == yaml.SequenceNode:
		for i, c := range n.Content {
			at := fmt.Sprintf("%s[%d]", where, i)
			if id := mapValue(c, "id"); id != nil && id.Kind == yaml.ScalarNode && id.Value != "" && where == "intents" {
				at = "intent " + id.Value + ":" // ids are what people search the file for
			}
			unknownKeys(c, t.Elem(), at, list)
		}
	case t.Kind() == reflect.Map && n.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			unknownKeys(n.Content[i+1], t.Elem(), where+"."+n.Content[i].Value, list)
		}
	case t.Kind() == reflect.Struct && n.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			at := k.Line
			for k.Kind == yaml.AliasNode && k.Alias != nil { // &k id: ... then *k : ...
				k = k.Alias
			}
			if k.Kind != yaml.ScalarNode {
				continue // a list or mapping as a key: the decoder has said so
			}
			if k.Tag == "!!merge" { // <<: *defaults, or a list of them
				if val.Kind == yaml.SequenceNode {
					for _, c := range val.Content {
						unknownKeys(c, t, where, list)
					}
				} else {
					unknownKeys(val, t, where, list)
				}
				continue
			}
			f, ok := yamlField(t, k.Value)
			if !ok {
				in := "at the top level"
				if where != "" {
					in = "in " + strings.TrimSuffix(where, ":")
				}
				*list = append(*list, fmt.Sprintf("line %d: unknown key %q %s; the keys there are %s",
					at, k.Value, in, strings.Join(yamlKeys(t), ", ")))
				continue
			}
			inner := k.Value
			switch {
			case strings.HasSuffix(where, ":"):
				inner = where + " " + k.Value
			case where != "":
				inner = where + "." + k.Value
			}
			unknownKeys(val, f.Type, inner, list)
		}
	}
}

// yamlField finds the field of struct t that the yaml key name sets: its
// yaml tag's name, or else its name in lower case.
func yamlField(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		if f := t.Field(i); yamlName(f) == name {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// yamlKeys lists the keys that set struct t's fields, in its order.
func yamlKeys(t reflect.Type) []string {
	var keys []string
	for i := range t.NumField() {
		if name := yamlName(t.Field(i)); name != "" {
			keys = append(keys, name)
		}
	}
	return keys
}

// yamlName is the key that sets field f, or "" for none.
func yamlName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	switch tag {
	case "-":
		return ""
	case "":
		return strings.ToLower(f.Name)
	}
	return tag
}

// syntaxLine is the line that holds the YAML syntax error problem, which
// yaml reported at line reported. yaml puts an error inside a block at the
// block's start, counting lines from 0 there, so that a mistake at the end
// of a long intents list was shown at the list's first line. The line that
// holds it is the first at whose end the file, cut there, already has the
// same error; it is at or after the reported one.
func syntaxLine(src []byte, reported int, problem string) int {
	var ends []int // offset after each line
	for i, c := range src {
		if c == '\n' {
			ends = append(ends, i+1)
		}
	}
	if len(ends) == 0 || ends[len(ends)-1] != len(src) {
		ends = append(ends, len(src))
	}
	fails := func(lines int) bool {
		var n yaml.Node
		err := yaml.Unmarshal(src[:ends[lines-1]], &n)
		if err == nil {
			return false
		}
		_, _, p := yamlProblem(err.Error())
		return p == problem
	}
	from := max(reported, 1)
	if from > len(ends) {
		return reported
	}
	// Cutting the file earlier cannot make an error that needs what is
	// after the cut: the lines that fail are the ones from the answer on.
	n := from + sort.Search(len(ends)-from+1, func(i int) bool { return fails(from + i) })
	if n > len(ends) {
		return reported // the error needs the whole file (it never happens cut)
	}
	return n
}

var yamlLine = regexp.MustCompile(`^line (\d+): ?`)

// yamlProblem splits one of yaml's messages ("yaml: line 12: did not find
// expected key") into its line and the rest, for problems.add. Only the
// leading "line N:" is the problem's line: another one later in the
// message ("already defined at line 8") is part of what it says.
func yamlProblem(msg string) (line int, format string, arg string) {
	msg = strings.TrimPrefix(msg, "yaml: ")
	msg = strings.TrimSpace(strings.TrimPrefix(msg, "unmarshal errors:\n"))
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = msg[len(m[0]):]
	}
	return line, "%s", strings.Join(strings.Fields(msg), " ")
}
