package sqlstore

// The report: what was asked, answered, unanswered and voted on.

import (
	"context"
	"math"
	"sort"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/supportbot/supportbot/bot"
	_ "modernc.org/sqlite"
)

// examplesPerGroup is how many questions a bot.NearestGroup lists.
const examplesPerGroup = 5

// bot.Report reads the log since since. normalize groups questions written
// differently (the bot's Normalizer); nearest names the FAQ entry nearest
// to a question ("" for none, nil to skip the grouping); lowBar is the
// confidence under which an answer counts as low-confidence; top limits
// each list.
func (s *Store) Report(ctx context.Context, since time.Time, normalize func(string) string, nearest func(string) string, lowBar float64, top int) (bot.Report, error) {
	r := bot.Report{Since: since}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT text, intent, confidence, fallback, handoff FROM exchanges WHERE at >= ?`), since.UnixMilli())
	if err != nil {
		return r, err
	}
	defer rows.Close()
	unanswered, low := map[string]*group{}, map[string]*group{}
	intents := map[string]int{}
	for rows.Next() {
		var text, intent string
		var conf float64
		var fallback, handoff bool
		if err := rows.Scan(&text, &intent, &conf, &fallback, &handoff); err != nil {
			return r, err
		}
		r.Messages++
		intents[intent]++
		if fallback {
			r.FallbackCalls++
		}
		if handoff {
			r.Handoffs++
		}
		var m map[string]*group
		switch {
		case intent == bot.IntentNone || intent == bot.IntentClarify:
			m = unanswered
		case conf < lowBar && intent != bot.IntentChecknum && intent != bot.IntentHandoff:
			m = low
		default:
			continue
		}
		key := normalize(text)
		if key == "" {
			continue
		}
		g := m[key+"\x00"+intent]
		if g == nil {
			g = &group{q: bot.Asked{Text: text, Intent: intent}}
			m[key+"\x00"+intent] = g
		}
		g.q.Count++
		g.sum += conf
	}
	if err := rows.Err(); err != nil {
		return r, err
	}
	flatten := func(m map[string]*group) []bot.Asked {
		var out []bot.Asked
		for _, g := range m {
			g.q.Confidence = float64(int(g.sum/float64(g.q.Count)*1000)) / 1000
			out = append(out, g.q)
		}
		sortQuestions(out)
		if len(out) > top {
			out = out[:top]
		}
		return out
	}
	if nearest != nil {
		r.ByNearest = groupByNearest(unanswered, nearest, top)
	}
	r.Unanswered, r.LowConfidence = flatten(unanswered), flatten(low)
	for k, v := range intents {
		r.Intents = append(r.Intents, bot.IntentCount{Intent: k, Count: v})
	}
	sortIntents(r.Intents)
	err = s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*), COUNT(*) FILTER (WHERE helpful = ?) FROM feedback WHERE at >= ?`), true, since.UnixMilli()).Scan(&r.Feedback, &r.Helpful)
	if err != nil {
		return r, err
	}
	if r.Feedback > 0 {
		r.HelpfulPercent = math.Round(float64(r.Helpful)/float64(r.Feedback)*1000) / 10
	}
	return r, nil
}

// group is one question of a report's list, and its confidences' sum.
type group struct {
	q   bot.Asked
	sum float64
}

// groupByNearest groups the unanswered questions by their nearest entry.
func groupByNearest(unanswered map[string]*group, nearest func(string) string, top int) []bot.NearestGroup {
	by := map[string]*bot.NearestGroup{}
	for _, g := range unanswered {
		entry := nearest(g.q.Text)
		ng := by[entry]
		if ng == nil {
			ng = &bot.NearestGroup{Entry: entry}
			by[entry] = ng
		}
		ng.Count += g.q.Count
		ng.Examples = append(ng.Examples, g.q)
	}
	out := make([]bot.NearestGroup, 0, len(by))
	for _, ng := range by {
		sortQuestions(ng.Examples)
		if len(ng.Examples) > examplesPerGroup {
			ng.Examples = ng.Examples[:examplesPerGroup]
		}
		out = append(out, *ng)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Entry < out[j].Entry
	})
	if len(out) > top {
		out = out[:top]
	}
	return out
}

func sortQuestions(qs []bot.Asked) {
	sort.Slice(qs, func(i, j int) bool {
		if qs[i].Count != qs[j].Count {
			return qs[i].Count > qs[j].Count
		}
		return qs[i].Text < qs[j].Text
	})
}

func sortIntents(is []bot.IntentCount) {
	sort.Slice(is, func(i, j int) bool {
		if is[i].Count != is[j].Count {
			return is[i].Count > is[j].Count
		}
		return is[i].Intent < is[j].Intent
	})
}
