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
	raw := p.rawHTML(n)
	src := func(off int) int { return p.htmlOffset(n, off) }
	z := html.NewTokenizer(bytes.NewReader(raw))
	var (
		off      int      // bytes of raw read so far
		row      []string // cells of the current row
		cellOffs []int    // where they start in raw
		rowOff   int
		cell     *strings.Builder
		header   []string
		inTable  bool
		rowsSeen int
	)
	cols := map[string]int{}
	// A table may be written on one line, so where each prefix is says
	// its row and column too.
	type place struct{ line, row, column int }
	seen := map[string]place{}
	flush := func() {
		rowLine := p.line(src(rowOff))
		defer func() { row, cellOffs = nil, nil }()
		if len(row) == 0 {
			return
		}
		if header == nil {
			header = row
			for i, h := range row {
				if c := columnOf(h); c != "" {
					cols[c] = i
				}
			}
			for _, c := range []string{"carrier", "prefix", "valid"} {
				if _, ok := cols[c]; !ok {
					p.errs.add(rowLine, "prefix table has no %s column (header: %s)", c, strings.Join(row, " | "))
				}
			}
			return
		}
		rowsSeen++
		if len(cols) < 3 {
			return
		}
		get := func(c string) string {
			if i := cols[c]; i < len(row) {
				return row[i]
			}
			return ""
		}
		pr := Prefix{Prefix: get("prefix"), Carrier: get("carrier"), Line: rowLine}
		if !isPrefix(pr.Prefix) {
			p.errs.add(rowLine, "prefix %q is not three digits starting with 1", pr.Prefix)
			return
		}
		if _, ok := CarrierKey(pr.Carrier); !ok {
			p.errs.add(rowLine, "prefix %s: unknown carrier %q (want 移动, 联通, 电信 or 广电)", pr.Prefix, pr.Carrier)
		}
		v, ok := parseValid(get("valid"))
		if !ok {
			p.errs.add(rowLine, "prefix %s: validity %q is neither 有效 nor 无效", pr.Prefix, get("valid"))
		}
		pr.Valid = v
		at := place{rowLine, rowsSeen, p.column(src(rowOff))}
		if i := cols["prefix"]; i < len(cellOffs) {
			at.column = p.column(src(cellOffs[i]))
		}
		if q, ok := seen[pr.Prefix]; ok {
			if q.line == at.line {
				p.errs.add(rowLine, "prefix %s is listed twice: in row %d at column %d (also in row %d at column %d)", pr.Prefix, at.row, at.column, q.row, q.column)
			} else {
				p.errs.add(rowLine, "prefix %s is listed twice (also on line %d)", pr.Prefix, q.line)
			}
			return
		}
		seen[pr.Prefix] = at
		p.faq.Prefixes = append(p.faq.Prefixes, pr)
	}
	for {
		tt := z.Next()
		start := off
		off += len(z.Raw())
		switch tt {
		case html.ErrorToken:
			if err := z.Err(); err != io.EOF {
				p.errs.add(line, "prefix table: %v", err)
			}
			if !inTable {
				p.errs.add(line, "prefix table has no <table>")
			}
			if rowsSeen == 0 {
				p.errs.add(line, "prefix table has no rows")
			}
			return
		case html.StartTagToken:
			name, _ := z.TagName()
			switch atom.Lookup(name) {
			case atom.Table:
				inTable = true
			case atom.Tr:
				flush()
				rowOff = start
			case atom.Td, atom.Th:
				cell = &strings.Builder{}
				row = append(row, "")
				cellOffs = append(cellOffs, start)
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			switch atom.Lookup(name) {
			case atom.Td, atom.Th:
				if cell != nil && len(row) > 0 {
					row[len(row)-1] = strings.TrimSpace(cell.String())
				}
				cell = nil
			case atom.Tr, atom.Table:
				flush()
			}
		case html.TextToken:
			if cell != nil {
				cell.Write(z.Text())
			}
		}
	}
}

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
