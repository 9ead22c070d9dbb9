package knowledge

import (
	"regexp"
	"strings"
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

var intentID = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$`)

// IsIntentID reports whether s has the form of an intent id: parts of a
// lower-case letter and then letters, digits or underscores, joined by dots.
func IsIntentID(s string) bool { return intentID.MatchString(s) }

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
	"clarify_card", "card_chosen", "feedback_ask", "feedback_helpful", "feedback_not_helpful", "feedback_thanks", "human_button", "preview_note", "post_to_channel", "chat_title", "chat_placeholder",
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
