package retrieval

import "slices"

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
