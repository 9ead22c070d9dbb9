package bot

import (
	"strconv"
	"strings"

	"github.com/supportbot/supportbot/knowledge"
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
	Numbers []Number
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
func (r Reply) PlainText() string {
	return r.render(func(t knowledge.Text) string {
		var b strings.Builder
		for _, s := range t {
			b.WriteString(s.Text)
			if s.URL != "" && s.URL != s.Text {
				b.WriteString(" (" + s.URL + ")")
			}
		}
		return b.String()
	}, func(s string) string { return s })
}

// Markdown renders the reply as CommonMark: bold title, lists, [text](url).
func (r Reply) Markdown() string {
	return r.render(func(t knowledge.Text) string {
		var b strings.Builder
		for _, s := range t {
			if s.URL != "" {
				b.WriteString("[" + escapeMarkdown(s.Text) + "](" + s.URL + ")")
				continue
			}
			b.WriteString(escapeMarkdown(s.Text))
		}
		return b.String()
	}, func(s string) string { return "**" + escapeMarkdown(s) + "**" })
}

// Render renders the reply with a channel's inline and title formats.
func (r Reply) Render(inline func(knowledge.Text) string, title func(string) string) string {
	return r.render(inline, title)
}

func (r Reply) render(inline func(knowledge.Text) string, title func(string) string) string {
	var parts []string
	if r.Title != "" {
		parts = append(parts, title(r.Title))
	}
	for _, b := range r.Blocks {
		if len(b.Items) == 0 {
			parts = append(parts, inline(b.Text))
			continue
		}
		var lines []string
		for i, it := range b.Items {
			marker := "- "
			if b.Ordered {
				marker = strconv.Itoa(b.Start+i) + ". "
			}
			lines = append(lines, marker+inline(it.Text))
			for _, s := range it.Sub {
				lines = append(lines, "   - "+inline(s))
			}
		}
		parts = append(parts, strings.Join(lines, "\n"))
	}
	return strings.Join(parts, "\n\n")
}

var markdownEscaper = strings.NewReplacer(`\`, `\\`, `*`, `\*`, `_`, `\_`, "`", "\\`", `[`, `\[`, `]`, `\]`, `<`, `&lt;`)

func escapeMarkdown(s string) string { return markdownEscaper.Replace(s) }
