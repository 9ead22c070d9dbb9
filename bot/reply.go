package bot

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/supportbot/supportbot/bot/phone"
	"github.com/supportbot/supportbot/knowledge"
)

// The intents of the bot's own answers, which are not FAQ entries: the
// exchange log, the reports and the channels see them in Reply.Intent.
const (
	IntentNone        = knowledge.None // nothing in the FAQ answers it
	IntentClarify     = "clarify"      // the bot asks which of two or three entries is meant
	IntentChecknum    = "checknum"     // a number check (/checknum, or numbers alone)
	IntentHandoff     = "handoff"      // a person has, or is asked to take, the conversation
	IntentRateLimited = "rate_limited" // the user sent too much too fast
)

// Message is one user message, whatever channel it came from.
type Message struct {
	Channel string // "web", "terminal", "slack", "wecom", ...
	User    string // the channel's user id
	Thread  string // conversation or thread id, when the channel has one
	Text    string
	// Lang is the language to answer in when the text does not tell
	// (a browser's language, say); "" means Chinese.
	Lang string
	// Choice is the clarify option a user picked with a button (its
	// intent), where Text is what they would have typed for it (its
	// number): answered so, whatever the conversation remembers.
	Choice string
	// Deferrable says the channel has a short deadline (WeCom's 5 s): when
	// the answer would need the fallback model, Respond returns a Reply
	// that is only Deferred, and the channel asks again, without it, when
	// it can wait.
	Deferrable bool
	// NoModel answers with the rules alone, never asking the fallback
	// model: for a channel that cannot wait and cannot queue the wait.
	NoModel bool
	// Resumed is the second ask of a Deferred message: it was rate
	// limited (counted) the first time.
	Resumed bool
	// Request is what a button asks of the bot, rather than text typed:
	// RequestHandoff. Text is then what the user had asked, if anything.
	Request string
	// Unreachable says no agent's reply could reach this user (a web id
	// too short to fetch replies with, say): a request for a person is
	// answered "no agent available".
	Unreachable bool
}

// valid returns msg with every field valid UTF-8 without NUL, whatever
// the channel sent (a slash command's text is URL-decoded bytes): what
// the bot answers, records and shows agents is always text.
func (msg Message) valid() Message {
	msg.Channel, msg.User, msg.Thread = validText(msg.Channel), validText(msg.User), validText(msg.Thread)
	msg.Text, msg.Lang, msg.Choice = validText(msg.Text), validText(msg.Lang), validText(msg.Choice)
	return msg
}

// validText replaces invalid UTF-8 and NUL with U+FFFD.
func validText(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// Reply is a platform-free answer. Adapters render it: PlainText and
// Markdown here, Block Kit or WeCom markdown in their packages.
type Reply struct {
	Intent     string
	Confidence float64
	Lang       string
	// Title is the FAQ question the answer comes from, if any.
	Title string
	// Source locates the answer in the FAQ; nil for the bot's own messages.
	Source  *Source
	Blocks  []Block
	Numbers []phone.Number
	// Clarify offers intents to choose from when the message was unclear;
	// Blocks already list them as text, channels with buttons may add them.
	Clarify []Option
	// Handoff is set when the user asked for a person.
	Handoff bool
	// Silent means: say nothing, a person has this conversation (HandoffID).
	Silent    bool
	HandoffID string
	// RateLimited marks the polite answer to a user sending too fast.
	RateLimited bool
	// Deferred is the whole answer to a Deferrable message that needs the
	// fallback model: ask again without Deferrable.
	Deferred bool
	// Asked is the message answered, phone numbers masked: safe to show
	// an agent or store.
	Asked string
	// Generated marks an answer written by the fallback model from the FAQ
	// passage in Source, rather than composed from the FAQ by the rules.
	Generated bool
	// FallbackFailed marks the polite answer given when the model failed.
	FallbackFailed bool
	// Traditional is set when a Chinese answer was written in traditional
	// characters, as the user wrote.
	Traditional bool
}

// Source is the FAQ entry (and step) an answer was composed from.
type Source struct {
	Entry    int    // index in the FAQ
	Question string // in the reply's language
	Step     int    // 1-based; 0 for the whole entry
	Total    int    // number of steps or cases in the entry
}

// Block is a paragraph (Text) or a list (Items).
type Block struct {
	Text    knowledge.Text
	Items   []ListItem
	Ordered bool
	Start   int // number of the first item of an ordered list
	// Note marks a pointer or aside that renderers may show smaller.
	Note bool
}

// ListItem is one item of a list block.
type ListItem struct {
	Text knowledge.Text
	Sub  []knowledge.Text
}

// Option is one clarify choice.
type Option struct {
	Intent string
	Label  string
}

// PlainText renders the reply for channels without formatting: numbered
// steps, "-" sub-bullets, links as "text (url)".
func (r Reply) PlainText() string { return r.PlainTextPrefix(0) }

// PlainTextPrefix is the beginning of PlainText, at least n runes of it
// (all of it when n is 0 or it is shorter): for a notification or a
// conversation's memory, without rendering the rest.
func (r Reply) PlainTextPrefix(n int) string {
	return r.render(4*n, plainInline, func(b *strings.Builder, s string) { b.WriteString(s) })
}

func plainInline(b *strings.Builder, t knowledge.Text) {
	for _, s := range t {
		b.WriteString(s.Text)
		if s.URL != "" && s.URL != s.Text {
			b.WriteString(" (")
			b.WriteString(s.URL)
			b.WriteByte(')')
		}
	}
}

// Markdown renders the reply as CommonMark: bold title, lists, [text](url).
func (r Reply) Markdown() string {
	return r.render(0, func(b *strings.Builder, t knowledge.Text) {
		for _, s := range t {
			if s.URL != "" {
				b.WriteByte('[')
				markdownEscaper.WriteString(b, s.Text)
				b.WriteString("](")
				b.WriteString(s.URL)
				b.WriteByte(')')
				continue
			}
			markdownEscaper.WriteString(b, s.Text)
		}
	}, func(b *strings.Builder, s string) {
		b.WriteString("**")
		markdownEscaper.WriteString(b, s)
		b.WriteString("**")
	})
}

// Render renders the reply with a channel's inline and title formats,
// which write into the one builder the whole reply is rendered in.
func (r Reply) Render(inline func(*strings.Builder, knowledge.Text), title func(*strings.Builder, string)) string {
	return r.render(0, inline, title)
}

// render writes the title, then the blocks, separated by blank lines:
// lists one item a line, sub-items indented. With limit > 0 it stops after
// the paragraph or list item during which the text passed limit bytes.
func (r Reply) render(limit int, inline func(*strings.Builder, knowledge.Text), title func(*strings.Builder, string)) string {
	var b strings.Builder
	b.Grow(r.sizeHint(limit))
	first := true
	part := func() {
		if !first {
			b.WriteString("\n\n")
		}
		first = false
	}
	if r.Title != "" {
		part()
		title(&b, r.Title)
	}
	for _, bl := range r.Blocks {
		if limit > 0 && b.Len() > limit {
			break
		}
		part()
		if len(bl.Items) == 0 {
			inline(&b, bl.Text)
			continue
		}
		for i, it := range bl.Items {
			if limit > 0 && b.Len() > limit {
				break
			}
			if i > 0 {
				b.WriteByte('\n')
			}
			if bl.Ordered {
				b.WriteString(strconv.Itoa(bl.Start + i))
				b.WriteString(". ")
			} else {
				b.WriteString("- ")
			}
			inline(&b, it.Text)
			for _, sub := range it.Sub {
				b.WriteString("\n   - ")
				inline(&b, sub)
			}
		}
	}
	return b.String()
}

// sizeHint is about the length of a rendering, so that its builder is
// allocated once rather than grown by doubling (an answer is a few KB, and
// one is rendered for every message): the texts and link targets, a
// little for each part's number, separator or markup, and an eighth more
// for escapes. With limit > 0 it allows for the part that passes limit.
func (r Reply) sizeHint(limit int) int {
	n := len(r.Title) + 8
	text := func(t knowledge.Text) {
		for _, s := range t {
			n += len(s.Text) + len(s.URL) + 4
		}
		n += 8
	}
	for _, bl := range r.Blocks {
		text(bl.Text)
		for _, it := range bl.Items {
			text(it.Text)
			for _, sub := range it.Sub {
				text(sub)
			}
		}
	}
	if limit > 0 {
		n = min(n, limit+1024)
	}
	return n + n/8
}

var markdownEscaper = strings.NewReplacer(`\`, `\\`, `*`, `\*`, `_`, `\_`, "`", "\\`", `[`, `\[`, `]`, `\]`, `<`, `&lt;`)

func escapeMarkdown(s string) string { return markdownEscaper.Replace(s) }
