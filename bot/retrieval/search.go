package retrieval

import "slices"

// scratch is one search's working memory.
type scratch struct {
	rd         reader
	q          Query
	subCredit  []float64 // per sub, this piece's best
	subTotal   []float64
	docCredit  []float64
	docTotal   []float64
	docStrong  []float64 // docTotal without single characters
	subTouched []int32
	docTouched []int32
	subSeen    []bool
	docSeen    []bool
	subAny     []bool
	docAny     []bool
	anySubs    []int32
	anyDocs    []int32
	top        []int32
	hits       []Hit
	// For looking texts' tokens up in the query: the first alt (+1) of
	// each token, the next alt with the same token, each alt's piece.
	firstAlt        []int32
	altNext         []int32
	altPiece        []int32
	inTitle, inPart []float64
}

func (ix *Index) newScratch() *scratch {
	return &scratch{
		subCredit: make([]float64, len(ix.subs)), subTotal: make([]float64, len(ix.subs)),
		docCredit: make([]float64, len(ix.docs)), docTotal: make([]float64, len(ix.docs)), docStrong: make([]float64, len(ix.docs)),
		subSeen: make([]bool, len(ix.subs)), docSeen: make([]bool, len(ix.docs)),
		subAny: make([]bool, len(ix.subs)), docAny: make([]bool, len(ix.docs)),
	}
}

// Hit is one doc a query may ask about.
type Hit struct {
	Doc int
	// Part is the step or case (1-based) that fits the query clearly
	// better than the whole doc; 0 for the whole.
	Part int
	// Score ranks the hits; Conf is how sure the index is that the doc is
	// what the query asks (see confidence).
	Score, Conf float64
	Features
}

// Features describe how a doc meets a query.
type Features struct {
	// Cover is the share of the query (by weight) the doc has anywhere,
	// StrongCover the same without single Chinese characters;
	// TitleCover the share one of its phrasings has; TitleRecall the
	// share of that phrasing the query says.
	Cover, StrongCover, TitleCover, TitleRecall float64
	// Margin is how far the doc's score is ahead of the next one's.
	Margin float64
	// Weight is the query's total weight: short queries say little. It
	// is counted in rare tokens (a token no doc has weighs one), so that
	// it means the same in FAQs of any size.
	Weight float64
	// Unknown is the share of the query that nothing in the FAQ has.
	Unknown float64
	// PartCover is the share of the query the doc's question and its best
	// step or case have together.
	PartCover float64
	// UnknownWords counts the query's words that nothing in the FAQ has.
	UnknownWords int
	// KeyCover is the share of the query's heaviest pieces the doc has;
	// NextCover the next doc's Cover; Docs how many docs share anything
	// with the query.
	KeyCover, NextCover float64
	Docs                int
}

// preselect is how many docs, of those with the most of the query, get
// their features computed: a doc's score is at most 0.8 of its Cover plus
// 0.2, so the best few by Cover hold the best by score.
const preselect = 16

// Find returns up to k docs for normalised text, best first.
func (ix *Index) Find(text string, k int) []Hit {
	if len(ix.docs) == 0 {
		return nil
	}
	sc := ix.pool.Get().(*scratch)
	defer ix.pool.Put(sc)
	ix.readQuery(&sc.rd, text, &sc.q)
	return ix.search(sc, &sc.q, k)
}

// search finds the k docs that best fit q, best first: it credits every
// sub and doc with the pieces of q it has, scores the docs with the most,
// and describes the best of them further.
func (ix *Index) search(sc *scratch, q *Query, k int) []Hit {
	if q.weight <= 0 {
		return nil
	}
	for pi := range q.pieces {
		p := &q.pieces[pi]
		ix.creditPiece(sc, q, p)
		sc.addCredits(p.kind)
	}
	docs := len(sc.anyDocs)
	ix.scoreCandidates(sc, q)
	sc.clearTotals()
	hits := best(sc.hits, k)
	ix.describe(sc, q, hits, docs)
	return hits
}

// creditPiece gives each sub and doc that has a token of piece p the
// best credit of those tokens: the piece's weight times the alt's; in an
// answer's text, scaled by its factor and at most the piece's weight.
func (ix *Index) creditPiece(sc *scratch, q *Query, p *qpiece) {
	for _, a := range q.altsOf(p) {
		if ix.common[a.tok] {
			continue
		}
		credit := p.weight * a.w
		for _, ps := range ix.post[a.tok] {
			if s := ps.sub; s >= 0 {
				if !sc.subSeen[s] {
					sc.subSeen[s] = true
					sc.subTouched = append(sc.subTouched, s)
				}
				sc.subCredit[s] = max(sc.subCredit[s], credit)
			}
			d := ps.doc
			if !sc.docSeen[d] {
				sc.docSeen[d] = true
				sc.docTouched = append(sc.docTouched, d)
			}
			sc.docCredit[d] = max(sc.docCredit[d], min(credit*ps.factor, p.weight))
		}
	}
}

// addCredits adds the credits of a piece of kind k to the totals of the
// subs and docs that have it, and notes those that have any of the query.
func (sc *scratch) addCredits(k kind) {
	for _, s := range sc.subTouched {
		sc.subTotal[s] += sc.subCredit[s]
		sc.subCredit[s], sc.subSeen[s] = 0, false
		if !sc.subAny[s] {
			sc.subAny[s] = true
			sc.anySubs = append(sc.anySubs, s)
		}
	}
	for _, d := range sc.docTouched {
		sc.docTotal[d] += sc.docCredit[d]
		if k != kindChar {
			sc.docStrong[d] += sc.docCredit[d]
		}
		sc.docCredit[d], sc.docSeen[d] = 0, false
		if !sc.docAny[d] {
			sc.docAny[d] = true
			sc.anyDocs = append(sc.anyDocs, d)
		}
	}
	sc.subTouched, sc.docTouched = sc.subTouched[:0], sc.docTouched[:0]
}

// scoreCandidates puts into sc.hits the preselect docs with the most of
// the query (every doc that has any, when fewer), scored.
func (ix *Index) scoreCandidates(sc *scratch, q *Query) {
	cands := sc.anyDocs
	if len(cands) > preselect {
		cands = topDocs(sc.top[:0], cands, sc.docTotal)
		sc.top = cands
	}
	hits := sc.hits[:0]
	for _, d := range cands {
		hits = append(hits, ix.scoreDoc(sc, q, d))
	}
	sc.hits = hits
}

// scoreDoc is doc d's hit for q, with the features its score comes from
// and those of the query.
func (ix *Index) scoreDoc(sc *scratch, q *Query, d int32) Hit {
	h := Hit{Doc: int(d)}
	h.Cover = sc.docTotal[d] / q.weight
	h.StrongCover = sc.docStrong[d] / q.weight
	for _, s := range ix.docs[d].titles {
		if !sc.subAny[s] {
			continue
		}
		c := sc.subTotal[s] / q.weight
		r := 0.0
		if w := ix.subs[s].weight; w > 0 {
			r = min(1, sc.subTotal[s]/w)
		}
		h.TitleCover = max(h.TitleCover, c)
		h.TitleRecall = max(h.TitleRecall, r)
	}
	h.Weight, h.Unknown, h.UnknownWords = q.weight/ix.idfUnknown, q.unknown/q.weight, q.unknownWords
	h.Score = score(h.Features)
	return h
}

// clearTotals zeroes the totals of the subs and docs that have any of
// the query, for the next search.
func (sc *scratch) clearTotals() {
	for _, s := range sc.anySubs {
		sc.subTotal[s], sc.subAny[s] = 0, false
	}
	for _, d := range sc.anyDocs {
		sc.docTotal[d], sc.docStrong[d], sc.docAny[d] = 0, 0, false
	}
	sc.anySubs, sc.anyDocs = sc.anySubs[:0], sc.anyDocs[:0]
}

// best sorts hits by score, then doc, and returns a copy of the first k.
func best(hits []Hit, k int) []Hit {
	slices.SortFunc(hits, func(a, b Hit) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		return a.Doc - b.Doc
	})
	if len(hits) > k {
		hits = hits[:k]
	}
	out := make([]Hit, len(hits))
	copy(out, hits)
	return out
}

// describe sets the features of the best hits that compare each with
// the next or look closer at its doc, and their confidence; docs is how
// many docs share anything with the query.
func (ix *Index) describe(sc *scratch, q *Query, hits []Hit, docs int) {
	for i := range hits {
		h := &hits[i]
		if i+1 < len(hits) {
			h.Margin = h.Score - hits[i+1].Score
			h.NextCover = hits[i+1].Cover
		} else {
			h.Margin = h.Score
		}
		h.PartCover = h.Cover
		if i < partHits {
			h.Part, h.PartCover = ix.part(sc, q, h)
		}
		h.KeyCover = ix.keyCover(q, h.Doc)
		h.Docs = docs
		h.Conf = ix.confidence(h.Features)
	}
}

// topDocs puts the preselect docs of docs with the largest totals into
// dst, in no order: a min-heap of the best so far, by total, then doc.
func topDocs(dst, docs []int32, total []float64) []int32 {
	less := func(a, b int32) bool { // a is worse than b
		return total[a] < total[b] || total[a] == total[b] && a > b
	}
	down := func(h []int32, i int) {
		for {
			l := 2*i + 1
			if l >= len(h) {
				return
			}
			if r := l + 1; r < len(h) && less(h[r], h[l]) {
				l = r
			}
			if !less(h[l], h[i]) {
				return
			}
			h[i], h[l] = h[l], h[i]
			i = l
		}
	}
	h := append(dst, docs[:preselect]...)
	for i := len(h)/2 - 1; i >= 0; i-- {
		down(h, i)
	}
	for _, d := range docs[preselect:] {
		if less(h[0], d) {
			h[0] = d
			down(h, 0)
		}
	}
	return h
}

// partHits is how many of the best hits get their steps and cases looked
// at: the answer is one of them.
const partHits = 3

// score ranks a doc for a query.
func score(f Features) float64 {
	return 0.5*f.Cover + 0.3*f.TitleCover + 0.2*f.TitleRecall
}

// keyPieces is how many of a query's heaviest pieces KeyCover looks at.
const keyPieces = 3

// keyCover is the share (by weight) of the query's heaviest pieces that
// doc d has anywhere.
func (ix *Index) keyCover(q *Query, d int) float64 {
	var top [keyPieces]int // indexes into q.pieces, heaviest first
	n := 0
	for i := range q.pieces {
		w := q.pieces[i].weight
		j := min(n, keyPieces-1)
		if n < keyPieces {
			n++
		} else if w <= q.pieces[top[j]].weight {
			continue
		}
		for j > 0 && q.pieces[top[j-1]].weight < w {
			top[j] = top[j-1]
			j--
		}
		top[j] = i
	}
	doc := &ix.docs[d]
	var total, got float64
	for _, i := range top[:n] {
		p := &q.pieces[i]
		total += p.weight
		best := 0.0
		for _, a := range q.altsOf(p) {
			if has(ix.subs[doc.body].tokens, a.tok) {
				best = max(best, a.w)
			}
			for _, s := range doc.titles {
				if has(ix.subs[s].tokens, a.tok) {
					best = max(best, a.w)
				}
			}
		}
		got += p.weight * best
	}
	if total == 0 {
		return 0
	}
	return got / total
}

// has reports whether the sorted set s holds t.
func has(s []int32, t int32) bool {
	_, ok := slices.BinarySearch(s, t)
	return ok
}
