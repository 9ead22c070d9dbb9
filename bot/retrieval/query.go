package retrieval

import "fmt"

// Query is a message read for searching: its pieces with their weights.
type Query struct {
	pieces  []qpiece
	alts    []qalt // the pieces' tokens, in order
	weight  float64
	unknown float64 // of pieces nothing in the FAQ has
	// unknownWords counts the English words among them.
	unknownWords int
}

// unknownWeight scales a piece that nothing in the FAQ has.
const unknownWeight = 0.5

type qpiece struct {
	kind       kind
	start, end int32 // its alts
	weight     float64
}

type qalt struct {
	tok int32
	w   float64
}

func (q *Query) altsOf(p *qpiece) []qalt { return q.alts[p.start:p.end] }

// readQuery reads normalised text into q, reusing its memory.
func (ix *Index) readQuery(rd *reader, text string, q *Query) {
	q.pieces, q.alts = q.pieces[:0], q.alts[:0]
	q.weight, q.unknown, q.unknownWords = 0, 0, 0
	rd.ix, rd.query = ix, true
	rd.read(text, func(k kind, alts []alt) {
		qp := qpiece{kind: k, start: int32(len(q.alts))}
		primary := ix.idfUnknown
		for i, a := range alts {
			t, ok := ix.voc.get(a.key)
			if !ok {
				continue
			}
			if i == 0 {
				primary = ix.idf[t]
			}
			q.alts = append(q.alts, qalt{t, a.w})
		}
		qp.end = int32(len(q.alts))
		qp.weight = kindWeight[k] * primary
		if qp.end == qp.start {
			// Nothing in the FAQ has it: often a pair across two words
			// ("了资" of "超时了资料"), sometimes what the FAQ does not cover.
			qp.weight *= unknownWeight
			if k == kindWord {
				q.unknownWords++
			}
			q.unknown += qp.weight
		}
		q.pieces = append(q.pieces, qp)
		q.weight += qp.weight
	})
}

// Explain lists the pieces of normalised text as the index reads them,
// each with its weight and the tokens that stand for it ("?" for none),
// for people tuning the knowledge.
func (ix *Index) Explain(text string) []string {
	names := make([]string, len(ix.kind))
	for k := range kinds {
		for s, t := range ix.voc.str[k] {
			names[t] = s
		}
		for n, t := range ix.voc.num[k] {
			if k == kindPinyin {
				names[t] = ix.py.syllables[n>>16-1] + " " + ix.py.syllables[n&0xffff-1]
			} else {
				names[t] = fmt.Sprintf("synonyms#%d", n)
			}
		}
	}
	var rd reader
	var q Query
	ix.readQuery(&rd, text, &q)
	var out []string
	for pi := range q.pieces {
		p := &q.pieces[pi]
		s := ""
		for i, a := range q.altsOf(p) {
			if i > 0 {
				s += "|"
			}
			s += names[a.tok]
		}
		if s == "" {
			s = "?"
		}
		out = append(out, fmt.Sprintf("%s:%.1f", s, p.weight))
	}
	return out
}
