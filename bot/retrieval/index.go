package retrieval

import (
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
	ix := newIndex(synonyms)
	df := ix.addDocs(docs)
	ix.weighTokens(df, len(docs))
	ix.addPostings()
	ix.pool.New = func() any { return ix.newScratch() }
	ix.calibrate(docs)
	return ix
}

// newIndex is an index of no docs, with the tables it reads texts by.
func newIndex(synonyms [][]string) *Index {
	ix := &Index{py: loadPinyin(), voc: newVocab(), words: map[string][]string{}, stems: map[string]string{}}
	ix.syn = synonymsFor(synonyms)
	ix.stopPinyin = stopPairsPinyin(ix.py)
	ix.synPinyin = synonymsPinyin(ix.py, ix.syn)
	return ix
}

// stopPairsPinyin are the readings of stopPairs.
func stopPairsPinyin(py *pinyinTable) map[uint32]bool {
	out := map[uint32]bool{}
	for pair := range stopPairs {
		rs := []rune(pair)
		if a, b := py.index(rs[0]), py.index(rs[1]); a > 0 && b > 0 {
			out[pinyinKey(a, b)] = true
		}
	}
	return out
}

// synonymsPinyin are the readings of the Chinese members of two
// characters, to their groups: such a member is a member in pinyin too
// ("duo jiu", 多久).
func synonymsPinyin(py *pinyinTable, syn *synonymTable) map[uint32]int32 {
	out := map[uint32]int32{}
	for _, ms := range syn.han {
		for _, m := range ms {
			if rs := []rune(m.text); len(rs) == 2 {
				if a, b := py.index(rs[0]), py.index(rs[1]); a > 0 && b > 0 {
					if _, dup := out[pinyinKey(a, b)]; !dup {
						out[pinyinKey(a, b)] = m.group
					}
				}
			}
		}
	}
	return out
}

// addDocs adds the docs and their subs, numbering the tokens as they
// come, and returns each token's document frequency.
func (ix *Index) addDocs(docs []Doc) []int {
	g := &gatherer{ix: ix, rd: reader{ix: ix}}
	for i, d := range docs {
		ix.docs = append(ix.docs, g.doc(int32(i), d))
	}
	return g.df
}

// addSub adds s and returns its number.
func (ix *Index) addSub(s sub) int {
	ix.subs = append(ix.subs, s)
	return len(ix.subs) - 1
}

// gatherer reads texts into sets of tokens, giving the tokens it meets
// first their numbers, and counts the docs that have each token.
type gatherer struct {
	ix *Index
	rd reader
	df []int // per token
	// mark[t] == gen: token t is in the set being gathered.
	mark []uint32
	gen  uint32
	set  []int32
}

// doc gathers the tokens of doc i: those of its steps and cases, then a
// sub for each phrasing of its question and one for its answer, which
// has the steps' and cases' tokens too; and counts the doc in the
// document frequencies of all of them.
func (g *gatherer) doc(i int32, d Doc) docInfo {
	var info docInfo
	for _, p := range d.Parts {
		info.parts = append(info.parts, g.part(p))
	}
	var titles [][]int32
	for _, t := range d.Titles {
		toks := g.tokensOf(t)
		titles = append(titles, toks)
		info.titles = append(info.titles, g.ix.addSub(sub{doc: i, title: true, tokens: toks}))
	}
	g.start()
	g.add(d.Body...)
	for _, p := range info.parts {
		g.union(p.titles, p.body)
	}
	info.body = g.ix.addSub(sub{doc: i, tokens: g.sorted()})
	// With its phrasings', the answer's tokens are the doc's.
	g.union(titles...)
	for _, t := range g.set {
		g.df[t]++
	}
	return info
}

// part gathers the tokens of a step or case.
func (g *gatherer) part(p Part) partInfo {
	var pi partInfo
	pi.titles = g.tokensOf(p.Titles...)
	pi.body = g.tokensOf(p.Body...)
	return pi
}

// tokensOf is the sorted set of the tokens of texts.
func (g *gatherer) tokensOf(texts ...string) []int32 {
	g.start()
	g.add(texts...)
	return g.sorted()
}

// start begins a new set.
func (g *gatherer) start() { g.gen++; g.set = g.set[:0] }

// add reads texts into the set, and remembers their English words.
func (g *gatherer) add(texts ...string) {
	for _, t := range texts {
		g.ix.addWords(t)
		g.rd.read(t, g.take)
	}
}

// take puts the tokens of a piece into the set, numbering the new ones.
func (g *gatherer) take(_ kind, alts []alt) {
	ix := g.ix
	for _, a := range alts {
		t, ok := ix.voc.get(a.key)
		if !ok {
			t = int32(len(ix.kind))
			k := a.key
			k.s = clone(k.s) // not a piece of a text, kept alive with it
			ix.voc.put(k, t)
			ix.kind = append(ix.kind, k.kind)
			g.df = append(g.df, 0)
			g.mark = append(g.mark, 0)
		}
		g.include(t)
	}
}

// union puts the tokens of sets into the set.
func (g *gatherer) union(sets ...[]int32) {
	for _, ts := range sets {
		for _, t := range ts {
			g.include(t)
		}
	}
}

func (g *gatherer) include(t int32) {
	if g.mark[t] != g.gen {
		g.mark[t] = g.gen
		g.set = append(g.set, t)
	}
}

// sorted is a sorted copy of the set.
func (g *gatherer) sorted() []int32 {
	out := slices.Clone(g.set)
	slices.Sort(out)
	return out
}

// weighTokens sets the tokens' inverse document frequencies, that of a
// token no doc has, and, in a large FAQ, which tokens are common.
func (ix *Index) weighTokens(df []int, docs int) {
	n := float64(docs)
	ix.idf = make([]float64, len(df))
	for t, f := range df {
		ix.idf[t] = idf(n, float64(f))
	}
	ix.idfUnknown = idf(n, 1)
	ix.common = make([]bool, len(df))
	if docs >= commonDocs {
		for t, f := range df {
			ix.common[t] = 2*f > docs
		}
	}
}

// addPostings lists, for each token, the subs that have it, and sets
// each sub's factor and weight.
func (ix *Index) addPostings() {
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
}

func clone(s string) string { return string([]byte(s)) }

// idf is the inverse document frequency of a token in f of n documents
// (BM25's, which stays positive).
func idf(n, f float64) float64 { return math.Log(1 + (n-f+0.5)/(f+0.5)) }

// Len is the number of docs indexed.
func (ix *Index) Len() int { return len(ix.docs) }

// Tokens is the number of distinct tokens, for sizing.
func (ix *Index) Tokens() int { return len(ix.kind) }
