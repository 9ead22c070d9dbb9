package phone

// Finding the numbers in a message.

import (
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/supportbot/supportbot/knowledge"
)

type digitRun struct {
	start, end int // byte offsets in the text
	digits     int
	plus       bool
	masked     bool // digits, stars, digits: 138****5678
}

// digitRuns finds runs of digits that may be joined by single spaces,
// dashes or dots ("138 1234 5678"), optionally after "+". A run ends at a
// separator once it holds a whole number, so two numbers in a row stay two.
func digitRuns(s string) []digitRun {
	var runs []digitRun
	for i := 0; i < len(s); {
		c := s[i]
		start := i
		plus := false
		if c == '+' && i+1 < len(s) && isDigit(s[i+1]) {
			plus = true
			i++
		} else if !isDigit(c) {
			i++
			continue
		}
		if start > 0 && isDigit(s[start-1]) {
			i++
			continue
		}
		run := digitRun{start: start, plus: plus}
		lead := ""
		for i < len(s) {
			if isDigit(s[i]) {
				if len(lead) < 4 {
					lead += s[i : i+1]
				}
				run.digits++
				i++
				continue
			}
			if isMask(s[i]) && run.digits == 3 && !run.masked {
				// 138****5678, 141x xxxx xxx: the prefix is what counts.
				for i < len(s) && (isMask(s[i]) || s[i] == ' ' || s[i] == '-' || isDigit(s[i])) {
					i++
				}
				run.masked = true
				continue
			}
			// One or two separators between digit groups: "138 1234",
			// "+86 (138) 1234-5678".
			if isSep(s[i]) && !run.masked && !whole(run.digits, lead) && run.digits > 0 {
				if i+1 < len(s) && isDigit(s[i+1]) {
					i++
					continue
				}
				if i+2 < len(s) && isSep(s[i+1]) && isDigit(s[i+2]) {
					i += 2
					continue
				}
			}
			break
		}
		run.end = i
		runs = append(runs, run)
	}
	return runs
}

// whole reports whether a run of n digits starting with lead is already a
// complete number.
func whole(n int, lead string) bool {
	return n == 11 && strings.HasPrefix(lead, "1") ||
		n == 13 && strings.HasPrefix(lead, "86") ||
		n == 15 && strings.HasPrefix(lead, "0086")
}

// Extract finds phone numbers, mistyped ones (10 or 12 digits
// starting with 1, reported with Valid false) and bare three-digit prefixes
// (13x-19x, when the text speaks of numbers: the words of numbers.context
// in the rules, and no unit of numbers.units after it) in a message.
func Extract(kb *knowledge.KB, text string) []Number {
	var context, units []string
	if kb != nil {
		context, units = kb.Rules.NumberContext, kb.Rules.NumberUnits
	}
	s := nfkc(text)
	var out []Number
	var lower string
	for _, run := range digitRuns(s) {
		raw := s[run.start:run.end]
		ds := stripCountryCode(onlyDigits(raw), run.plus)
		n := Number{Input: strings.TrimSpace(raw), Digits: len(ds)}
		code, foreign := foreignCode(onlyDigits(raw), run.plus)
		switch {
		case foreign && run.plus && run.digits >= 8:
			// Only after "+" and with a number's worth of digits: "积分+100"
			// or an order number starting 00 is not a phone number.
			n.Reason, n.Country = "number_foreign", code
		case foreign:
			continue
		case run.masked && len(ds) >= 3 && ds[0] == '1':
			n.Valid, n.Normalized = true, ds[:3]
		case len(ds) == 11 && ds[0] == '1':
			n.Valid, n.Normalized = true, ds
		case (len(ds) == 10 || len(ds) == 12) && ds[0] == '1':
			n.Reason = "number_invalid_length"
		case len(ds) == 3 && ds[0] == '1' && ds[1] >= '3' && !run.plus:
			if lower == "" {
				lower = strings.ToLower(s)
			}
			if !barePrefix(lower, run.start, run.end, context, units) {
				continue
			}
			n.Valid, n.Normalized = true, ds
		default:
			continue
		}
		if n.Valid {
			Lookup(kb, &n)
		}
		if slices.ContainsFunc(out, func(o Number) bool {
			return o.Valid == n.Valid && o.Normalized == n.Normalized && (n.Valid || o.Input == n.Input)
		}) {
			continue // the same number twice gets one verdict
		}
		out = append(out, n)
	}
	return out
}

// barePrefix decides whether the three digits at s[start:end] name a
// prefix: the text has a word of context, and no unit follows them.
func barePrefix(s string, start, end int, context, units []string) bool {
	rest := strings.TrimLeft(s[end:], " ")
	for _, u := range units {
		if strings.HasPrefix(rest, u) {
			// "s" etc. only count as a unit when a word ends there
			if len(u) <= 3 && isASCIIWord(u) && len(rest) > len(u) && isLetter(rest[len(u)]) {
				continue
			}
			return false
		}
	}
	before := strings.TrimRight(s[:start], " ")
	if r, _ := utf8.DecodeLastRuneInString(before); r == '第' || r == '.' || r == '/' || r == ':' {
		return false
	}
	for _, w := range context {
		if strings.Contains(s, w) {
			return true
		}
	}
	// A message that is little more than the number is a question about it.
	return len(strings.TrimSpace(s)) <= end-start+6
}

func isASCIIWord(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isLetter(s[i]) {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
