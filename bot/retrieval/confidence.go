package retrieval

import (
	"math"
	"slices"
)

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
