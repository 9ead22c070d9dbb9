// Package retrieval finds the FAQ entry, and the step or case of it, that
// a message asks about, with no rule written for it: an inverted index of
// the entries' questions, other phrasings and answers, in Chinese
// character pairs and their pinyin, English stems, synonyms and numbers
// (see read.go), scored by how much of the message an entry explains and
// how much of its question the message says, with a confidence fit on
// labelled messages. Texts come in normalised (see bot.Normalizer).
package retrieval

import (
	"fmt"
	"math"
	"slices"
	"sync"
)

// Doc is one FAQ entry to index: its question in every phrasing (the
// headings of both languages and the operator's alternatives), its whole
// answer, and its steps or cases.
type Doc struct {
	Titles []string
	Body   []string
	Parts  []Part
}

// Part is one step or case: its own phrasings and its text.
type Part struct {
	Titles []string
	Body   []string
}

// Index is built once per knowledge version; it is immutable and safe for
// concurrent use.
type Index struct {
	py   *pinyinTable
	syn  *synonymTable
	voc  vocab
	idf  []float64
	kind []kind
	post [][]posting // token -> the subs that have it
	subs []sub
	docs []docInfo
	// words are the English words of the texts, for typo correction:
	// each word and each of its one-letter deletions, to the words.
	words map[string][]string
	// stems remembers the stems of the texts' words, which messages use.
	stems      map[string]string
	idfUnknown float64
	// common marks the tokens that more than half the docs of a large FAQ
	// have: they say little (their weight is small) and their lists are
	// long, so searches pass them by, as a stop word.
	common []bool
	// stopPinyin are the readings of stopPairs ("zen me"): a message in
	// pinyin asks with them too.
	stopPinyin map[uint32]bool
	// synPinyin are the readings of two-character synonym members.
	synPinyin map[uint32]int32
	// cutLogit is the logit of the FAQ's cut (see calibrate).
	cutLogit float64
	pool     sync.Pool
}

// commonDocs is the size of an FAQ from which tokens in more than half of
// its docs are common.
const commonDocs = 100

// posting is one sub that has a token, with what the search needs of it.
type posting struct {
	sub, doc int32 // sub is -1 for an answer's text: only its doc counts
	factor   float64
}

// vocab numbers the tokens: a map per kind, by string or by number.
type vocab struct {
	str [kinds]map[string]int32
	num [kinds]map[uint32]int32
}

func newVocab() vocab {
	var v vocab
	for k := range kinds {
		v.str[k], v.num[k] = map[string]int32{}, map[uint32]int32{}
	}
	return v
}

func (v *vocab) get(k key) (int32, bool) {
	var t int32
	var ok bool
	if k.s != "" {
		t, ok = v.str[k.kind][k.s]
	} else {
		t, ok = v.num[k.kind][k.n]
	}
	return t, ok
}

func (v *vocab) put(k key, t int32) {
	if k.s != "" {
		v.str[k.kind][k.s] = t
	} else {
		v.num[k.kind][k.n] = t
	}
}

// sub is one indexed text of a doc: a phrasing of its question, or its
// answer.
type sub struct {
	doc    int32
	title  bool
	tokens []int32 // sorted
	weight float64 // of its tokens, for how much of it a query says
	// factor scales what a match in it is worth: 1 for a phrasing of the
	// question; less for an answer's text, the less the longer it is
	// (BM25's length normalisation), as long texts meet more words by
	// chance.
	factor float64
}

// BM25's length normalisation for answer texts.
const (
	bm25K1 = 1.2
	bm25B  = 0.75
)

type docInfo struct {
	titles []int // subs
	body   int   // sub
	parts  []partInfo
}

type partInfo struct {
	titles []int32 // sorted tokens of its phrasings
	body   []int32 // sorted tokens of its text
}

// Build indexes docs. Synonyms are groups of words that mean the same
// (Synonyms, and the operator's own), normalised.
func Build(docs []Doc, synonyms [][]string) *Index {
	ix := &Index{py: loadPinyin(), voc: newVocab(), words: map[string][]string{}, stems: map[string]string{}}
	ix.syn = synonymsFor(synonyms)
	ix.stopPinyin = map[uint32]bool{}
	for pair := range stopPairs {
		rs := []rune(pair)
		if a, b := ix.py.index(rs[0]), ix.py.index(rs[1]); a > 0 && b > 0 {
			ix.stopPinyin[pinyinKey(a, b)] = true
		}
	}
	// A Chinese member of two characters is a member in pinyin too
	// ("duo jiu", 多久).
	ix.synPinyin = map[uint32]int32{}
	for _, ms := range ix.syn.han {
		for _, m := range ms {
			if rs := []rune(m.text); len(rs) == 2 {
				if a, b := ix.py.index(rs[0]), ix.py.index(rs[1]); a > 0 && b > 0 {
					if _, dup := ix.synPinyin[pinyinKey(a, b)]; !dup {
						ix.synPinyin[pinyinKey(a, b)] = m.group
					}
				}
			}
		}
	}
	var df []int
	rd := &reader{ix: ix}
	// mark[t] == gen: token t is in the set being gathered.
	var mark []uint32
	gen := uint32(0)
	var set []int32
	sink := func(_ kind, alts []alt) {
		for _, a := range alts {
			t, ok := ix.voc.get(a.key)
			if !ok {
				t = int32(len(ix.kind))
				k := a.key
				k.s = clone(k.s) // not a piece of a text, kept alive with it
				ix.voc.put(k, t)
				ix.kind = append(ix.kind, k.kind)
				df = append(df, 0)
				mark = append(mark, 0)
			}
			if mark[t] != gen {
				mark[t] = gen
				set = append(set, t)
			}
		}
	}
	// tokensOf reads texts, and the sets so far of this gathering (with
	// more: the same generation), into a sorted set of tokens.
	start := func() { gen++; set = set[:0] }
	add := func(texts []string) {
		for _, t := range texts {
			ix.addWords(t)
			rd.read(t, sink)
		}
	}
	sorted := func() []int32 { out := slices.Clone(set); slices.Sort(out); return out }
	union := func(sets ...[]int32) {
		for _, ts := range sets {
			for _, t := range ts {
				if mark[t] != gen {
					mark[t] = gen
					set = append(set, t)
				}
			}
		}
	}
	for i, d := range docs {
		var info docInfo
		for _, p := range d.Parts {
			var pi partInfo
			start()
			add(p.Titles)
			pi.titles = sorted()
			start()
			add(p.Body)
			pi.body = sorted()
			info.parts = append(info.parts, pi)
		}
		start()
		var titles [][]int32
		for _, t := range d.Titles {
			start()
			add([]string{t})
			toks := sorted()
			titles = append(titles, toks)
			info.titles = append(info.titles, len(ix.subs))
			ix.subs = append(ix.subs, sub{doc: int32(i), title: true, tokens: toks})
		}
		start()
		add(d.Body)
		for _, p := range info.parts {
			union(p.titles, p.body)
		}
		btoks := sorted()
		info.body = len(ix.subs)
		ix.subs = append(ix.subs, sub{doc: int32(i), tokens: btoks})
		// The doc's tokens, for their document frequencies.
		union(titles...)
		for _, t := range set {
			df[t]++
		}
		ix.docs = append(ix.docs, info)
	}
	n := float64(len(docs))
	ix.idf = make([]float64, len(df))
	for t, f := range df {
		ix.idf[t] = idf(n, float64(f))
	}
	ix.idfUnknown = idf(n, 1)
	ix.common = make([]bool, len(df))
	if len(docs) >= commonDocs {
		for t, f := range df {
			ix.common[t] = 2*f > len(docs)
		}
	}
	ix.post = make([][]posting, len(ix.kind))
	counts := make([]int, len(ix.kind))
	bodies, bodyLen := 0, 0
	for _, s := range ix.subs {
		for _, t := range s.tokens {
			counts[t]++
		}
		if !s.title {
			bodies++
			bodyLen += len(s.tokens)
		}
	}
	for t, c := range counts {
		ix.post[t] = make([]posting, 0, c)
	}
	avg := max(1, float64(bodyLen)/float64(max(1, bodies)))
	for s := range ix.subs {
		sb := &ix.subs[s]
		sb.factor = 1
		if !sb.title {
			sb.factor = (1 + bm25K1) / (1 + bm25K1*(1-bm25B+bm25B*float64(len(sb.tokens))/avg))
		}
		for _, t := range sb.tokens {
			p := posting{int32(s), sb.doc, sb.factor}
			if !sb.title {
				p.sub = -1
			}
			ix.post[t] = append(ix.post[t], p)
			sb.weight += kindWeight[ix.kind[t]] * ix.idf[t]
		}
	}
	ix.pool.New = func() any { return ix.newScratch() }
	ix.calibrate(docs)
	return ix
}

func clone(s string) string { return string([]byte(s)) }

// idf is the inverse document frequency of a token in f of n documents
// (BM25's, which stays positive).
func idf(n, f float64) float64 { return math.Log(1 + (n-f+0.5)/(f+0.5)) }

// stem is a word's Porter2 stem, remembered for the texts' words.
func (ix *Index) stem(w string) string {
	if s, ok := ix.stems[w]; ok {
		return s
	}
	return plainStem(w)
}

// addWords remembers the English words of a text: their stems, and the
// words for typo correction.
func (ix *Index) addWords(text string) {
	start := -1
	for i := 0; i <= len(text); i++ {
		if i < len(text) && text[i] >= 'a' && text[i] <= 'z' {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 && (i == len(text) || text[i] == ' ' || text[i] < 0x80) {
			ix.addWord(text[start:i])
		}
		start = -1
	}
}

func (ix *Index) addWord(w string) {
	if _, ok := ix.stems[w]; ok {
		return
	}
	w = clone(w)
	ix.stems[w] = plainStem(w)
	if len(w) < 4 || isStopWord(w) {
		return
	}
	ix.words[w] = append(ix.words[w], w)
	for i := range w {
		d := w[:i] + w[i+1:]
		if !slices.Contains(ix.words[d], w) {
			ix.words[d] = append(ix.words[d], w)
		}
	}
}

func isASCIILower(w string) bool {
	for i := 0; i < len(w); i++ {
		if w[i] < 'a' || w[i] > 'z' {
			return false
		}
	}
	return true
}

// Len is the number of docs indexed.
func (ix *Index) Len() int { return len(ix.docs) }

// Tokens is the number of distinct tokens, for sizing.
func (ix *Index) Tokens() int { return len(ix.kind) }

// corrections are the indexed English words one edit (an insertion,
// deletion, substitution or swap of neighbours) away from w.
func (ix *Index) corrections(w string) []string {
	if len(w) < 4 || !isASCIILower(w) {
		return nil
	}
	var out []string
	try := func(k string) {
		for _, v := range ix.words[k] {
			if v != w && !slices.Contains(out, v) && WithinOneEdit(w, v) {
				out = append(out, v)
			}
		}
	}
	try(w)
	for i := range w {
		try(w[:i] + w[i+1:])
	}
	return out
}

// WithinOneEdit reports whether a and b differ by at most one insertion,
// deletion, substitution or swap of neighbours.
func WithinOneEdit(a, b string) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	if len(b)-len(a) > 1 {
		return false
	}
	i := 0
	for i < len(a) && a[i] == b[i] {
		i++
	}
	if i == len(a) {
		return true
	}
	if len(a) == len(b) {
		if a[i+1:] == b[i+1:] {
			return true
		}
		return i+1 < len(a) && a[i] == b[i+1] && a[i+1] == b[i] && a[i+2:] == b[i+2:]
	}
	return a[i:] == b[i+1:]
}

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

func (ix *Index) search(sc *scratch, q *Query, k int) []Hit {
	if q.weight <= 0 {
		return nil
	}
	for pi := range q.pieces {
		p := &q.pieces[pi]
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
			if p.kind != kindChar {
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
	nDocs := len(sc.anyDocs)
	cands := sc.anyDocs
	if len(cands) > preselect {
		cands = topDocs(sc.top[:0], cands, sc.docTotal)
		sc.top = cands
	}
	hits := sc.hits[:0]
	for _, d := range cands {
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
		hits = append(hits, h)
	}
	for _, s := range sc.anySubs {
		sc.subTotal[s], sc.subAny[s] = 0, false
	}
	for _, d := range sc.anyDocs {
		sc.docTotal[d], sc.docStrong[d], sc.docAny[d] = 0, 0, false
	}
	sc.anySubs, sc.anyDocs = sc.anySubs[:0], sc.anyDocs[:0]
	sc.hits = hits
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
	for i := range out {
		h := &out[i]
		if i+1 < len(out) {
			h.Margin = h.Score - out[i+1].Score
			h.NextCover = out[i+1].Cover
		} else {
			h.Margin = h.Score
		}
		h.PartCover = h.Cover
		if i < partHits {
			h.Part, h.PartCover = ix.part(sc, q, h)
		}
		h.KeyCover = ix.keyCover(q, h.Doc)
		h.Docs = nDocs
		h.Conf = ix.confidence(h.Features)
	}
	return out
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

// confidence is how sure the index is that a doc with these features is
// what the query asks: a logistic model of the features, fit on labelled
// messages to FAQs of the project's own (see calibrate_test.go in package
// bot), moved so that 0.5, the rules' threshold, is the FAQ's cut (see
// calibrate).
func (ix *Index) confidence(f Features) float64 {
	z := confBias +
		confCover*f.Cover + confTitleCover*f.TitleCover + confTitleRecall*f.TitleRecall +
		confMargin*f.Margin + confUnknown*f.Unknown + confPartCover*f.PartCover +
		confWeight*math.Log1p(f.Weight) + confUnknownWords*float64(min(3, f.UnknownWords))
	p := 1 / (1 + math.Exp(-(z - ix.cutLogit)))
	if f.StrongCover == 0 {
		// Single characters alone ("怎么用" and an entry with 用) say
		// too little to answer with.
		p *= 0.2
	}
	return p
}

// The confidence model's coefficients.
const (
	confCover        = 1.351
	confTitleCover   = 1.539
	confTitleRecall  = 0.352
	confMargin       = 1.128
	confUnknown      = -0.551
	confPartCover    = 0.975
	confWeight       = 1.049
	confUnknownWords = -0.166
	confBias         = -2.722
)

// An FAQ's cut is the model's probability above which the index answers.
// How sure the model is of a near miss, a question in the FAQ's field
// that it does not answer, differs from FAQ to FAQ (with how alike its
// entries are), so each FAQ sets its own: the confidence the best other
// entry gets for an entry's question, with the entry left out, is what a
// near miss gets; the cut is a quantile of those. A small FAQ, too small
// to tell, takes fixedCut. The quantile and fixedCut keep about one in
// ten out-of-scope messages of the tuning FAQs answered.
const (
	cutQuantile = 0.7
	fixedCut    = 0.710
	cutMinDocs  = 8   // fewer docs: fixedCut
	cutSample   = 200 // questions asked at most
)

// calibrate sets the FAQ's cut.
func (ix *Index) calibrate(docs []Doc) {
	cut := fixedCut
	if len(docs) >= cutMinDocs {
		var probs []float64
		step := max(1, len(docs)/cutSample)
		for i := 0; i < len(docs); i += step {
			for _, t := range docs[i].Titles {
				for _, h := range ix.Find(t, 6) {
					if h.Doc != i {
						probs = append(probs, h.Conf)
						break
					}
				}
			}
		}
		if len(probs) > 0 {
			slices.Sort(probs)
			cut = probs[min(len(probs)-1, int(cutQuantile*float64(len(probs))))]
			cut = min(max(cut, 0.05), 0.95)
		}
	}
	ix.cutLogit = math.Log(cut / (1 - cut))
}

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
