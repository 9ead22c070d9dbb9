package knowledge

import "strings"

// Span is a run of inline text; a non-empty URL makes it a link.
type Span struct {
	Text string
	URL  string
}

// Text is inline content: plain runs and links, in order.
type Text []Span

// Plain returns the text without link targets.
func (t Text) Plain() string {
	var b strings.Builder
	for _, s := range t {
		b.WriteString(s.Text)
	}
	return b.String()
}

// Links returns the links in t, in order.
func (t Text) Links() []Span {
	var out []Span
	for _, s := range t {
		if s.URL != "" {
			out = append(out, s)
		}
	}
	return out
}

// Item is one case (bullet) or step (numbered) of an entry.
type Item struct {
	Text Text
	Sub  []Text // nested bullets
	// Table is true when the prefix table belongs to this item.
	Table bool
	Line  int
	Meta
}

// Meta is what an operator may say about an entry or one of its items in
// an HTML comment, which Markdown renders as nothing and the bot never
// shows:
//
//	<!-- id: sms_missing; also: 收不到短信 | the code never came; asks: number -->
type Meta struct {
	// ID is the explicit id ("id:"), "" when none was given; see
	// Entry.ID for the id the entry goes by.
	ID string
	// Also are other ways people ask it ("also:"), matched like the
	// question itself.
	Also []string
	// Asks is "number" when the answer needs the user's phone number
	// ("asks: number"): asked about their own number without giving it,
	// the bot asks for it.
	Asks string
}

// Entry is one question of the FAQ with its answer.
type Entry struct {
	Question string
	Line     int
	// File is the file the entry is written in, Lang that file's
	// language ("zh" or "en").
	File, Lang string
	Meta
	Intro   []Text // paragraphs before the items
	Items   []Item
	Ordered bool   // items are numbered steps rather than cases
	Outro   []Text // paragraphs after the items
	// Table is true when the prefix table follows the entry's text
	// without belonging to one item.
	Table bool
}

// Kind names the entry's items for people: "step" or "case".
func (e *Entry) Kind() string {
	if e.Ordered {
		return "step"
	}
	return "case"
}

// Prefix is one row of the prefix table.
type Prefix struct {
	Prefix  string // three digits, e.g. "138"
	Carrier string // as written in the table, e.g. "移动"
	Valid   bool
	Line    int
}

// FAQ is one language's parsed FAQ file.
type FAQ struct {
	File string
	// Title is the file's "# " heading, "" when it has none.
	Title    string
	Entries  []Entry
	Prefixes []Prefix // the table's rows in order; empty when the file has none
	// TableLine is the line of the table, 0 when there is none.
	TableLine int
}

// Entry returns the entry whose question is q.
func (f *FAQ) Entry(q string) (int, bool) {
	q = strings.TrimSpace(q)
	for i := range f.Entries {
		if f.Entries[i].Question == q {
			return i, true
		}
	}
	return -1, false
}
