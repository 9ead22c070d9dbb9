package knowledge

import (
	"fmt"
	"strings"
)

// The bot's messages that say what it can answer are written with
// placeholders that the FAQ fills in, so they stay true for any FAQ:
//
//	{topics}      what it answers, inline: "A、B、C" (at most a few)
//	{topic_list}  the same, a numbered line each
//	{example}     the first question, as an example of one
//
// With a prefix table, the number check (message help_checknum) is one of
// the topics.

// inlineTopics is how many questions {topics} names before it says how
// many more there are; listTopics the same for {topic_list}.
const (
	inlineTopics = 6
	listTopics   = 12
)

// expandMessages fills the placeholders of every message, per language.
func (kb *KB) expandMessages() {
	kb.messages = map[string]map[string]string{}
	for name, m := range kb.Rules.Messages {
		for lang, text := range m {
			if !strings.Contains(text, "{topics}") && !strings.Contains(text, "{topic_list}") && !strings.Contains(text, "{example}") {
				continue
			}
			if kb.messages[name] == nil {
				kb.messages[name] = map[string]string{}
			}
			text = strings.ReplaceAll(text, "{topics}", kb.topics(lang))
			text = strings.ReplaceAll(text, "{topic_list}", kb.topicList(lang))
			text = strings.ReplaceAll(text, "{example}", questionText(kb.FAQ(lang).Entries[0].Question))
			kb.messages[name][lang] = text
		}
	}
}

// questionText is a question as a topic: without its question mark.
func questionText(q string) string {
	return strings.TrimRight(strings.TrimSpace(q), "?？ ")
}

func (kb *KB) rawMessage(name, lang string) string {
	m := kb.Rules.Messages[name]
	if s := m[lang]; s != "" {
		return s
	}
	return m["zh"]
}

// capitalize writes an English list line's first letter as a capital.
func capitalize(s string) string {
	if s != "" && s[0] >= 'a' && s[0] <= 'z' {
		return string(s[0]-'a'+'A') + s[1:]
	}
	return s
}

// topics names what the bot answers, inline: every question of a small
// FAQ; the files' titles, or the first questions, of a larger one.
func (kb *KB) topics(lang string) string {
	sep, more := "、", "等 %d 个问题"
	if lang == "en" {
		sep, more = "; ", "and %d more questions"
	}
	entries := kb.FAQ(lang).Entries
	var parts []string
	switch {
	case len(entries) <= inlineTopics:
		for _, e := range entries {
			parts = append(parts, questionText(e.Question))
		}
	case len(kb.Topics) > 1 && len(kb.Topics) <= inlineTopics:
		for _, t := range kb.Topics {
			parts = append(parts, kb.topicTitle(t, lang))
		}
	default:
		for _, e := range entries[:inlineTopics-1] {
			parts = append(parts, questionText(e.Question))
		}
		parts = append(parts, fmt.Sprintf(more, len(entries)-(inlineTopics-1)))
	}
	if kb.HasTable() {
		parts = append(parts, kb.rawMessage("help_checknum", lang))
	}
	return strings.Join(parts, sep)
}

// topicList lists what the bot answers, a numbered line each: every
// question of a small FAQ, each file with some of its questions of a
// larger one.
func (kb *KB) topicList(lang string) string {
	entries := kb.FAQ(lang).Entries
	var lines []string
	if len(entries) <= listTopics {
		for _, e := range entries {
			lines = append(lines, questionText(e.Question))
		}
	} else {
		sep, count := "、", "（%d 个问题，例如：%s）"
		if lang == "en" {
			sep, count = "; ", " (%d questions, such as: %s)"
		}
		for _, t := range kb.Topics {
			var some []string
			for _, e := range entries[t.First : t.First+min(t.Count, 3)] {
				some = append(some, questionText(e.Question))
			}
			lines = append(lines, kb.topicTitle(t, lang)+fmt.Sprintf(count, t.Count, strings.Join(some, sep)))
		}
	}
	if kb.HasTable() {
		lines = append(lines, kb.rawMessage("help_checknum", lang))
	}
	for i := range lines {
		if lang == "en" {
			lines[i] = capitalize(lines[i])
		}
		lines[i] = fmt.Sprintf("%d. %s", i+1, lines[i])
	}
	return strings.Join(lines, "\n")
}

func (kb *KB) topicTitle(t Topic, lang string) string {
	if lang == "en" {
		return t.TitleEN
	}
	return t.Title
}
