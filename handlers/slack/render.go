package slack

import (
	"strings"

	goslack "github.com/slack-go/slack"
	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/handlers/internal/textcut"
	"github.com/supportbot/supportbot/knowledge"
)

// Action ids of the buttons the bot puts under its answers.
const (
	actionHelpful    = "feedback_helpful"
	actionNotHelpful = "feedback_not_helpful"
	actionHandoff    = "handoff"
	actionPost       = "post_answer" // /faq preview: post it to the channel
	actionClarify    = "clarify_"    // + option number; value is the intent
	actionResolve    = "resolve_handoff"
)

// mrkdwn renders a reply in Slack's mrkdwn: *bold* title, numbered steps,
// <url|text> links, with &, < and > escaped.
func mrkdwn(r bot.Reply) string {
	return r.Render(func(b *strings.Builder, t knowledge.Text) {
		for _, s := range t {
			if s.URL != "" {
				b.WriteByte('<')
				b.WriteString(s.URL)
				b.WriteByte('|')
				escaper.WriteString(b, s.Text)
				b.WriteByte('>')
				continue
			}
			escaper.WriteString(b, s.Text)
		}
	}, func(b *strings.Builder, title string) {
		b.WriteByte('*')
		escaper.WriteString(b, title)
		b.WriteByte('*')
	})
}

var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

func escape(s string) string { return escaper.Replace(s) }

// sectionLimit is Slack's limit on a section block's text.
const sectionLimit = 3000

// buttonTexts are the words on an answer's buttons, in its language.
type buttonTexts struct{ helpful, notHelpful, human string }

// buttons are the words on the buttons of an answer in lang, from the
// knowledge's messages.
func (a *Adapter) buttons(lang string) *buttonTexts {
	return &buttonTexts{a.bot.Text("feedback_helpful", lang, nil), a.bot.Text("feedback_not_helpful", lang, nil),
		a.bot.Text("human_button", lang, nil)}
}

// blocks renders a reply as Block Kit: its text in sections, then, with
// button texts, buttons: clarify options, feedback and "talk to a person".
func blocks(r bot.Reply, texts *buttonTexts) []goslack.Block {
	var out []goslack.Block
	for _, chunk := range textcut.Split(mrkdwn(r), sectionLimit, true) {
		out = append(out, goslack.NewSectionBlock(goslack.NewTextBlockObject(goslack.MarkdownType, chunk, false, false), nil, nil))
	}
	if texts == nil {
		return out
	}
	var els []goslack.BlockElement
	for i, o := range r.Clarify {
		label := textcut.Truncate(strings.TrimSpace(o.Label), 70)
		els = append(els, goslack.NewButtonBlockElement(actionClarify+itoa(i+1), o.Intent+"|"+r.Lang,
			goslack.NewTextBlockObject(goslack.PlainTextType, itoa(i+1)+". "+label, false, false)))
	}
	if len(els) > 0 {
		out = append(out, goslack.NewActionBlock("clarify", els...))
		els = nil
	}
	if r.Source != nil {
		els = append(els,
			button(actionHelpful, r.Intent+"|"+r.Lang, texts.helpful),
			button(actionNotHelpful, r.Intent+"|"+r.Lang, texts.notHelpful))
	}
	if !r.Handoff && (r.Source != nil || r.Intent == knowledge.None) {
		els = append(els, button(actionHandoff, r.Lang+"|"+textcut.Truncate(r.Asked, 500), texts.human))
	}
	if len(els) > 0 {
		out = append(out, goslack.NewActionBlock("answer_actions", els...))
	}
	if len(out) > 50 { // Slack's limit per message; the text fallback has it all
		out = append(out[:48], out[len(out)-1])
	}
	return out
}

func button(id, value, text string) *goslack.ButtonBlockElement {
	return goslack.NewButtonBlockElement(id, value, goslack.NewTextBlockObject(goslack.PlainTextType, text, true, false))
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

// notificationLimit is how much of an answer the message's text, which
// Slack shows in notifications and where blocks cannot be shown, carries.
const notificationLimit = 300

// notification is the plain text of a message whose blocks carry the
// whole answer: its beginning, which is what a notification shows.
func notification(r bot.Reply) string {
	return textcut.Truncate(r.PlainTextPrefix(notificationLimit), notificationLimit)
}
