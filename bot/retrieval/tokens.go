package retrieval

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kljensen/snowball/english"
)

// The tokens of a text, from its normalised form (lower case, simplified
// Chinese, punctuation as spaces):
//
//   - Chinese: every pair of neighbouring characters ("核验"), the
//     pair's toneless pinyin ("he yan", so that a homophone typo such as
//     和验 or a word typed in pinyin still meets it), and every single
//     character that is not a function word ("验");
//   - English and other Latin words: Porter2 stems ("verification" ->
//     "verif"), without stop words; a word that reads as pinyin
//     ("shenhe") gives its syllable pairs too;
//   - numbers, as written ("24").
//
// Kinds keep the token spaces apart in one vocabulary.
type kind byte

const (
	kindPair   kind = iota + 1 // two Chinese characters
	kindChar                   // one Chinese character
	kindPinyin                 // two syllables
	kindWord                   // an English stem
	kindNumber                 // digits
	kindPhrase                 // a synonym group's member, as written
	kindSyn                    // a synonym group
)

// kindWeight is how much a token of each kind says about a match.
var kindWeight = [...]float64{kindPair: 1, kindChar: 0.3, kindPinyin: 0.8, kindWord: 1, kindNumber: 0.5, kindPhrase: 1, kindSyn: 1}

// synWeight is how good a stand-in another member of a word's synonym
// group is.
const synWeight = 0.85

func tokenKey(k kind, s string) string { return string(rune('0'+k)) + s }

type alt struct {
	kind kind // 0: the piece's
	key  string
	w    float64 // in (0, 1]: how good a stand-in the token is
}

// stopChars are Chinese function characters: they say nothing on their own.
const stopChars = "的了吗呢啊吧呀么是在我你您他她它们这那有和与或就都也还又很太要会能可以怎么什么如何为哪请问一下个些吧嘛哦哈呗啦喔噢嗯把被给让对从向到着过地得之其于以及而且并等该此每各某啥咋谁" +
	"怎样么办"

// stopPairs are pairs of characters that only ask or point.
var stopPairs = map[string]bool{
	"怎么": true, "么办": true, "什么": true, "如何": true, "可以": true, "是不": true, "不是": true, "我的": true,
	"您的": true, "请问": true, "一下": true, "这个": true, "那个": true, "为什": true, "么我": true, "的话": true,
	"我们": true, "你们": true, "怎样": true, "咋办": true, "咋整": true, "是否": true, "能否": true, "哪里": true,
	"哪些": true,
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

func isStopChar(r rune) bool { return strings.ContainsRune(stopChars, r) }

func isStopWord(w string) bool { return extraStopWords[w] || english.IsStopWord(w) }

func isHan(r rune) bool { return r >= 0x3400 && unicode.Is(unicode.Han, r) }

// stem is a word's Porter2 stem.
func stem(w string) string {
	if len(w) <= 2 {
		return w
	}
	return english.Stem(w, true)
}

// span is a run of one script in a normalised text.
type span struct {
	text  string
	han   bool
	digit bool
}

// spans splits normalised text into Chinese runs, words and numbers.
func spans(s string) []span {
	var out []span
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == ' ':
			i += size
		case isHan(r):
			j := i + size
			for j < len(s) {
				r2, n := utf8.DecodeRuneInString(s[j:])
				if !isHan(r2) {
					break
				}
				j += n
			}
			out = append(out, span{text: s[i:j], han: true})
			i = j
		case r >= '0' && r <= '9':
			j := i + 1
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			out = append(out, span{text: s[i:j], digit: true})
			i = j
		default:
			j := i + size
			for j < len(s) {
				r2, n := utf8.DecodeRuneInString(s[j:])
				if r2 == ' ' || isHan(r2) || r2 >= '0' && r2 <= '9' {
					break
				}
				j += n
			}
			out = append(out, span{text: s[i:j]})
			i = j
		}
	}
	return out
}

// docTokens lists the token keys of an indexed text, each once.
func docTokens(s string, py *pinyinTable, syn *synonymTable, into map[string]bool) {
	var stems []string // the current run of words
	flush := func() {
		for _, m := range syn.wordMembers(stems) {
			into[tokenKey(kindPhrase, m.member)] = true
			into[tokenKey(kindSyn, synKey(m.group))] = true
		}
		stems = stems[:0]
	}
	for _, sp := range spans(s) {
		if sp.han || sp.digit {
			flush()
		}
		switch {
		case sp.han:
			rs := []rune(sp.text)
			for _, m := range syn.hanMembers(rs) {
				into[tokenKey(kindPhrase, m.member)] = true
				into[tokenKey(kindSyn, synKey(m.group))] = true
			}
			for i, r := range rs {
				if !isStopChar(r) {
					into[tokenKey(kindChar, string(r))] = true
				}
				if i+1 < len(rs) {
					pair := string(rs[i : i+2])
					if stopPairs[pair] || isStopChar(r) && isStopChar(rs[i+1]) {
						continue
					}
					into[tokenKey(kindPair, pair)] = true
					if a, b := py.syllable(r), py.syllable(rs[i+1]); a != "" && b != "" {
						into[tokenKey(kindPinyin, a+" "+b)] = true
					}
				}
			}
		case sp.digit:
			into[tokenKey(kindNumber, sp.text)] = true
		default:
			st := stem(sp.text)
			stems = append(stems, st)
			if !isStopWord(sp.text) {
				into[tokenKey(kindWord, st)] = true
			}
		}
	}
	flush()
}
