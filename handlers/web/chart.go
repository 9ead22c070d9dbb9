package web

import (
	"sort"
	"strconv"
	"time"

	"github.com/supportbot/supportbot/bot"
)

// chart is a stacked bar chart of intents per day, laid out here so the
// template only draws rectangles (an inline SVG, no script).
type chart struct {
	Width, Height int
	Bars          []bar
	Legend        []legendItem
	Max           int
	Total         int
}

type bar struct {
	X, W   int
	Label  string // day, "11-27"
	LabelX int
	Segs   []seg
}

type seg struct {
	Y, H  int
	Fill  string
	Title string // shown on hover: "2026-11-27 sms_missing: 12"
}

type legendItem struct {
	Name  string
	Fill  string
	Count int
}

var palette = []string{"#1f6feb", "#2da44e", "#bf8700", "#cf222e", "#8250df", "#0a7ea4", "#999999"}

// buildChart draws days days from from: the five commonest intents, the
// rest as "other".
func buildChart(counts []bot.DayCount, from time.Time, days int) chart {
	c := chart{Width: 720, Height: 240}
	counts = inRange(counts, from, from.AddDate(0, 0, days))
	totals := map[string]int{}
	for _, dc := range counts {
		totals[dc.Intent] += dc.Count
		c.Total += dc.Count
	}
	shown := c.addLegend(totals)
	perDay := dayTotals(counts, from, days, shown)
	for _, m := range perDay {
		sum := 0
		for _, v := range m {
			sum += v
		}
		c.Max = max(c.Max, sum)
	}
	c.addBars(perDay, from)
	return c
}

// inRange returns the counts of the days from from up to end, in a new
// slice.
func inRange(counts []bot.DayCount, from, end time.Time) []bot.DayCount {
	out := counts[:0:0]
	for _, dc := range counts {
		if !dc.Day.Before(from) && dc.Day.Before(end) {
			out = append(out, dc)
		}
	}
	return out
}

// topIntents is how many intents the chart shows in a colour of their
// own; the rest are "other".
const topIntents = 5

// addLegend lists the commonest intents by their totals, most first (then
// by name), with the rest as "other", and returns the colour of each
// intent shown on its own.
func (c *chart) addLegend(totals map[string]int) map[string]string {
	names := make([]string, 0, len(totals))
	for n := range totals {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		if totals[names[i]] != totals[names[j]] {
			return totals[names[i]] > totals[names[j]]
		}
		return names[i] < names[j]
	})
	colour := map[string]string{}
	for i, n := range names {
		if i < topIntents {
			colour[n] = palette[i]
			c.Legend = append(c.Legend, legendItem{n, palette[i], totals[n]})
		}
	}
	if len(names) > topIntents {
		other := 0
		for _, n := range names[topIntents:] {
			other += totals[n]
		}
		c.Legend = append(c.Legend, legendItem{"other", palette[len(palette)-1], other})
	}
	return colour
}

// dayTotals sums the counts per day from from and per legend entry: an
// intent with a colour, or "other".
func dayTotals(counts []bot.DayCount, from time.Time, days int, colour map[string]string) []map[string]int {
	perDay := make([]map[string]int, days)
	for i := range perDay {
		perDay[i] = map[string]int{}
	}
	for _, dc := range counts {
		i := int(dc.Day.Sub(from) / (24 * time.Hour))
		if i < 0 || i >= days {
			continue
		}
		name := dc.Intent
		if _, ok := colour[name]; !ok {
			name = "other"
		}
		perDay[i][name] += dc.Count
	}
	return perDay
}

// addBars lays out a bar per day, its segments stacked from the bottom in
// the legend's order and scaled to the busiest day, c.Max.
func (c *chart) addBars(perDay []map[string]int, from time.Time) {
	const left, bottom, top = 8, 22, 8
	plotH := c.Height - bottom - top
	slot := (c.Width - left) / len(perDay)
	for i, m := range perDay {
		day := from.AddDate(0, 0, i)
		b := bar{X: left + i*slot + slot/6, W: slot * 2 / 3, Label: day.Format("01-02"), LabelX: left + i*slot + slot/2}
		y := c.Height - bottom
		for _, l := range c.Legend {
			v := m[l.Name]
			if v == 0 || c.Max == 0 {
				continue
			}
			h := max(1, v*plotH/c.Max)
			y -= h
			b.Segs = append(b.Segs, seg{Y: y, H: h, Fill: l.Fill, Title: day.Format("2006-01-02") + " " + l.Name + ": " + strconv.Itoa(v)})
		}
		c.Bars = append(c.Bars, b)
	}
}
