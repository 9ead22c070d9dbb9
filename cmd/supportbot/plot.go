package main

import (
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/supportbot/supportbot/bot/evaluate"
	"golang.org/x/text/width"
)

// The confusion matrix's drawing: sizes in pixels, widths of text in ems.
const (
	plotFont     = 12  // the labels' font size
	plotLabelEm  = 16  // the widest label, in ems: longer ones are shortened
	plotMinCell  = 34  // a cell's side, at least
	plotMargin   = 16  // around everything
	plotSlant    = 0.7 // cos and sin of the column labels' 45°, near enough
	plotEllipsis = "…"
)

// writeMatrixSVG draws m as an SVG image: a row per expected label, a
// column per predicted one, each cell shaded by its count and showing it:
// the right answers (the diagonal) in blue, the confusions in red.
// Shading is on a square-root scale, so a few confusions still show
// beside hundreds of right answers. Labels wider than plotLabelEm are
// shortened in the middle (an id's ".2" stays) and carry their full text
// in a <title>, which browsers show on hover.
func writeMatrixSVG(w io.Writer, m evaluate.ConfusionMatrix, caption string) error {
	n := len(m.Labels)
	most := 1
	for _, row := range m.Counts {
		for _, c := range row {
			most = max(most, c)
		}
	}
	cell := max(plotMinCell, len(strconv.Itoa(most))*plotFont*6/10+14)
	short := make([]string, n)
	labelW := 0.0
	for i, l := range m.Labels {
		short[i] = shorten(l, plotLabelEm)
		labelW = max(labelW, textEm(short[i])*plotFont)
	}
	slant := int(math.Ceil(labelW * plotSlant))
	left := plotMargin + plotFont*2 + int(math.Ceil(labelW)) + 8
	top := plotMargin + plotFont*5 + slant + 8
	gridW := n * cell
	imgW := max(left+gridW+slant+plotMargin, 360)
	imgH := top + gridW + plotMargin + plotFont*2

	p := &svgWriter{w: w}
	p.printf(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="system-ui, sans-serif" font-size="%d">`+"\n",
		imgW, imgH, imgW, imgH, plotFont)
	p.printf(`<title>%s</title>`+"\n", esc(caption))
	p.printf(`<rect width="100%%" height="100%%" fill="#fff"/>` + "\n")
	p.printf(`<text x="%d" y="%d" font-size="%d" font-weight="bold">%s</text>`+"\n", plotMargin, plotMargin+plotFont, plotFont+2, esc(caption))
	p.printf(`<text x="%d" y="%d" text-anchor="middle" fill="#667085">predicted</text>`+"\n", left+gridW/2, plotMargin+plotFont*3)
	p.printf(`<text transform="translate(%d %d) rotate(-90)" text-anchor="middle" fill="#667085">expected</text>`+"\n",
		plotMargin+plotFont, top+gridW/2)
	for i, l := range m.Labels {
		x, y := left+i*cell+cell/2, top+i*cell+cell/2
		p.printf(`<g class="row-label"><title>%s</title><text x="%d" y="%d" text-anchor="end" dominant-baseline="central">%s</text></g>`+"\n",
			esc(l), left-6, y, esc(short[i]))
		p.printf(`<g class="col-label"><title>%s</title><text transform="translate(%d %d) rotate(-45)">%s</text></g>`+"\n",
			esc(l), x, top-6, esc(short[i]))
	}
	// Every cell is drawn, so the grid shows where nothing was; only those
	// with messages carry a <title> and a count, which keeps a large FAQ's
	// matrix small.
	p.printf(`<g fill="#fff" stroke="#d9dde3">` + "\n")
	for i, row := range m.Counts {
		for j, c := range row {
			x, y := left+j*cell, top+i*cell
			if c == 0 {
				p.printf(`<rect class="cell" data-row="%d" data-col="%d" data-count="0" x="%d" y="%d" width="%d" height="%d"/>`+"\n", i, j, x, y, cell, cell)
				continue
			}
			// The right answers in blue, the confusions in red.
			// Even one message is a clear tint, not a near white.
			shade, hue := 0.15+0.85*math.Sqrt(float64(c)/float64(most)), [3]float64{31, 111, 235}
			if i != j {
				hue = [3]float64{207, 34, 46}
			}
			ink := "#1d2330"
			if shade > 0.55 {
				ink = "#fff"
			}
			p.printf(`<g><title>expected %s, answered %s: %d</title>`, esc(m.Labels[i]), esc(m.Labels[j]), c)
			p.printf(`<rect class="cell" data-row="%d" data-col="%d" data-count="%d" x="%d" y="%d" width="%d" height="%d" fill="%s"/>`,
				i, j, c, x, y, cell, cell, blend(hue, shade))
			p.printf(`<text x="%d" y="%d" text-anchor="middle" dominant-baseline="central" fill="%s" stroke="none">%d</text></g>`+"\n",
				x+cell/2, y+cell/2, ink, c)
		}
	}
	p.printf("</g>\n")
	p.printf(`<text x="%d" y="%d" fill="#667085">rows: expected label; columns: predicted answer; blue: right, red: wrong; darker: more</text>`+"\n",
		plotMargin, imgH-plotMargin)
	p.printf("</svg>\n")
	return p.err
}

// svgWriter keeps the first write error, so drawing reads straight on.
type svgWriter struct {
	w   io.Writer
	err error
}

func (p *svgWriter) printf(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

// esc escapes s for XML text and attribute values.
func esc(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s)) // a strings.Builder never fails
	return b.String()
}

// blend is the colour at shade from white (0) to the colour to (1).
func blend(to [3]float64, shade float64) string {
	var c [3]int
	for i := range c {
		c[i] = int(math.Round(255 + (to[i]-255)*shade))
	}
	return fmt.Sprintf("#%02x%02x%02x", c[0], c[1], c[2])
}

// textEm estimates how wide s is drawn, in ems: Chinese and other wide
// characters one em, the rest about six tenths.
func textEm(s string) float64 {
	w := 0.0
	for _, r := range s {
		w += runeEm(r)
	}
	return w
}

func runeEm(r rune) float64 {
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 1
	}
	return 0.6
}

// shorten fits s into limit ems by cutting its middle: the start and the
// last third stay, so "没有收到管局发送的核验短信怎么办.2" keeps its step.
func shorten(s string, limit float64) string {
	if textEm(s) <= limit {
		return s
	}
	rs := []rune(s)
	budget := limit - textEm(plotEllipsis)
	tail, tailW := len(rs), 0.0
	for tail > 0 && tailW+runeEm(rs[tail-1]) <= budget/3 {
		tail--
		tailW += runeEm(rs[tail])
	}
	head, headW := 0, 0.0
	for head < tail && headW+runeEm(rs[head]) <= budget-tailW {
		headW += runeEm(rs[head])
		head++
	}
	return string(rs[:head]) + plotEllipsis + string(rs[tail:])
}
