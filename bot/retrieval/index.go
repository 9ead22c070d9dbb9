// Package retrieval finds the FAQ entry, and the step or case of it, that
// a message asks about, with no rule written for it: an inverted index of
// the entries' questions, other phrasings and answers, in Chinese
// character pairs and their pinyin, English stems and numbers, scored by
// how much of the message an entry explains and how much of its question
// the message says. Texts come in normalised (see bot.Normalizer).
package retrieval

import (
	"fmt"
	"math"
	"slices"
	"sort"
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
	py    *pinyinTable
	syn   *synonymTable
	vocab map[string]int32
	idf   []float64
	kinds []kind
	post  [][]int32 // token -> subs that have it
	subs  []sub
	docs  []docInfo
	// words are the English words of the texts, for typo correction:
	// each word and each of its one-letter deletions, to the words.
	words      map[string][]string
	idfUnknown float64
	pool       sync.Pool
}

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

// Field weights and BM25's length normalisation for answer texts.
const (
	bodyWeight = 1.0
	bm25K1     = 1.2
	bm25B      = 0.75
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
	ix := &Index{py: loadPinyin(), syn: newSynonymTable(synonyms), vocab: map[string]int32{}, words: map[string][]string{}}
	df := []int{}
	id := func(key string) int32 {
		if t, ok := ix.vocab[key]; ok {
			return t
		}
		t := int32(len(ix.kinds))
		ix.vocab[key] = t
		ix.kinds = append(ix.kinds, kind(key[0]-'0'))
		df = append(df, 0)
		return t
	}
	set := map[string]bool{}
	tokensOf := func(texts []string) []int32 {
		clear(set)
		for _, t := range texts {
			docTokens(t, ix.py, ix.syn, set)
			ix.addWords(t)
		}
		out := make([]int32, 0, len(set))
		for k := range set {
			out = append(out, id(k))
		}
		slices.Sort(out)
		return out
	}
	addSub := func(doc int, title bool, tokens []int32) int {
		ix.subs = append(ix.subs, sub{doc: int32(doc), title: title, tokens: tokens})
		return len(ix.subs) - 1
	}
	for i, d := range docs {
		var info docInfo
		seen := map[int32]bool{}
		for _, t := range d.Titles {
			toks := tokensOf([]string{t})
			info.titles = append(info.titles, addSub(i, true, toks))
			for _, k := range toks {
				seen[k] = true
			}
		}
		body := d.Body
		for _, p := range d.Parts {
			body = append(body[:len(body):len(body)], p.Body...)
			body = append(body, p.Titles...)
		}
		btoks := tokensOf(body)
		info.body = addSub(i, false, btoks)
		for _, k := range btoks {
			seen[k] = true
		}
		for k := range seen {
			df[k]++
		}
		for _, p := range d.Parts {
			info.parts = append(info.parts, partInfo{titles: tokensOf(p.Titles), body: tokensOf(p.Body)})
		}
		ix.docs = append(ix.docs, info)
	}
	n := float64(len(docs))
	ix.idf = make([]float64, len(df))
	for t, f := range df {
		ix.idf[t] = idf(n, float64(f))
	}
	ix.idfUnknown = idf(n, 1)
	ix.post = make([][]int32, len(ix.kinds))
	bodies, bodyLen := 0, 0
	for _, s := range ix.subs {
		if !s.title {
			bodies++
			bodyLen += len(s.tokens)
		}
	}
	avg := max(1, float64(bodyLen)/float64(max(1, bodies)))
	for s := range ix.subs {
		sb := &ix.subs[s]
		sb.factor = 1
		if !sb.title {
			sb.factor = bodyWeight * (1 + bm25K1) / (1 + bm25K1*(1-bm25B+bm25B*float64(len(sb.tokens))/avg))
		}
	}
	for s := range ix.subs {
		for _, t := range ix.subs[s].tokens {
			ix.post[t] = append(ix.post[t], int32(s))
			ix.subs[s].weight += kindWeight[ix.kinds[t]] * ix.idf[t]
		}
	}
	ix.pool.New = func() any { return ix.newScratch() }
	return ix
}

// idf is the inverse document frequency of a token in f of n documents
// (BM25's, which stays positive).
func idf(n, f float64) float64 { return math.Log(1 + (n-f+0.5)/(f+0.5)) }

// addWords remembers the English words of a text, for typo correction.
func (ix *Index) addWords(text string) {
	for _, sp := range spans(text) {
		w := sp.text
		if sp.han || sp.digit || len(w) < 4 || isStopWord(w) || !isASCIILower(w) {
			continue
		}
		if _, ok := ix.words[w]; ok && slices.Contains(ix.words[w], w) {
			continue
		}
		ix.words[w] = append(ix.words[w], w)
		for i := range w {
			d := w[:i] + w[i+1:]
			if !slices.Contains(ix.words[d], w) {
				ix.words[d] = append(ix.words[d], w)
			}
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
func (ix *Index) Tokens() int { return len(ix.kinds) }

// scratch is one search's working memory.
type scratch struct {
	subCredit  []float64 // per sub, this piece's best
	subTotal   []float64
	docCredit  []float64
	docTotal   []float64
	subTouched []int32
	docTouched []int32
	subSeen    []bool
	docSeen    []bool
	subAny     []bool
	docAny     []bool
	anySubs    []int32
	anyDocs    []int32
}

func (ix *Index) newScratch() *scratch {
	return &scratch{
		subCredit: make([]float64, len(ix.subs)), subTotal: make([]float64, len(ix.subs)),
		docCredit: make([]float64, len(ix.docs)), docTotal: make([]float64, len(ix.docs)),
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
	// Score ranks the hits; Conf is the calibrated probability that the
	// doc is what the query asks about.
	Score, Conf float64
	Features
}

// Features describe how a doc meets a query.
type Features struct {
	// Cover is the share of the query (by weight) the doc has anywhere;
	// TitleCover the share one of its phrasings has; TitleRecall the
	// share of that phrasing the query says.
	Cover, TitleCover, TitleRecall float64
	// Margin is how far the doc's score is ahead of the next one's.
	Margin float64
	// Weight is the query's total weight: short queries say little.
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

// Query is a message read for searching: its pieces with their weights.
type Query struct {
	pieces  []qpiece
	weight  float64
	unknown float64 // of pieces nothing in the FAQ has
	// unknownWords counts the words among them.
	unknownWords int
}

// unknownWeight scales a piece that nothing in the FAQ has.
const unknownWeight = 0.5

type qpiece struct {
	alts   []qalt
	weight float64
}

type qalt struct {
	tok int32
	w   float64
}

// Read turns normalised text into a query.
func (ix *Index) Read(text string) Query {
	var q Query
	add := func(k kind, alts []alt) {
		qp := qpiece{}
		primary := -1.0
		for i, a := range alts {
			ak := k
			if a.kind != 0 {
				ak = a.kind
			}
			t, ok := ix.vocab[tokenKey(ak, a.key)]
			if i == 0 {
				primary = ix.idfUnknown
				if ok {
					primary = ix.idf[t]
				}
			}
			if ok {
				qp.alts = append(qp.alts, qalt{t, a.w})
			}
		}
		qp.weight = kindWeight[k] * primary
		if len(qp.alts) == 0 {
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
	}
	var words []string // the current run of words
	for _, sp := range spans(text) {
		if sp.han || sp.digit {
			ix.readWords(words, add)
			words = words[:0]
		}
		switch {
		case sp.han:
			ix.readHan([]rune(sp.text), add)
		case sp.digit:
			add(kindNumber, []alt{{key: sp.text, w: 1}})
		default:
			words = append(words, sp.text)
		}
	}
	ix.readWords(words, add)
	return q
}

// readHan reads a run of Chinese characters: synonym members whole, the
// other characters and pairs (with their pinyin, so that a homophone
// typo such as 和验 still meets 核验).
func (ix *Index) readHan(rs []rune, add func(kind, []alt)) {
	members := ix.syn.hanMembers(rs)
	in := make([]int, len(rs)) // 1 + the member a rune is in, 0 for none
	for mi, m := range members {
		for i := m.start; i < m.end; i++ {
			in[i] = mi + 1
		}
		add(kindPhrase, []alt{{key: m.member, w: 1}, {kind: kindSyn, key: synKey(m.group), w: synWeight}})
	}
	for i, r := range rs {
		if in[i] == 0 && !isStopChar(r) {
			add(kindChar, []alt{{key: string(r), w: 1}})
		}
		if i+1 >= len(rs) || in[i] != 0 && in[i] == in[i+1] {
			continue
		}
		pair := string(rs[i : i+2])
		if stopPairs[pair] || isStopChar(r) && isStopChar(rs[i+1]) {
			continue
		}
		alts := []alt{{key: pair, w: 1}}
		if a, b := ix.py.syllable(r), ix.py.syllable(rs[i+1]); a != "" && b != "" {
			alts = append(alts, alt{kind: kindPinyin, key: a + " " + b, w: 0.7})
		}
		add(kindPair, alts)
	}
}

// readWords reads a run of Latin words: synonym members whole; other
// words by their stems, with typo corrections for words the FAQ does not
// have, or as pinyin when they read as pinyin ("shenhe").
func (ix *Index) readWords(words []string, add func(kind, []alt)) {
	if len(words) == 0 {
		return
	}
	stems := make([]string, len(words))
	for i, w := range words {
		stems[i] = stem(w)
	}
	member := make([]bool, len(words))
	for _, m := range ix.syn.wordMembers(stems) {
		for i := m.start; i < m.end; i++ {
			member[i] = true
		}
		add(kindPhrase, []alt{{key: m.member, w: 1}, {kind: kindSyn, key: synKey(m.group), w: synWeight}})
	}
	lastSyl := "" // the last syllable of a word read as pinyin, to pair across words
	for i, w := range words {
		if member[i] || isStopWord(w) {
			lastSyl = ""
			continue
		}
		st := stems[i]
		if _, known := ix.vocab[tokenKey(kindWord, st)]; known {
			lastSyl = ""
			add(kindWord, []alt{{key: st, w: 1}})
			continue
		}
		syl := ix.py.segment(w)
		if len(syl) >= 2 || len(syl) == 1 && lastSyl != "" {
			if lastSyl != "" {
				syl = append([]string{lastSyl}, syl...)
			}
			for k := 0; k+1 < len(syl); k++ {
				add(kindPinyin, []alt{{key: syl[k] + " " + syl[k+1], w: 1}})
			}
			lastSyl = syl[len(syl)-1]
			continue
		}
		lastSyl = ""
		if len(syl) == 1 {
			lastSyl = syl[0]
		}
		alts := []alt{{key: st, w: 1}}
		for _, fix := range ix.corrections(w) {
			fs := stem(fix)
			alts = append(alts, alt{key: fs, w: 0.7})
			if g, ok := ix.syn.words[fs]; ok {
				alts = append(alts, alt{kind: kindSyn, key: synKey(g), w: 0.7 * synWeight})
			}
		}
		add(kindWord, alts)
	}
}

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

// Search returns up to k docs for the query, best first.
func (ix *Index) Search(q Query, k int) []Hit {
	if q.weight <= 0 || len(ix.docs) == 0 {
		return nil
	}
	sc := ix.pool.Get().(*scratch)
	defer ix.pool.Put(sc)
	for _, p := range q.pieces {
		for _, a := range p.alts {
			credit := p.weight * a.w
			for _, s := range ix.post[a.tok] {
				if !sc.subSeen[s] {
					sc.subSeen[s] = true
					sc.subTouched = append(sc.subTouched, s)
				}
				sc.subCredit[s] = max(sc.subCredit[s], credit)
				d := ix.subs[s].doc
				if !sc.docSeen[d] {
					sc.docSeen[d] = true
					sc.docTouched = append(sc.docTouched, d)
				}
				sc.docCredit[d] = max(sc.docCredit[d], min(credit*ix.subs[s].factor, p.weight))
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
			sc.docCredit[d], sc.docSeen[d] = 0, false
			if !sc.docAny[d] {
				sc.docAny[d] = true
				sc.anyDocs = append(sc.anyDocs, d)
			}
		}
		sc.subTouched, sc.docTouched = sc.subTouched[:0], sc.docTouched[:0]
	}
	hits := make([]Hit, 0, len(sc.anyDocs))
	for _, d := range sc.anyDocs {
		h := Hit{Doc: int(d)}
		h.Cover = sc.docTotal[d] / q.weight
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
		h.Weight, h.Unknown, h.UnknownWords = q.weight, q.unknown/q.weight, q.unknownWords
		h.Score = score(h.Features)
		hits = append(hits, h)
	}
	for _, s := range sc.anySubs {
		sc.subTotal[s], sc.subAny[s] = 0, false
	}
	for _, d := range sc.anyDocs {
		sc.docTotal[d], sc.docAny[d] = 0, false
	}
	sc.anySubs, sc.anyDocs = sc.anySubs[:0], sc.anyDocs[:0]
	nDocs := len(hits)
	sort.Slice(hits, func(i, j int) bool {
		if hits[i].Score != hits[j].Score {
			return hits[i].Score > hits[j].Score
		}
		return hits[i].Doc < hits[j].Doc
	})
	if len(hits) > k {
		hits = hits[:k]
	}
	for i := range hits {
		next := 0.0
		if i+1 < len(hits) {
			next = hits[i+1].Score
		}
		hits[i].Margin = hits[i].Score - next
		hits[i].Part, hits[i].PartCover = ix.part(q, hits[i])
		hits[i].KeyCover = ix.keyCover(q, hits[i].Doc)
		hits[i].Docs = nDocs
		if i+1 < len(hits) {
			hits[i].NextCover = hits[i+1].Cover
		}
		hits[i].Conf = confidence(hits[i].Features, hits[i].Score)
	}
	return hits
}

// score ranks a doc for a query.
func score(f Features) float64 {
	return 0.5*f.Cover + 0.3*f.TitleCover + 0.2*f.TitleRecall
}

// confidence is how sure the index is that a doc with these features is
// what the query asks: a logistic model of the features, fit on labelled
// messages to FAQs of the project's own (see calibrate_test.go in package
// bot), with its bias moved so that 0.5, the rules' threshold, is where
// about one in ten out-of-scope messages of those sets gets an answer.
func confidence(f Features, _ float64) float64 {
	z := confBias +
		confCover*f.Cover + confTitleCover*f.TitleCover + confTitleRecall*f.TitleRecall +
		confMargin*f.Margin + confUnknown*f.Unknown + confPartCover*f.PartCover +
		confWeight*math.Log1p(f.Weight) + confUnknownWords*float64(min(3, f.UnknownWords))
	return 1 / (1 + math.Exp(-z))
}

// The confidence model's coefficients.
const (
	confCover        = 1.582
	confTitleCover   = 1.116
	confTitleRecall  = 0.087
	confMargin       = 1.046
	confUnknown      = -0.676
	confPartCover    = 1.113
	confWeight       = 0.838
	confUnknownWords = -0.106
	// The fit's bias, -2.96, less the logit of the probability (0.693)
	// at which one in ten out-of-scope messages got an answer.
	confBias = -2.96 - 0.815
)

// part picks the step or case of a hit that explains the query as well as
// the whole doc does and clearly better than its other parts; 0 if none.
func (ix *Index) part(q Query, h Hit) (int, float64) {
	d := &ix.docs[h.Doc]
	if len(d.parts) == 0 {
		return 0, h.Cover
	}
	var titles []int32
	for _, s := range d.titles {
		titles = append(titles, ix.subs[s].tokens...)
	}
	best, second, bestPart := 0.0, 0.0, 0
	bestUnion, maxUnion := 0.0, 0.0
	for i, p := range d.parts {
		union, own := 0.0, 0.0
		for _, qp := range q.pieces {
			inTitle, inPart := 0.0, 0.0
			for _, a := range qp.alts {
				if has(titles, a.tok) {
					inTitle = max(inTitle, a.w)
				}
				if has(p.titles, a.tok) || has(p.body, a.tok) {
					inPart = max(inPart, a.w)
				}
			}
			union += qp.weight * max(inTitle, inPart)
			if inPart > inTitle {
				own += qp.weight * (inPart - inTitle)
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

// keyPieces is how many of a query's heaviest pieces KeyCover looks at.
const keyPieces = 3

// keyCover is the share (by weight) of the query's heaviest pieces that
// doc d has anywhere.
func (ix *Index) keyCover(q Query, d int) float64 {
	var top [keyPieces]int // indexes into q.pieces, heaviest first
	n := 0
	for i, p := range q.pieces {
		j := min(n, keyPieces-1)
		if n < keyPieces {
			n++
		} else if p.weight <= q.pieces[top[j]].weight {
			continue
		}
		for j > 0 && q.pieces[top[j-1]].weight < p.weight {
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
		for _, a := range p.alts {
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

// Explain lists the query's pieces as the index reads them, each with its
// weight and the tokens that stand for it ("?" for none), for people
// tuning the knowledge.
func (ix *Index) Explain(q Query) []string {
	names := make([]string, len(ix.kinds))
	for k, t := range ix.vocab {
		names[t] = k[1:]
	}
	var out []string
	for _, p := range q.pieces {
		s := ""
		for i, a := range p.alts {
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
