package retrieval

// part picks the step or case of a hit that explains the query as well as
// the whole doc does and clearly better than its other parts; 0 if none.
// It also returns the share of the query the best part and the question
// have together.
func (ix *Index) part(sc *scratch, q *Query, h *Hit) (int, float64) {
	d := &ix.docs[h.Doc]
	if len(d.parts) == 0 {
		return 0, h.Cover
	}
	sc.markQuery(ix, q)
	defer sc.unmarkQuery(q)
	// How well the question has each piece: the best of its alts there.
	inTitle := sc.floats(&sc.inTitle, len(q.pieces))
	for _, s := range d.titles {
		sc.credit(q, ix.subs[s].tokens, inTitle)
	}
	inPart := sc.floats(&sc.inPart, len(q.pieces))
	best, second, bestPart := 0.0, 0.0, 0
	bestUnion, maxUnion := 0.0, 0.0
	for i, p := range d.parts {
		clear(inPart)
		sc.credit(q, p.titles, inPart)
		sc.credit(q, p.body, inPart)
		union, own := 0.0, 0.0
		for pi := range q.pieces {
			w := q.pieces[pi].weight
			union += w * max(inTitle[pi], inPart[pi])
			if inPart[pi] > inTitle[pi] {
				own += w * (inPart[pi] - inTitle[pi])
			}
		}
		maxUnion = max(maxUnion, union)
		switch {
		case own > best:
			best, second, bestPart, bestUnion = own, best, i+1, union
		case own > second:
			second = own
		}
	}
	pc := maxUnion / q.weight
	if bestPart == 0 || best < 0.15*q.weight || best < 1.5*second || bestUnion < 0.9*h.Cover*q.weight {
		return 0, pc
	}
	return bestPart, pc
}

// markQuery notes, for each token of q, its alts (a list through
// altNext), so that a text's tokens find the pieces they stand for.
func (sc *scratch) markQuery(ix *Index, q *Query) {
	if len(sc.firstAlt) < len(ix.kind) {
		sc.firstAlt = make([]int32, len(ix.kind))
	}
	sc.altNext = sc.altNext[:0]
	sc.altPiece = sc.altPiece[:0]
	for pi := range q.pieces {
		p := &q.pieces[pi]
		for ai := p.start; ai < p.end; ai++ {
			sc.altPiece = append(sc.altPiece, int32(pi))
		}
	}
	for ai, a := range q.alts {
		sc.altNext = append(sc.altNext, sc.firstAlt[a.tok]-1)
		sc.firstAlt[a.tok] = int32(ai) + 1
	}
}

func (sc *scratch) unmarkQuery(q *Query) {
	for _, a := range q.alts {
		sc.firstAlt[a.tok] = 0
	}
}

// credit raises got[piece] to the best weight of the piece's alts that
// the sorted tokens have.
func (sc *scratch) credit(q *Query, tokens []int32, got []float64) {
	for _, t := range tokens {
		for ai := sc.firstAlt[t] - 1; ai >= 0; ai = sc.altNext[ai] {
			pi := sc.altPiece[ai]
			got[pi] = max(got[pi], q.alts[ai].w)
		}
	}
}

// floats returns *buf cleared at length n.
func (sc *scratch) floats(buf *[]float64, n int) []float64 {
	if cap(*buf) < n {
		*buf = make([]float64, n)
	}
	*buf = (*buf)[:n]
	clear(*buf)
	return *buf
}
