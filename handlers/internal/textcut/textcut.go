// Package textcut cuts text to a platform's limits without breaking it:
// never inside a character, and for markup never inside a <link> or an
// &entity;.
package textcut

import (
	"strings"
	"unicode/utf8"
)

// Split cuts s into pieces of at most max bytes, at a line break where it
// can (the line breaks at the cuts are dropped), never inside a character;
// with markup, never inside a <...> or an &...; either. An empty s is no
// piece.
func Split(s string, max int, markup bool) []string {
	var out []string
	for len(s) > max {
		cut := strings.LastIndex(s[:max], "\n")
		if cut <= 0 {
			cut = max
			for cut > 0 && !utf8.RuneStart(s[cut]) {
				cut--
			}
			if markup {
				cut = outsideMarkup(s, cut)
			}
		}
		out = append(out, strings.TrimRight(s[:cut], "\n"))
		s = strings.TrimLeft(s[cut:], "\n")
	}
	if s = strings.TrimRight(s, "\n"); s != "" {
		out = append(out, s)
	}
	return out
}

// outsideMarkup moves cut back to the start of a <...> or &...; it falls
// inside.
func outsideMarkup(s string, cut int) int {
	if lt := strings.LastIndex(s[:cut], "<"); lt > 0 && lt > strings.LastIndex(s[:cut], ">") {
		cut = lt
	}
	if amp := strings.LastIndex(s[:cut], "&"); amp > 0 && amp > strings.LastIndex(s[:cut], ";") {
		cut = amp
	}
	return cut
}

// Truncate cuts s to at most max characters, the last an ellipsis when
// anything was cut.
func Truncate(s string, max int) string {
	if len(s) <= max { // bytes: at most max runes
		return s
	}
	n := 0
	for i := range s {
		if n == max-1 {
			if utf8.RuneCountInString(s[i:]) <= 1 {
				return s
			}
			return s[:i] + "…"
		}
		n++
	}
	return s
}
