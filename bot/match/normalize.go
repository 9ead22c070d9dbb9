package match

import (
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Normalizer folds the ways people write one thing into one form: NFKC
// (full-width letters and digits), traditional to simplified Chinese
// (OpenCC's t2s: 簡訊 -> 简讯), lower case, apostrophes dropped, other
// punctuation and emoji to single spaces, and no spaces between Chinese
// characters. It is safe for concurrent use.
type Normalizer struct {
	// s2t remembers conversions to traditional characters (s2tw): answers
	// are made of the same FAQ sentences again and again. When it holds
	// s2tCacheSize of them it starts again empty, so spans said once (a
	// number's verdict) do not keep their places for good.
	s2t atomic.Pointer[s2tCache]
	// trad marks the runes in [hanLo, hanHi] that the conversion changes,
	// so that most messages skip the (slower) converter.
	trad []uint64
}

// s2tCache is one generation of Normalizer's conversions.
type s2tCache struct {
	m    sync.Map
	size atomic.Int32
}

const s2tCacheSize = 4096

// hanLo and hanHi bound the characters t2s converts one by one: from CJK
// Extension A to the supplementary planes' extensions (B and on: 354 of
// them, such as 𠁞), with the compatibility ideographs between. A bit each:
// 23 KB.
const hanLo, hanHi = 0x3400, 0x2FFFF

// NewNormalizer indexes the t2s table (see convert.go) and marks the
// traditional characters.
func NewNormalizer() (*Normalizer, error) {
	n := &Normalizer{trad: make([]uint64, (hanHi-hanLo)/64+1)}
	markChanged(n.trad, &loadT2S().chars) // phrases are keyed by characters listed here too
	return n, nil
}

// markChanged sets the bits of the runes in [hanLo, hanHi] that the
// characters' table d maps to something else, going through its keys (a
// few thousand) rather than looking up every rune of the range (183,296).
func markChanged(bits []uint64, d *dictTable) {
	for i := range d.Len() {
		k, v := d.entry(i)
		r, size := utf8.DecodeRuneInString(k)
		if size != len(k) || r < hanLo || r > hanHi || v == k {
			continue
		}
		bits[(r-hanLo)/64] |= 1 << ((r - hanLo) % 64)
	}
}

func (n *Normalizer) isTrad(r rune) bool {
	return r >= hanLo && r <= hanHi && n.trad[(r-hanLo)/64]&(1<<((r-hanLo)%64)) != 0
}

// HasTraditional reports whether s has a character that only traditional
// Chinese uses.
func (n *Normalizer) HasTraditional(s string) bool {
	for _, r := range s {
		if n.isTrad(r) {
			return true
		}
	}
	return false
}

// ToTraditional converts simplified Chinese to traditional characters
// (Taiwan standard, without phrase rewriting, which would change the FAQ's
// terms): OpenCC's s2tw, from the table in s2tw.txt.
func (n *Normalizer) ToTraditional(s string) string {
	if s == "" {
		return s
	}
	c := n.s2t.Load()
	if c != nil {
		if v, ok := c.m.Load(s); ok {
			return v.(string)
		}
	}
	out := s2tw(s)
	if c == nil || c.size.Add(1) > s2tCacheSize {
		c = &s2tCache{}
		n.s2t.Store(c) // concurrent stores: one of the new caches wins
	}
	c.m.Store(s, out)
	return out
}

// Normalize returns the matching form of s.
func (n *Normalizer) Normalize(s string) string {
	s = NFKC(s)
	for _, r := range s {
		if n.isTrad(r) {
			s = t2s(s)
			break
		}
	}
	return fold(s)
}

// NFKC applies NFKC unless s is plain ASCII.
func NFKC(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return norm.NFKC.String(s)
		}
	}
	return s
}

func IsHan(r rune) bool {
	return unicode.Is(unicode.Han, r)
}

// fold lower-cases, drops apostrophes, turns other non-letters into single
// spaces and removes spaces between Chinese characters.
func fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false   // a space is pending
	lastHan := false // the last rune written was Chinese
	for _, r := range s {
		switch {
		case r == '\'' || r == '’' || r == '‘' || r == '`':
			continue
		case r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9'):
		case r >= 'A' && r <= 'Z':
			r += 'a' - 'A'
		case r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			r = unicode.ToLower(r)
		default:
			space = b.Len() > 0
			continue
		}
		han := IsHan(r)
		if space && !(han && lastHan) {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
		lastHan = han
	}
	return b.String()
}

// TruncateRunes cuts s to at most max runes.
func TruncateRunes(s string, max int) string {
	if max <= 0 || len(s) <= max {
		return s
	}
	i := 0
	for j := range s {
		if i == max {
			return s[:j]
		}
		i++
	}
	return s
}
