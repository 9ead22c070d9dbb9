package knowledge

import (
	"bytes"
	"io"
	"strings"

	"github.com/yuin/goldmark/ast"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// table reads the prefix table: a header row naming the carrier, prefix and
// validity columns (in any order), then one row per prefix.
func (p *faqParser) table(n *ast.HTMLBlock, line int) {
	if p.faq.TableLine != 0 {
		p.errs.add(line, "a second prefix table (the first is on line %d)", p.faq.TableLine)
		return
	}
	p.faq.TableLine = line
	t := &tableReader{p: p, n: n, line: line, cols: map[string]int{}, seen: map[string]tablePlace{}}
	t.read()
}

// tableReader reads the prefix table in the HTML block n, at line, into
// the FAQ's Prefixes, a row at a time. Offsets are in p.rawHTML(n).
type tableReader struct {
	p    *faqParser
	n    *ast.HTMLBlock
	line int

	row      []string         // cells of the current row
	cellOffs []int            // where they start
	rowOff   int              // where the current row starts
	cell     *strings.Builder // the cell being read; nil outside cells
	inTable  bool             // a <table> tag was seen
	header   bool             // the header row was read
	rowsSeen int              // rows after the header
	cols     map[string]int   // "carrier", "prefix", "valid" -> cell index
	// A table may be written on one line, so where each prefix is says
	// its row and column too.
	seen map[string]tablePlace
}

// tablePlace is where a prefix is listed: its line, row and column.
type tablePlace struct{ line, row, column int }

// read walks the block's HTML tokens, gathering cells into rows; a row
// ends at the next <tr>, </tr> or </table>. At the end of the block it
// reports what the table lacks.
func (t *tableReader) read() {
	z := html.NewTokenizer(bytes.NewReader(t.p.rawHTML(t.n)))
	off := 0 // bytes read so far
	for {
		tt := z.Next()
		start := off
		off += len(z.Raw())
		switch tt {
		case html.ErrorToken:
			t.end(z.Err())
			return
		case html.StartTagToken:
			name, _ := z.TagName()
			t.startTag(atom.Lookup(name), start)
		case html.EndTagToken:
			name, _ := z.TagName()
			t.endTag(atom.Lookup(name))
		case html.TextToken:
			if t.cell != nil {
				t.cell.Write(z.Text())
			}
		}
	}
}

// startTag opens the table, a row (ending the one before it) or a cell,
// whose tag starts at offset start.
func (t *tableReader) startTag(tag atom.Atom, start int) {
	switch tag {
	case atom.Table:
		t.inTable = true
	case atom.Tr:
		t.endRow()
		t.rowOff = start
	case atom.Td, atom.Th:
		t.cell = &strings.Builder{}
		t.row = append(t.row, "")
		t.cellOffs = append(t.cellOffs, start)
	}
}

// endTag closes a cell, or ends the row.
func (t *tableReader) endTag(tag atom.Atom) {
	switch tag {
	case atom.Td, atom.Th:
		if t.cell != nil && len(t.row) > 0 {
			t.row[len(t.row)-1] = strings.TrimSpace(t.cell.String())
		}
		t.cell = nil
	case atom.Tr, atom.Table:
		t.endRow()
	}
}

// end reports, at the table's line, an HTML error that stopped the reading
// before the end of the block, and a table without <table> or rows.
func (t *tableReader) end(err error) {
	if err != io.EOF {
		t.p.errs.add(t.line, "prefix table: %v", err)
	}
	if !t.inTable {
		t.p.errs.add(t.line, "prefix table has no <table>")
	}
	if t.rowsSeen == 0 {
		t.p.errs.add(t.line, "prefix table has no rows")
	}
}

// endRow takes the row read so far, if it has cells: the first is the
// header; each one after it, once the header has named the three columns,
// adds a prefix.
func (t *tableReader) endRow() {
	rowLine := t.p.line(t.src(t.rowOff))
	defer func() { t.row, t.cellOffs = nil, nil }()
	if len(t.row) == 0 {
		return
	}
	if !t.header {
		t.readHeader(rowLine)
		return
	}
	t.rowsSeen++
	if len(t.cols) < 3 {
		return
	}
	if pr, ok := t.prefix(rowLine); ok && !t.listedBefore(pr) {
		t.p.faq.Prefixes = append(t.p.faq.Prefixes, pr)
	}
}

// readHeader finds the carrier, prefix and validity columns in the header
// row, and reports those it lacks.
func (t *tableReader) readHeader(rowLine int) {
	t.header = true
	for i, h := range t.row {
		if c := columnOf(h); c != "" {
			t.cols[c] = i
		}
	}
	for _, c := range []string{"carrier", "prefix", "valid"} {
		if _, ok := t.cols[c]; !ok {
			t.p.errs.add(rowLine, "prefix table has no %s column (header: %s)", c, strings.Join(t.row, " | "))
		}
	}
}

// prefix reads the row, at rowLine, as a Prefix and reports what is wrong
// with its cells; ok is false when its prefix is not one.
func (t *tableReader) prefix(rowLine int) (pr Prefix, ok bool) {
	pr = Prefix{Prefix: t.value("prefix"), Carrier: t.value("carrier"), Line: rowLine}
	if !isPrefix(pr.Prefix) {
		t.p.errs.add(rowLine, "prefix %q is not three digits starting with 1", pr.Prefix)
		return pr, false
	}
	if _, ok := CarrierKey(pr.Carrier); !ok {
		t.p.errs.add(rowLine, "prefix %s: unknown carrier %q (want 移动, 联通, 电信 or 广电)", pr.Prefix, pr.Carrier)
	}
	v, ok := parseValid(t.value("valid"))
	if !ok {
		t.p.errs.add(rowLine, "prefix %s: validity %q is neither 有效 nor 无效", pr.Prefix, t.value("valid"))
	}
	pr.Valid = v
	return pr, true
}

// value is the row's cell in column c, "" when the row is too short.
func (t *tableReader) value(c string) string {
	if i := t.cols[c]; i < len(t.row) {
		return t.row[i]
	}
	return ""
}

// listedBefore reports pr when an earlier row lists the same prefix, and
// otherwise notes where pr is.
func (t *tableReader) listedBefore(pr Prefix) bool {
	at := tablePlace{pr.Line, t.rowsSeen, t.p.column(t.src(t.rowOff))}
	if i := t.cols["prefix"]; i < len(t.cellOffs) {
		at.column = t.p.column(t.src(t.cellOffs[i]))
	}
	q, ok := t.seen[pr.Prefix]
	if !ok {
		t.seen[pr.Prefix] = at
		return false
	}
	if q.line == at.line {
		t.p.errs.add(pr.Line, "prefix %s is listed twice: in row %d at column %d (also in row %d at column %d)", pr.Prefix, at.row, at.column, q.row, q.column)
	} else {
		t.p.errs.add(pr.Line, "prefix %s is listed twice (also on line %d)", pr.Prefix, q.line)
	}
	return true
}

// src maps an offset in the block's raw HTML to the source.
func (t *tableReader) src(off int) int { return t.p.htmlOffset(t.n, off) }

// columnOf recognises a prefix-table header.
func columnOf(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	switch {
	case strings.Contains(h, "运营商"), strings.Contains(h, "carrier"), strings.Contains(h, "operator"):
		return "carrier"
	case strings.Contains(h, "号段"), strings.Contains(h, "prefix"):
		return "prefix"
	case strings.Contains(h, "有效"), strings.Contains(h, "valid"), strings.Contains(h, "status"):
		return "valid"
	}
	return ""
}

func isPrefix(s string) bool {
	return len(s) == 3 && s[0] == '1' && s[1] >= '0' && s[1] <= '9' && s[2] >= '0' && s[2] <= '9'
}
