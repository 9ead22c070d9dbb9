package bot

// A conversation's turn: commands, what the bot asked for before
// (a clarify choice, a number, a follow-up), then the answer.

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/supportbot/supportbot/bot/match"
	"github.com/supportbot/supportbot/bot/phone"
	"github.com/supportbot/supportbot/knowledge"
)

// commandLang is the language of a command's answer: the command word is
// English, so the arguments or the caller's choice tell, else Chinese.
func commandLang(args, lang string) string {
	if l := match.Lang(args, lang); l != "en" || lang == "en" {
		return l
	}
	return "zh"
}

// classifier classifies text the first time it is asked, and then gives
// that classification again: a message is classified once, whichever of
// the conversation's steps looks at it first.
func (e *engine) classifier(text string) func() match.Classification {
	var c match.Classification
	done := false
	return func() match.Classification {
		if !done {
			c, done = e.m.Match(text), true
		}
		return c
	}
}

// handoffRequest answers a request for a person (the button, or the
// command typed), in the page's language, else the conversation's.
func (e *engine) handoffRequest(msg Message, st *State) Reply {
	st.Pending = ""
	r := e.message("human", "human", cmp.Or(msg.Lang, st.Lang, "zh"))
	r.Handoff = true
	return r
}

func (b *Bot) respond(ctx context.Context, msg Message, st *State) Reply {
	e := b.cur.Load()
	text := strings.TrimSpace(strings.ToValidUTF8(msg.Text, "\uFFFD"))
	lang := match.Lang(text, msg.Lang)
	if st.Lang != "" && !hasLetters(text) {
		lang = st.Lang // "2" or a bare number: the language so far
	}
	if t, ok := e.kb.Target(msg.Choice); ok && msg.Choice != "" { // a clarify button
		st.Pending, st.Options = "", nil
		return b.finish(e.compose(match.Classification{Intent: t.ID, Confidence: 1, Lang: lang}, lang), text, st)
	}
	if msg.Request == RequestHandoff {
		return e.handoffRequest(msg, st)
	}
	if text == "" || !hasContent(text) {
		return e.message(IntentNone, "empty", lang)
	}
	if cmd, args, ok := e.command(text); ok {
		clang := commandLang(args, msg.Lang)
		st.Pending = ""
		switch cmd {
		case "checknum":
			return e.checknum(args, clang)
		case "help":
			return e.message("help", "help", clang)
		case "handoff":
			return e.handoffRequest(msg, st)
		}
	}
	cls := e.classifier(text)
	if r, ok := b.continueConversation(e, text, lang, st, cls); ok {
		return b.finish(r, text, st)
	}
	c := cls()
	var r Reply
	answered := false
	if c.Intent == knowledge.None && len(c.Clarify) == 0 && b.fb != nil && !msg.NoModel {
		if msg.Deferrable && len(e.passages(b.norm.Normalize(text), lang, 1)) > 0 {
			return Reply{Deferred: true, Lang: lang} // the model's answer takes time: ask again without the hurry
		}
		r, answered = b.askFallback(ctx, e, text, lang, c, st.History)
		if answered && b.observer != nil && (r.Generated || r.FallbackFailed) {
			var err error
			if r.FallbackFailed {
				err = errFallbackFailed
			}
			b.observer.FallbackCalled(err)
		}
	}
	if !answered {
		r = e.compose(c, lang)
	}
	st.Pending, st.Options = "", nil
	switch {
	case r.Intent == IntentClarify:
		st.Pending = pendingClarify
		for _, o := range r.Clarify {
			st.Options = append(st.Options, o.Intent)
		}
	case len(c.Numbers) == 0 && e.asksNumber(r.Intent) && e.m.HasConcept(text, e.kb.Rules.Settings.OwnNumber):
		// "我的号码能收到吗" without the number: ask for it.
		r = e.message(r.Intent, "ask_number", lang)
		r.Confidence = c.Confidence
		st.Pending = pendingNumber
	}
	return b.finish(r, text, st)
}

// finish updates the conversation after an answer and writes traditional
// characters for people who use them.
func (b *Bot) finish(r Reply, text string, st *State) Reply {
	e := b.cur.Load()
	if r.Source != nil {
		if e.kb.Family(st.LastIntent) != e.kb.Family(r.Intent) {
			st.Shown = nil
		}
		if r.Source.Step == 0 {
			st.Shown = nil
			for i := 1; i <= r.Source.Total; i++ {
				st.Shown = append(st.Shown, i)
			}
		} else if !slices.Contains(st.Shown, r.Source.Step) {
			st.Shown = append(st.Shown, r.Source.Step)
		}
	}
	if r.Intent != knowledge.None || r.Source != nil {
		st.LastIntent = r.Intent
	}
	if r.Lang == "zh" && b.norm.HasTraditional(text) {
		b.traditional(&r)
	}
	return r
}

// asksNumber reports whether an answer needs the user's phone number: its
// item or entry says asks: number.
func (e *engine) asksNumber(id string) bool {
	t, ok := e.kb.Target(id)
	if !ok || !t.IsEntry() {
		return false
	}
	entry := &e.kb.ZH.Entries[t.Entry]
	if t.Step > 0 {
		return entry.Items[t.Step-1].Asks == "number"
	}
	return entry.Asks == "number"
}

// continueConversation answers a message that continues the last answer:
// a clarify choice, the number the bot asked for, or "still nothing" after
// a troubleshooting step.
func (b *Bot) continueConversation(e *engine, text, lang string, st *State, cls func() match.Classification) (Reply, bool) {
	switch st.Pending {
	case pendingClarify:
		if id, ok := chooseOption(text, st.Options, cls); ok {
			st.Pending, st.Options = "", nil
			return e.compose(match.Classification{Intent: id, Confidence: 1, Lang: lang}, lang), true
		}
	case pendingNumber: // the answer that asked for it
		nums := phone.Extract(e.kb, text)
		if n := phone.Check(e.kb, text); len(nums) == 0 && n.Valid {
			nums = []phone.Number{n}
		}
		if len(nums) > 0 {
			st.Pending = ""
			if _, ok := e.kb.Target(st.LastIntent); !ok || !e.kb.HasTable() {
				return e.checknum(text, lang), true
			}
			return e.compose(match.Classification{Intent: st.LastIntent, Confidence: 1, Lang: lang, Numbers: nums}, lang), true
		}
	}
	if st.LastIntent != "" && e.m.HasConcept(text, e.kb.Rules.Settings.Followup) {
		c := cls()
		if c.Intent == knowledge.None || e.kb.Family(c.Intent) == e.kb.Family(st.LastIntent) {
			return b.nextStep(e, lang, st), true
		}
	}
	return Reply{}, false
}

// nextStep gives the next troubleshooting step not yet shown, and offers a
// person once every step has been tried.
func (b *Bot) nextStep(e *engine, lang string, st *State) Reply {
	// Cases are alternatives, not steps to work through.
	if t, ok := e.kb.Target(st.LastIntent); ok && t.IsEntry() && e.kb.ZH.Entries[t.Entry].Ordered {
		entry := &e.kb.ZH.Entries[t.Entry]
		for i := range entry.Items {
			if !slices.Contains(st.Shown, i+1) {
				return e.compose(match.Classification{Intent: entry.Items[i].ID, Confidence: 1, Lang: lang}, lang)
			}
		}
	}
	r := e.message(IntentNone, "followup_exhausted", lang)
	r.Clarify = nil
	return r
}

// chooseOption reads a reply to a clarify question: its number ("2",
// "第二个", "２"), or words that classify as one of the options.
func chooseOption(text string, options []string, cls func() match.Classification) (string, bool) {
	t := strings.TrimSpace(strings.ToLower(match.NFKC(text)))
	t = strings.Trim(t, "。.!！ 第个条项option#")
	words := map[string]int{"1": 1, "2": 2, "3": 3, "一": 1, "二": 2, "三": 3, "one": 1, "two": 2, "three": 3, "first": 1, "second": 2, "third": 3}
	if n, ok := words[t]; ok && n <= len(options) {
		return options[n-1], true
	}
	c := cls()
	for _, id := range options {
		if c.Intent == id {
			return id, true
		}
	}
	return "", false
}

// hasContent reports whether text has a letter, digit or symbol beyond
// invisible characters.
func hasContent(text string) bool {
	for _, r := range text {
		if r != '\uFFFD' && r != '\u200b' && r != '\ufeff' && !strings.ContainsRune(" \t\r\n\u3000", r) {
			return true
		}
	}
	return false
}

// command recognises agent commands typed as text: /checknum, /help and
// /handoff (the "talk to a person" button), and the words the rules'
// commands add ("查号 138...").
func (e *engine) command(text string) (cmd, args string, ok bool) {
	lower := strings.ToLower(match.NFKC(text))
	try := func(prefix, name string) bool {
		if !strings.HasPrefix(lower, prefix) {
			return false
		}
		rest := lower[len(prefix):]
		if r, _ := utf8.DecodeRuneInString(rest); rest == "" || r == ' ' || r == ':' || r == '：' || isDigit(byte(r)) || r == '+' {
			cmd, args, ok = name, strings.TrimLeft(strings.TrimSpace(rest), ":："), true
		}
		return ok
	}
	for _, name := range []string{"checknum", "help", "handoff"} {
		if try("/"+name, name) {
			return
		}
		for _, w := range e.kb.Rules.Commands[name] {
			if try(strings.ToLower(match.NFKC(w)), name) {
				return
			}
		}
	}
	return "", "", false
}

func hasLetters(s string) bool {
	for _, r := range s {
		if match.IsHan(r) || r < 0x80 && isLetter(byte(r)) {
			return true
		}
	}
	return false
}
