// Package retrieval finds the FAQ entry, and the step or case of it, that
// a message asks about, with no rule written for it. It owns an inverted
// index of the entries' questions, other phrasings and answers, in Chinese
// character pairs and their pinyin, English stems, synonyms and numbers;
// scores the entries by how much of the message each explains and how
// much of its question the message says; and says how sure it is, with a
// confidence fit on labelled messages. Texts come in normalised (see
// bot/match's Normalizer).
//
// The files, by what they do:
//   - index.go: the index's types, and Build: the docs' tokens, their
//     weights and postings;
//   - read.go: reading a text into pieces and the tokens that stand for them;
//   - words.go: the FAQ's English words, their stems and typo corrections;
//   - pinyin.go, synonyms.go: the tables of pinyin.txt and synonyms.txt;
//   - query.go: reading a message for a search, and Explain;
//   - search.go: Find, the docs with the most of a message and their features;
//   - parts.go: the step or case of a doc that a message asks about;
//   - confidence.go: the confidence model and each FAQ's cut.
package retrieval
