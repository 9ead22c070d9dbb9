package bot

// Composing answers from the knowledge: FAQ entries, steps and cases, the
// prefix table, number verdicts and the bot's own messages.

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/supportbot/supportbot/bot/match"
	"github.com/supportbot/supportbot/bot/phone"
	"github.com/supportbot/supportbot/knowledge"
)

// traditional rewrites a Chinese reply in traditional characters, for
// people who write them (links keep their targets).
func (b *Bot) traditional(r *Reply) {
	conv := func(t knowledge.Text) knowledge.Text {
		out := make(knowledge.Text, len(t))
		for i, s := range t {
			out[i] = knowledge.Span{Text: b.norm.ToTraditional(s.Text), URL: s.URL}
		}
		return out
	}
	r.Traditional = true
	r.Title = b.norm.ToTraditional(r.Title)
	for i := range r.Blocks {
		blk := &r.Blocks[i]
		blk.Text = conv(blk.Text)
		items := make([]ListItem, len(blk.Items))
		for j, it := range blk.Items {
			items[j].Text = conv(it.Text)
			for _, s := range it.Sub {
				items[j].Sub = append(items[j].Sub, conv(s))
			}
		}
		blk.Items = items
	}
	for i := range r.Clarify {
		r.Clarify[i].Label = b.norm.ToTraditional(r.Clarify[i].Label)
	}
}

func (e *engine) message(intent, name, lang string) Reply {
	return Reply{
		Intent: intent, Confidence: 1, Lang: lang,
		Blocks: []Block{{Text: knowledge.Text{{Text: e.kb.Message(name, lang)}}}},
	}
}

// checknum answers /checknum: one verdict per number given.
func (e *engine) checknum(args, lang string) Reply {
	if !e.kb.HasTable() {
		return e.message(IntentChecknum, "no_table", lang)
	}
	if strings.TrimSpace(args) == "" {
		return e.message(IntentChecknum, "number_empty", lang)
	}
	nums := []phone.Number{phone.Check(e.kb, args)}
	if !nums[0].Valid {
		if parts := phone.List(args); len(parts) > 0 {
			nums = nums[:0]
			for _, p := range parts {
				nums = append(nums, phone.Check(e.kb, p))
			}
		}
	}
	r := Reply{Intent: IntentChecknum, Confidence: 1, Lang: lang, Numbers: nums}
	for _, n := range nums {
		r.Blocks = append(r.Blocks, Block{Text: knowledge.Text{{Text: e.verdict(n, lang)}}})
	}
	if len(nums) == 1 && !nums[0].Valid {
		r.Blocks = append(r.Blocks, Block{Text: knowledge.Text{{Text: e.kb.Message("checknum_usage", lang)}}, Note: true})
	}
	return r
}

// AnswerIntent composes the answer of one intent, as when a user picks a
// clarify option. An unknown id gives the "not covered" answer.
func (b *Bot) AnswerIntent(intent, lang string) Reply {
	e := b.cur.Load()
	if lang != "en" {
		lang = "zh"
	}
	c := match.Classification{Intent: knowledge.None, Lang: lang}
	if t, ok := e.kb.Target(intent); ok {
		c.Intent, c.Confidence = t.ID, 1
	}
	return e.compose(c, lang)
}

// Text returns one of the bot's own messages (intents.yaml, messages) in
// lang, with {name} placeholders filled from vars.
func (b *Bot) Text(name, lang string, vars map[string]string) string {
	s := b.cur.Load().kb.Message(name, lang)
	for k, v := range vars {
		s = strings.ReplaceAll(s, "{"+k+"}", v)
	}
	return s
}

// Verdict is the sentence for one checked number in lang.
func (b *Bot) Verdict(n phone.Number, lang string) string { return b.cur.Load().verdict(n, lang) }

func (e *engine) verdict(n phone.Number, lang string) string {
	name := "verdict_unsupported"
	switch {
	case !n.Valid:
		name = n.Reason
	case n.Supported:
		name = "verdict_supported"
	case n.Listed:
		name = "verdict_listed_invalid"
	}
	input := n.Input
	if input == "" {
		input = `""`
	}
	return fill(e.kb.Message(name, lang),
		"{number}", n.Masked(),
		"{prefix}", n.Prefix,
		"{carrier}", knowledge.CarrierName(n.Carrier, lang),
		"{input}", phone.MaskText(input),
		"{digits}", itoa(n.Digits),
		"{code}", n.Country)
}

// fill replaces the {placeholders} of a message template, given as pairs;
// a strings.Replacer would be built on every call, which is slower on
// the hot path of /checknum.
func fill(tmpl string, pairs ...string) string {
	if !strings.Contains(tmpl, "{") {
		return tmpl
	}
	var b strings.Builder
	b.Grow(len(tmpl) + 32)
	for {
		i := strings.IndexByte(tmpl, '{')
		if i < 0 {
			b.WriteString(tmpl)
			return b.String()
		}
		b.WriteString(tmpl[:i])
		tmpl = tmpl[i:]
		matched := false
		for k := 0; k+1 < len(pairs); k += 2 {
			if strings.HasPrefix(tmpl, pairs[k]) {
				b.WriteString(pairs[k+1])
				tmpl = tmpl[len(pairs[k]):]
				matched = true
				break
			}
		}
		if !matched {
			b.WriteByte('{')
			tmpl = tmpl[1:]
		}
	}
}

// compose turns a classification into an answer.
func (e *engine) compose(c match.Classification, lang string) Reply {
	r := Reply{Intent: c.Intent, Confidence: c.Confidence, Lang: lang, Numbers: c.Numbers}
	for i, n := range r.Numbers {
		if !n.Valid {
			r.Numbers[i].Error = e.verdict(n, lang)
		}
	}
	for _, id := range c.Clarify {
		r.Clarify = append(r.Clarify, Option{Intent: id, Label: e.label(id, lang)})
	}
	t, ok := e.kb.Target(c.Intent)
	if !ok || len(r.Clarify) > 1 { // none, or too close to call: ask
		if len(r.Clarify) > 0 {
			r.Intent = IntentClarify
			r.Blocks = append(r.Blocks, Block{Text: knowledge.Text{{Text: e.kb.Message("clarify", lang)}}})
			var items []ListItem
			for _, o := range r.Clarify {
				items = append(items, ListItem{Text: knowledge.Text{{Text: o.Label}}})
			}
			r.Blocks = append(r.Blocks, Block{Items: items, Ordered: true, Start: 1})
			return r
		}
		r.Blocks = append(r.Blocks, Block{Text: knowledge.Text{{Text: e.kb.Message("none", lang)}}})
		return r
	}
	r.Intent = t.ID
	if !t.IsEntry() {
		if in, ok := e.kb.Intent(t.ID); ok {
			r.Handoff = in.Handoff
		}
		r.Blocks = append(r.Blocks, Block{Text: knowledge.Text{{Text: e.kb.Message(t.Message, lang)}}})
		return r
	}
	if e.kb.HasTable() {
		for _, n := range c.Numbers {
			r.Blocks = append(r.Blocks, Block{Text: knowledge.Text{{Text: e.verdict(n, lang)}}})
		}
	}
	e.entryAnswer(&r, t, lang)
	return r
}

// entryAnswer adds the FAQ entry (or one step of it) that t answers with.
// English readers of an entry without an English twin get the Chinese one
// with a note saying so.
func (e *engine) entryAnswer(r *Reply, t knowledge.Target, lang string) {
	idx := t.Entry
	entry := e.kb.Entry(idx, lang)
	in := struct{ Step int }{t.Step}
	if entry.Lang != lang {
		r.Blocks = append(r.Blocks, Block{Text: knowledge.Text{{Text: e.kb.Message("only_chinese", lang)}}, Note: true})
		lang = entry.Lang
	}
	r.Title = entry.Question
	r.Source = &Source{Entry: idx, Question: entry.Question, Step: in.Step, Total: len(entry.Items)}
	if in.Step == 0 {
		for _, t := range entry.Intro {
			r.Blocks = append(r.Blocks, Block{Text: t})
		}
		if len(entry.Items) > 0 {
			list := Block{Ordered: entry.Ordered, Start: 1}
			for _, it := range entry.Items {
				li := ListItem{Text: it.Text, Sub: it.Sub}
				if it.Table {
					li.Sub = append(li.Sub, e.prefixLines(lang)...)
				}
				list.Items = append(list.Items, li)
			}
			r.Blocks = append(r.Blocks, list)
		}
		if entry.Table {
			r.Blocks = append(r.Blocks, e.prefixBlock(lang))
		}
		for _, t := range entry.Outro {
			r.Blocks = append(r.Blocks, Block{Text: t})
		}
		return
	}
	it := entry.Items[in.Step-1]
	r.Blocks = append(r.Blocks, Block{Text: it.Text})
	if len(it.Sub) > 0 {
		list := Block{}
		for _, s := range it.Sub {
			list.Items = append(list.Items, ListItem{Text: s})
		}
		r.Blocks = append(r.Blocks, list)
	}
	if it.Table {
		r.Blocks = append(r.Blocks, e.prefixBlock(lang))
	}
	pointer := "step_pointer"
	if !entry.Ordered {
		pointer = "case_pointer"
	}
	note := strings.NewReplacer("{question}", entry.Question, "{n}", itoa(in.Step), "{total}", itoa(len(entry.Items))).
		Replace(e.kb.Message(pointer, lang))
	r.Blocks = append(r.Blocks, Block{Text: knowledge.Text{{Text: note}}, Note: true})
}

// prefixLines lists the supported prefixes by carrier, in table order.
// prefixLines are the table's supported prefixes, a line per carrier.
func (e *engine) prefixLines(lang string) []knowledge.Text {
	if lines, ok := e.prefixes[lang]; ok {
		return lines
	}
	return e.buildPrefixLines(lang)
}

func (e *engine) buildPrefixLines(lang string) []knowledge.Text {
	var carriers []string
	by := map[string][]string{}
	for _, p := range e.kb.ZH.Prefixes {
		if !p.Valid {
			continue
		}
		if _, ok := by[p.Carrier]; !ok {
			carriers = append(carriers, p.Carrier)
		}
		by[p.Carrier] = append(by[p.Carrier], p.Prefix)
	}
	sep, colon := "、", "："
	if lang == "en" {
		sep, colon = ", ", ": "
	}
	var out []knowledge.Text
	for _, c := range carriers {
		out = append(out, knowledge.Text{{Text: knowledge.CarrierName(c, lang) + colon + strings.Join(by[c], sep)}})
	}
	return out
}

func (e *engine) prefixBlock(lang string) Block {
	b := Block{}
	for _, t := range e.prefixLines(lang) {
		b.Items = append(b.Items, ListItem{Text: t})
	}
	return b
}

// label names an intent for a clarify option: the question, or the first
// sentence of the step.
func (e *engine) label(id, lang string) string {
	t, ok := e.kb.Target(id)
	if !ok || !t.IsEntry() {
		return id
	}
	entry := e.kb.Entry(t.Entry, lang)
	if t.Step == 0 {
		return entry.Question
	}
	s := strings.Join(strings.Fields(entry.Items[t.Step-1].Text.Plain()), " ")
	for _, stop := range []string{"。", ". ", "；", "; "} {
		if i := strings.Index(s, stop); i > 0 {
			s = s[:i]
		}
	}
	if utf8.RuneCountInString(s) > 60 {
		s = match.TruncateRunes(s, 60)
		if i := strings.LastIndexByte(s, ' '); i > 30 { // English: a whole word
			s = s[:i]
		}
		s += "…"
	}
	return s
}

func itoa(n int) string { return strconv.Itoa(n) }

// Nearest returns the question (in Chinese, as the FAQ writes it) of the
// entry nearest to text, "" when none is near: reports group the messages
// the bot could not answer by it.
func (b *Bot) Nearest(text string) string {
	e := b.cur.Load()
	id := e.m.Match(text).Nearest
	if t, ok := e.kb.Target(id); ok && t.IsEntry() {
		return e.kb.ZH.Entries[t.Entry].Question
	}
	return ""
}

// Question returns the Chinese question of the entry an answer comes from
// and, for a step or case, its number; "" for the bot's own messages and
// none.
func (b *Bot) Question(id string) (question string, step int) {
	e := b.cur.Load()
	t, ok := e.kb.Target(id)
	if !ok || !t.IsEntry() {
		return "", 0
	}
	return e.kb.ZH.Entries[t.Entry].Question, t.Step
}

// Label is how a clarify question offers an answer: its entry's question,
// or the beginning of its step or case, in lang.
func (b *Bot) Label(id, lang string) string { return b.cur.Load().label(id, lang) }
