package knowledge

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"
	"golang.org/x/net/html"
)

// ParseFAQ parses one FAQ file: "###" (or "##") questions, paragraphs,
// numbered steps, "-" bullets (nested, or written right under a step),
// inline links and one raw HTML <table> of phone-number prefixes. file names
// the source in errors.
func ParseFAQ(file string, r io.Reader) (*FAQ, error) {
	src, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	p := &faqParser{src: src, faq: &FAQ{File: file}, lang: LangOf(file), errs: problems{file: file, list: new(Problems)}}
	p.lineStarts = lineStarts(src)
	doc := goldmark.New().Parser().Parse(text.NewReader(src))
	p.document(doc)
	p.check()
	return p.faq, p.errs.list.errOrNil()
}

type faqParser struct {
	src        []byte
	lineStarts []int
	faq        *FAQ
	lang       string
	errs       problems
	cur        *Entry
	prev       ast.Node // the previous block in the current entry
	// meta is where the comments met while reading inline text go: the
	// current entry's or item's; nil outside them.
	meta *Meta
}

// LangOf is the language of an FAQ file by its name: "en" for NAME.en.md,
// else "zh".
func LangOf(file string) string {
	if strings.HasSuffix(strings.ToLower(file), ".en.md") {
		return "en"
	}
	return "zh"
}

func lineStarts(src []byte) []int {
	starts := []int{0}
	for i, c := range src {
		if c == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// line returns the 1-based line of a byte offset.
func (p *faqParser) line(off int) int {
	if off < 0 {
		return 0
	}
	return sort.Search(len(p.lineStarts), func(i int) bool { return p.lineStarts[i] > off })
}

// column is the column, in characters from 1, of offset off in its line.
func (p *faqParser) column(off int) int {
	return utf8.RuneCount(p.src[p.lineStarts[p.line(off)-1]:off]) + 1
}

// nodeLine finds the line a node starts on.
func (p *faqParser) nodeLine(n ast.Node) int {
	for ; n != nil; n = n.FirstChild() {
		if n.Type() == ast.TypeBlock && n.Lines().Len() > 0 {
			return p.line(n.Lines().At(0).Start)
		}
		if n.Pos() >= 0 {
			return p.line(n.Pos())
		}
	}
	return 0
}

func (p *faqParser) document(doc ast.Node) {
	for n := doc.FirstChild(); n != nil; n = n.NextSibling() {
		line := p.nodeLine(n)
		switch n := n.(type) {
		case *ast.Heading:
			if n.Level == 1 {
				// A document title, not a question.
				if p.faq.Title == "" {
					p.meta = nil
					p.faq.Title = strings.TrimSpace(p.inline(n).Plain())
				}
				continue
			}
			p.faq.Entries = append(p.faq.Entries, Entry{Line: line, File: p.faq.File, Lang: p.lang})
			p.cur = &p.faq.Entries[len(p.faq.Entries)-1]
			p.meta = &p.cur.Meta
			q := strings.TrimSpace(p.inline(n).Plain())
			if q == "" {
				p.errs.add(line, "question is empty")
			}
			p.cur.Question = q
			p.prev = nil
			continue
		case *ast.ThematicBreak:
			continue
		}
		if p.cur == nil {
			if h, ok := n.(*ast.HTMLBlock); ok && p.isTable(n) {
				p.errs.add(line, "the prefix table must come after a question")
			} else if ok && isComment(p.rawHTML(h)) {
				var m Meta
				if p.comment(&m, p.rawHTML(h), line) {
					p.errs.add(line, "this comment says something about a question, but comes before the first one")
				}
			}
			continue // text before the first question is a preamble
		}
		p.meta = &p.cur.Meta
		switch n := n.(type) {
		case *ast.Paragraph, *ast.TextBlock, *ast.Blockquote:
			t := p.blockText(n)
			if len(t) == 0 {
				break
			}
			if len(p.cur.Items) == 0 {
				p.cur.Intro = append(p.cur.Intro, t)
			} else {
				p.cur.Outro = append(p.cur.Outro, t)
			}
		case *ast.List:
			p.list(n, line)
		case *ast.HTMLBlock:
			p.htmlBlock(n, line)
		case *ast.FencedCodeBlock, *ast.CodeBlock:
			p.errs.add(line, "code blocks are not supported in answers")
		default:
			p.errs.add(line, "unsupported Markdown block %s", n.Kind())
		}
		p.prev = n
	}
}

// list adds a Markdown list to the current entry. A bullet list right under
// a numbered step (indented less than the step's text, as people often type
// it) belongs to that step; a numbered list that goes on counting continues
// the steps.
func (p *faqParser) list(l *ast.List, line int) {
	e := p.cur
	if !l.IsOrdered() {
		if prevList, ok := p.prev.(*ast.List); ok && prevList.IsOrdered() && len(e.Items) > 0 {
			last := &e.Items[len(e.Items)-1]
			p.meta = &last.Meta
			for it := l.FirstChild(); it != nil; it = it.NextSibling() {
				last.Sub = append(last.Sub, p.itemText(it))
			}
			p.meta = &e.Meta
			return
		}
	}
	if len(e.Items) > 0 && e.Ordered != l.IsOrdered() {
		p.errs.add(line, "question %q mixes numbered steps and bullet cases", e.Question)
		return
	}
	if l.IsOrdered() && l.Start != len(e.Items)+1 {
		p.errs.add(line, "step numbered %d follows step %d", l.Start, len(e.Items))
	}
	e.Ordered = l.IsOrdered()
	for it := l.FirstChild(); it != nil; it = it.NextSibling() {
		item := Item{Line: p.nodeLine(it)}
		p.meta = &item.Meta
		for c := it.FirstChild(); c != nil; c = c.NextSibling() {
			switch c := c.(type) {
			case *ast.List:
				for s := c.FirstChild(); s != nil; s = s.NextSibling() {
					item.Sub = append(item.Sub, p.itemText(s))
				}
			case *ast.HTMLBlock:
				switch raw := p.rawHTML(c); {
				case p.isTable(c):
					p.table(c, p.nodeLine(c))
					item.Table = true
				case isComment(raw):
					p.comment(&item.Meta, raw, p.nodeLine(c))
				}
			default:
				item.Text = appendText(item.Text, p.blockText(c))
			}
		}
		if len(item.Text) == 0 {
			p.errs.add(item.Line, "%s %d of %q has no text", e.Kind(), len(e.Items)+1, e.Question)
		}
		e.Items = append(e.Items, item)
	}
	p.meta = &e.Meta
}

// itemText is the text of a list item, nested lists flattened into it.
func (p *faqParser) itemText(it ast.Node) Text {
	var t Text
	for c := it.FirstChild(); c != nil; c = c.NextSibling() {
		if l, ok := c.(*ast.List); ok {
			for s := l.FirstChild(); s != nil; s = s.NextSibling() {
				t = appendText(t, Text{{Text: "；"}})
				t = appendText(t, p.itemText(s))
			}
			continue
		}
		t = appendText(t, p.blockText(c))
	}
	return t
}

func (p *faqParser) htmlBlock(n *ast.HTMLBlock, line int) {
	if raw := p.rawHTML(n); isComment(raw) {
		p.comment(&p.cur.Meta, raw, line)
		return
	}
	if !p.isTable(n) {
		if t := htmlText(p.rawHTML(n)); t != "" {
			p.cur.Intro = append(p.cur.Intro, Text{{Text: t}})
		}
		return
	}
	p.table(n, line)
	// A table right after a list belongs to its last item (the step that
	// introduces it); otherwise to the entry.
	if _, ok := p.prev.(*ast.List); ok && len(p.cur.Items) > 0 {
		p.cur.Items[len(p.cur.Items)-1].Table = true
	} else {
		p.cur.Table = true
	}
}

func (p *faqParser) rawHTML(n *ast.HTMLBlock) []byte {
	var b bytes.Buffer
	for i := 0; i < n.Lines().Len(); i++ {
		seg := n.Lines().At(i)
		b.Write(seg.Value(p.src))
	}
	if n.HasClosure() {
		b.Write(n.ClosureLine.Value(p.src))
	}
	return b.Bytes()
}

// htmlOffset maps an offset in rawHTML(n) to the source: the block's lines
// are joined there without what indents them.
func (p *faqParser) htmlOffset(n *ast.HTMLBlock, off int) int {
	segs := make([]text.Segment, 0, n.Lines().Len()+1)
	for i := 0; i < n.Lines().Len(); i++ {
		segs = append(segs, n.Lines().At(i))
	}
	if n.HasClosure() {
		segs = append(segs, n.ClosureLine)
	}
	end := 0
	for _, seg := range segs {
		l := seg.Padding + seg.Len()
		if off < l {
			return seg.Start + max(0, off-seg.Padding)
		}
		off -= l
		end = seg.Stop
	}
	return end
}

func (p *faqParser) isTable(n ast.Node) bool {
	h, ok := n.(*ast.HTMLBlock)
	return ok && bytes.Contains(bytes.ToLower(p.rawHTML(h)), []byte("<table"))
}

// blockText is the inline text of a paragraph-like block.
func (p *faqParser) blockText(n ast.Node) Text {
	if _, ok := n.(*ast.Blockquote); ok {
		var t Text
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			t = appendText(t, p.blockText(c))
		}
		return t
	}
	return trimText(p.inline(n))
}

// inline flattens n's inline children into spans.
func (p *faqParser) inline(n ast.Node) Text {
	var t Text
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *ast.Text:
			t = appendText(t, Text{{Text: string(c.Segment.Value(p.src))}})
			if c.SoftLineBreak() || c.HardLineBreak() {
				t = appendText(t, Text{{Text: "\n"}})
			}
		case *ast.String:
			t = appendText(t, Text{{Text: string(c.Value)}})
		case *ast.Link:
			p.checkLink(c, string(c.Destination))
			t = append(t, Span{Text: p.inline(c).Plain(), URL: string(c.Destination)})
		case *ast.AutoLink:
			u := string(c.URL(p.src))
			p.checkLink(c, u)
			t = append(t, Span{Text: u, URL: u})
		case *ast.RawHTML:
			// Inline tags such as <br> carry no text of their own; a
			// comment may say something about the entry or item.
			var raw []byte
			for i := 0; i < c.Segments.Len(); i++ {
				seg := c.Segments.At(i)
				raw = append(raw, seg.Value(p.src)...)
			}
			if isComment(raw) && p.meta != nil {
				line := 0
				if c.Segments.Len() > 0 {
					line = p.line(c.Segments.At(0).Start)
				}
				p.comment(p.meta, raw, line)
			}
		default:
			t = appendText(t, p.inline(c))
		}
	}
	return t
}

// checkLink refuses a link that channels should not send: answers go out
// as Slack and WeCom text, where a javascript: or data: link is an attack
// and a relative one goes nowhere. Only http, https and mailto links are
// allowed.
func (p *faqParser) checkLink(n ast.Node, u string) {
	scheme, _, ok := strings.Cut(u, ":")
	switch strings.ToLower(scheme) {
	case "http", "https", "mailto":
		if ok {
			return
		}
	}
	p.errs.add(p.nodeLine(n), "link %q: only http, https and mailto links can go out to users", u)
}

// appendText appends b to a, merging neighbouring plain runs.
func appendText(a, b Text) Text {
	for _, s := range b {
		if n := len(a); n > 0 && a[n-1].URL == "" && s.URL == "" {
			a[n-1].Text += s.Text
			continue
		}
		a = append(a, s)
	}
	return a
}

var softBreak = regexp.MustCompile(`\s*\n\s*`)

// trimText joins soft line breaks and trims the ends.
func trimText(t Text) Text {
	out := make(Text, 0, len(t))
	for _, s := range t {
		if s.URL == "" {
			s.Text = softBreak.ReplaceAllStringFunc(s.Text, func(string) string { return " " })
		}
		out = append(out, s)
	}
	if len(out) > 0 && out[0].URL == "" {
		out[0].Text = strings.TrimLeft(out[0].Text, " \t")
	}
	if n := len(out); n > 0 && out[n-1].URL == "" {
		out[n-1].Text = strings.TrimRight(out[n-1].Text, " \t")
	}
	if len(out) == 1 && out[0].Text == "" {
		return nil
	}
	return out
}

// htmlText is the visible text of an HTML fragment.
func htmlText(raw []byte) string {
	z := html.NewTokenizer(bytes.NewReader(raw))
	var b strings.Builder
	for {
		switch z.Next() {
		case html.ErrorToken:
			return strings.TrimSpace(b.String())
		case html.TextToken:
			b.Write(z.Text())
		}
	}
}

// check validates what the walk could not see locally.
func (p *faqParser) check() {
	if len(p.faq.Entries) == 0 {
		p.errs.add(0, "no questions (a question is a line starting with ###)")
	}
	seen := map[string]int{}
	for _, e := range p.faq.Entries {
		if prev, ok := seen[e.Question]; ok && e.Question != "" {
			p.errs.add(e.Line, "question %q is asked twice (also on line %d)", e.Question, prev)
		}
		seen[e.Question] = e.Line
		if len(e.Intro) == 0 && len(e.Items) == 0 && len(e.Outro) == 0 {
			p.errs.add(e.Line, "question %q has an empty answer", e.Question)
		}
	}
}
