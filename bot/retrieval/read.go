package retrieval

import (
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/kljensen/snowball/english"
)

// A text is read into pieces, each one thing it says with the tokens that
// may stand for it. From its normalised form (lower case, simplified
// Chinese, punctuation as spaces):
//
//   - Chinese: a synonym group's member whole ("多长时间": itself, or its
//     group); every other pair of neighbouring characters ("核验", or its
//     toneless pinyin "he yan", so that a homophone typo such as 和验
//     still meets it), except pairs with a particle ("么用" of "怎么用");
//     and every single character that is not a function word;
//   - Latin words: a synonym group's member whole ("how long", "log in");
//     other words by their Porter2 stems without stop words, and in a
//     message a word the FAQ does not have by its typo corrections or,
//     when it reads as pinyin ("shenhe"), by its syllable pairs;
//   - numbers, as written ("24").
//
// An indexed text has every token of its pieces.
type kind byte

const (
	kindPair   kind = iota // two Chinese characters
	kindChar               // one Chinese character
	kindPinyin             // two syllables
	kindWord               // an English stem
	kindNumber             // digits
	kindPhrase             // a synonym group's member, as written
	kindSyn                // a synonym group
	kinds
)

// kindWeight is how much a token of each kind says about a match.
var kindWeight = [kinds]float64{kindPair: 1, kindChar: 0.3, kindPinyin: 0.8, kindWord: 1, kindNumber: 0.5, kindPhrase: 1, kindSyn: 1}

// Stand-ins, by how good they are: another member of a word's synonym
// group, a Chinese pair's pinyin, a word's typo correction.
const (
	synWeight    = 0.85
	pinyinWeight = 0.7
	typoWeight   = 0.7
)

// key names a token: a string (a substring of the text, or a stem) or,
// for pinyin pairs and synonym groups, a number.
type key struct {
	kind kind
	s    string
	n    uint32
}

// alt is a token that stands for a piece, and how well.
type alt struct {
	key
	w float64
}

// stopChars are Chinese function characters: they say nothing on their own.
const stopChars = "的了吗呢啊吧呀么是在我你您他她它们这那有和与或就都也还又很太要会能可以怎么什么如何为哪请问一下个些嘛哦哈呗啦喔噢嗯把被给让对从向到着过地得之其于以及而且并等该此每各某啥咋谁怎样办"

// particles are characters that only mark a sentence's mood or join
// words: a pair with one of them spans two words ("么用" of "怎么用").
const particles = "的了吗呢啊吧呀么嘛哦哈呗啦喔噢嗯啥咋"

// stopPairs are pairs of characters that only ask or point.
var stopPairs = map[string]bool{
	"怎么": true, "么办": true, "什么": true, "如何": true, "可以": true, "是不": true, "不是": true, "我的": true,
	"您的": true, "请问": true, "一下": true, "这个": true, "那个": true, "为什": true, "么我": true, "的话": true,
	"我们": true, "你们": true, "怎样": true, "咋办": true, "咋整": true, "是否": true, "能否": true, "哪里": true,
	"哪些": true, "在哪": true, "哪儿": true, "为啥": true, "干嘛": true,
}

// extraStopWords are English words that ask or point, beyond Porter's
// stop words.
var extraStopWords = map[string]bool{
	"how": true, "what": true, "why": true, "when": true, "where": true, "which": true, "who": true, "can": true,
	"could": true, "would": true, "should": true, "will": true, "shall": true, "may": true, "might": true, "must": true,
	"please": true, "pls": true, "plz": true, "hi": true, "hello": true, "thanks": true, "thank": true, "hey": true,
	"u": true, "ur": true, "im": true, "ive": true, "dont": true, "doesnt": true, "didnt": true, "cant": true, "wont": true,
	"isnt": true, "arent": true, "wasnt": true, "havent": true, "hasnt": true, "whats": true, "do": true, "does": true,
	"did": true, "want": true, "wanna": true, "gonna": true, "just": true, "still": true,
	"also": true, "really": true, "anyone": true, "someone": true, "something": true, "anything": true, "ok": true, "okay": true,
	"guys": true, "yall": true, "lol": true, "thx": true, "now": true, "help": true,
}

// charSet holds characters of the CJK block as bits, for a lookup per
// character.
type charSet [(cjkHi - cjkLo + 64) / 64]uint64

// charSets are stopChars and particles as charSets, made once.
var charSets = sync.OnceValue(func() *[2]charSet {
	var sets [2]charSet
	for i, chars := range []string{stopChars, particles} {
		for _, r := range chars {
			if r >= cjkLo && r <= cjkHi {
				sets[i][(r-cjkLo)/64] |= 1 << ((r - cjkLo) % 64)
			}
		}
	}
	return &sets
})

func (s *charSet) has(r rune) bool {
	return r >= cjkLo && r <= cjkHi && s[(r-cjkLo)/64]&(1<<((r-cjkLo)%64)) != 0
}

func isStopWord(w string) bool { return extraStopWords[w] || english.IsStopWord(w) }

func isHan(r rune) bool { return r >= 0x3400 && unicode.Is(unicode.Han, r) }

// pieceSink receives a text's pieces: alts[0] is the piece itself.
type pieceSink func(k kind, alts []alt)

// reader reads texts into pieces; one reads one text at a time.
type reader struct {
	ix    *Index
	stop  *charSet
	part  *charSet // particles
	query bool     // a message, not an indexed text
	runes []int
	words []string
	stems []string
	syls  [][]uint16
	alts  []alt
}

// read reads normalised text into sink.
func (rd *reader) read(text string, sink pieceSink) {
	if rd.stop == nil {
		sets := charSets()
		rd.stop, rd.part = &sets[0], &sets[1]
	}
	rd.words, rd.stems = rd.words[:0], rd.stems[:0]
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		switch {
		case r == ' ':
			i += size
		case isHan(r):
			j := i + size
			for j < len(text) {
				r2, n := utf8.DecodeRuneInString(text[j:])
				if !isHan(r2) {
					break
				}
				j += n
			}
			rd.flushWords(sink)
			rd.readHan(text[i:j], sink)
			i = j
		case r >= '0' && r <= '9':
			j := i + 1
			for j < len(text) && text[j] >= '0' && text[j] <= '9' {
				j++
			}
			rd.flushWords(sink)
			sink(kindNumber, rd.one(key{kind: kindNumber, s: text[i:j]}))
			i = j
		default:
			j := i + size
			for j < len(text) {
				r2, n := utf8.DecodeRuneInString(text[j:])
				if r2 == ' ' || isHan(r2) || r2 >= '0' && r2 <= '9' {
					break
				}
				j += n
			}
			rd.words = append(rd.words, text[i:j])
			i = j
		}
	}
	rd.flushWords(sink)
}

// one is a piece of a single token.
func (rd *reader) one(k key) []alt {
	rd.alts = append(rd.alts[:0], alt{k, 1})
	return rd.alts
}

// readHan reads a run of Chinese characters.
func (rd *reader) readHan(run string, sink pieceSink) {
	rd.runes = rd.runes[:0]
	for i := range run {
		rd.runes = append(rd.runes, i)
	}
	n := len(rd.runes)
	at := func(i int) int { // byte offset of rune i, len(run) for n
		if i >= n {
			return len(run)
		}
		return rd.runes[i]
	}
	// member[i] is 1 + the end rune of the member rune i is in, 0 for none.
	var inMember [64]int
	member := inMember[:0]
	if n > len(inMember) {
		member = make([]int, 0, n)
	}
	member = member[:n]
	clear(member)
	syn := rd.ix.syn
	for i := 0; i < n; {
		m, g := syn.hanMember(run[at(i):])
		if m == "" {
			i++
			continue
		}
		end := i + utf8.RuneCountInString(m)
		for k := i; k < end && rd.query; k++ {
			// A message's member stands for its characters; an indexed
			// text keeps them too, for messages that use only some.
			member[k] = end + 1
		}
		rd.alts = append(rd.alts[:0], alt{key{kind: kindPhrase, s: m}, 1}, alt{key{kind: kindSyn, n: uint32(g)}, synWeight})
		sink(kindPhrase, rd.alts)
		i = end
	}
	py := rd.ix.py
	for i := 0; i < n; i++ {
		r, _ := utf8.DecodeRuneInString(run[at(i):])
		if member[i] == 0 && !rd.stop.has(r) {
			sink(kindChar, rd.one(key{kind: kindChar, s: run[at(i):at(i+1)]}))
		}
		if i+1 >= n || member[i] != 0 && member[i] == member[i+1] {
			continue
		}
		r2, _ := utf8.DecodeRuneInString(run[at(i+1):])
		pair := run[at(i):at(i+2)]
		if stopPairs[pair] || rd.stop.has(r) && rd.stop.has(r2) || rd.part.has(r) || rd.part.has(r2) {
			continue
		}
		rd.alts = append(rd.alts[:0], alt{key{kind: kindPair, s: pair}, 1})
		if a, b := py.index(r), py.index(r2); a > 0 && b > 0 {
			rd.alts = append(rd.alts, alt{key{kind: kindPinyin, n: pinyinKey(a, b)}, pinyinWeight})
		}
		sink(kindPair, rd.alts)
	}
}

// flushWords reads the run of Latin words gathered so far: the synonym
// members among them, then the other words, each by its stem or, in a
// message, when the FAQ does not have it, as pinyin or by its typo
// corrections.
func (rd *reader) flushWords(sink pieceSink) {
	words := rd.words
	if len(words) == 0 {
		return
	}
	rd.stemWords()
	var inMember [16]bool
	member := inMember[:0]
	if len(words) > len(inMember) {
		member = make([]bool, 0, len(words))
	}
	member = member[:len(words)]
	clear(member)
	rd.readWordMembers(member, sink)
	rd.segmentUnknown(member)
	rd.readOtherWords(member, sink)
	rd.words = rd.words[:0]
}

// stemWords sets the stems of the words.
func (rd *reader) stemWords() {
	rd.stems = rd.stems[:0]
	for _, w := range rd.words {
		rd.stems = append(rd.stems, rd.ix.stem(w))
	}
}

// readWordMembers reads the synonym members among the words, the longest
// at each place, and in a message marks their words as read.
func (rd *reader) readWordMembers(member []bool, sink pieceSink) {
	words, stems := rd.words, rd.stems
	for i := 0; i < len(words); {
		m, phrase, g := rd.ix.syn.wordMember(stems[i:])
		if m == 0 {
			i++
			continue
		}
		rd.alts = append(rd.alts[:0], alt{key{kind: kindPhrase, s: phrase}, 1}, alt{key{kind: kindSyn, n: uint32(g)}, synWeight})
		sink(kindPhrase, rd.alts)
		for k := i; k < i+m; k++ {
			member[k] = rd.query // as for Chinese members
		}
		i += m
	}
}

// segmentUnknown sets the syllables of the words of a message that no
// member has read, that are not stop words and that the FAQ does not
// have: none for other words, and for those that do not read as pinyin.
func (rd *reader) segmentUnknown(member []bool) {
	syls := rd.syls[:0]
	for i, w := range rd.words {
		var syl []uint16
		if rd.query && !member[i] && !isStopWord(w) {
			if _, known := rd.ix.voc.get(key{kind: kindWord, s: rd.stems[i]}); !known {
				syl = rd.ix.py.segmentIndexes(w)
			}
		}
		syls = append(syls, syl)
	}
	rd.syls = syls
}

// pinyinAt reports whether word i is read as pinyin. Words the FAQ does
// not have are, when they read as several syllables ("shenhe"), or as
// one next to such a word or another syllable ("mi ma", "zenme ban").
func (rd *reader) pinyinAt(i int) bool {
	syls := rd.syls
	if i < 0 || i >= len(syls) || len(syls[i]) == 0 {
		return false
	}
	return len(syls[i]) >= 2 || i > 0 && len(syls[i-1]) > 0 || i+1 < len(syls) && len(syls[i+1]) > 0
}

// readOtherWords reads the words that no member has read and that are not
// stop words: by their stems, or in a message, when the FAQ does not have
// one, as pinyin or by its typo corrections.
func (rd *reader) readOtherWords(member []bool, sink pieceSink) {
	var lastSyl uint16 // a syllable typed apart: pairs go on across words
	for i, w := range rd.words {
		if member[i] || isStopWord(w) {
			lastSyl = 0
			continue
		}
		word := key{kind: kindWord, s: rd.stems[i]}
		if !rd.query {
			sink(kindWord, rd.one(word))
			continue
		}
		if _, known := rd.ix.voc.get(word); known {
			lastSyl = 0
			sink(kindWord, rd.one(word))
			continue
		}
		if rd.pinyinAt(i) {
			lastSyl = rd.readPinyin(rd.syls[i], lastSyl, sink)
			continue
		}
		lastSyl = 0
		rd.readCorrected(w, word, sink)
	}
}

// readPinyin reads a word's syllables as pairs, the first with prev, the
// last syllable of the word before when that was typed apart (0 for
// none), and returns what the next word's first syllable pairs with.
func (rd *reader) readPinyin(syl []uint16, prev uint16, sink pieceSink) uint16 {
	for _, s := range syl {
		if k := pinyinKey(prev, s); prev > 0 && !rd.ix.stopPinyin[k] {
			rd.alts = append(rd.alts[:0], alt{key{kind: kindPinyin, n: k}, 1})
			if g, ok := rd.ix.synPinyin[k]; ok {
				rd.alts = append(rd.alts, alt{key{kind: kindSyn, n: uint32(g)}, synWeight})
			}
			sink(kindPinyin, rd.alts)
		}
		prev = s
	}
	// Syllables typed apart ("mi ma") pair across words; a word of
	// several ("mima wangle") is a word of its own.
	if len(syl) == 1 {
		return prev
	}
	return 0
}

// readCorrected reads word w, which the FAQ does not have, with its typo
// corrections and their synonym groups as stand-ins.
func (rd *reader) readCorrected(w string, word key, sink pieceSink) {
	rd.alts = append(rd.alts[:0], alt{word, 1})
	for _, fix := range rd.ix.corrections(w) {
		fs := rd.ix.stem(fix)
		rd.alts = append(rd.alts, alt{key{kind: kindWord, s: fs}, typoWeight})
		if g, ok := rd.ix.syn.words1[fs]; ok {
			rd.alts = append(rd.alts, alt{key{kind: kindSyn, n: uint32(g)}, typoWeight * synWeight})
		}
	}
	sink(kindWord, rd.alts)
}

func pinyinKey(a, b uint16) uint32 { return uint32(a)<<16 | uint32(b) }
