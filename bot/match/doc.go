// Package match reads what users write and finds what in the FAQ it asks:
// the normaliser (NFKC, traditional to simplified with OpenCC's tables,
// case and width folded), the compiled intent rules (an Aho-Corasick
// automaton over their terms), the retrieval index over every entry, step
// and case (bot/retrieval), and the decision between them: an intent with
// its confidence, a clarify between close ones, or none.
//
//	normalize.go, convert.go  the normaliser and the conversion tables
//	ac.go                     the automaton
//	matcher.go, compile.go    the Matcher and how the rules compile into it
//	classify.go, decide.go    classifying a message, deciding on an answer
//	words.go, docs.go         language and words; the index's documents
package match
