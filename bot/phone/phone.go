// Package phone reads phone numbers and three-digit prefixes (号段) out of
// messages, in the forms people write them (spaces, dashes, full-width
// digits, +86 / 0086, numbers from abroad), checks them against the
// knowledge's prefix table, and masks them for logs and stored text
// (138****5678).
package phone

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/supportbot/supportbot/knowledge"
	"golang.org/x/text/unicode/norm"
)

// Number is a phone number or three-digit prefix checked against the
// prefix table.
type Number struct {
	Input      string `json:"input"`      // as the user wrote it
	Valid      bool   `json:"valid"`      // 11 digits, or a 3-digit prefix, starting with 1
	Normalized string `json:"normalized"` // digits only, country code removed
	Prefix     string `json:"prefix"`
	Carrier    string `json:"carrier"`   // as the table writes it
	Supported  bool   `json:"supported"` // the prefix is in the table as valid
	Error      string `json:"error"`     // why it is not valid, for people
	// Reason is the message key of Error, and Digits the digit count.
	Reason string `json:"-"`
	Digits int    `json:"-"`
	Listed bool   `json:"-"` // the prefix is in the table, valid or not
	// Country is the country code of a number dialled from abroad with a
	// code other than 86 (Reason number_foreign): "1" for +1 415 555 0100.
	Country string `json:"-"`
}

// Masked returns the number safe to show or store: 138****5678, or the prefix.
func (n Number) Masked() string {
	return MaskDigits(n.Normalized)
}

// MaskDigits keeps the first three and last four digits of an 11-digit
// number; shorter strings are returned as they are.
func MaskDigits(digits string) string {
	if len(digits) != 11 {
		return digits
	}
	return digits[:3] + "****" + digits[7:]
}

// MaskText masks every phone number in s, for logs and stored text: an
// 11-digit number (with or without separators and country code) becomes
// 138****5678, any other run of seven or more digits keeps only its first
// three and last four digits.
func MaskText(s string) string {
	orig := s
	if hasFullWidthDigit(s) {
		s = fullWidthDigits.Replace(s) // "１３８…" is a number too
	}
	// Runs count ASCII digits only: with fewer than seven in all of s,
	// there is nothing to mask (most messages, and every masked one with
	// a single number), and nothing to allocate.
	if digitCount(s) < 7 {
		return orig
	}
	var b strings.Builder
	last := 0
	for _, run := range digitRuns(s) {
		if run.digits < 7 {
			continue
		}
		b.WriteString(s[last:run.start])
		raw := onlyDigits(s[run.start:run.end])
		ds := stripCountryCode(raw, run.plus)
		if code, ok := foreignCode(raw, run.plus); ok && run.plus {
			// +1 ******0100: neither the number's country nor its last
			// digits pass for a mainland prefix.
			national := raw[len(code):]
			keep := min(4, len(national)/2)
			b.WriteString("+" + code + " " + strings.Repeat("*", len(national)-keep) + national[len(national)-keep:])
		} else if len(ds) == 11 && ds[0] == '1' {
			if len(ds) < len(raw) {
				b.WriteString("+86 ")
			}
			b.WriteString(MaskDigits(ds))
		} else {
			b.WriteString(raw[:3] + strings.Repeat("*", len(raw)-7) + raw[len(raw)-4:])
		}
		last = run.end
	}
	if last == 0 {
		return orig
	}
	b.WriteString(s[last:])
	return b.String()
}

// Check checks one /checknum input: a phone number with or without
// spaces, dashes, +86/0086/86 and full-width digits, or a bare prefix. A
// number with another country code (+1, 00852) is not valid: the prefix
// table is about mainland China's mobile numbers. With a nil kb it checks
// the form only, not the prefix table.
func Check(kb *knowledge.KB, input string) Number {
	n := Number{Input: input}
	s := nfkc(strings.TrimSpace(input))
	var b strings.Builder
	masked := false
	tail, gap := 0, false // digits after the stars; a separator after those
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			if masked { // the last digits of 138****5678
				tail++
				// More than a masked number holds is a second number:
				// "138****5678 139****1234", "138**** 13912345678".
				if gap || tail > 4 {
					n.Reason = "number_invalid_chars"
					return n
				}
				continue
			}
			b.WriteRune(r)
		case r == '*' || r == 'x' || r == 'X':
			if tail > 0 { // stars after the last digits: "141x xxxx xxx 142x xxxx xxx"
				n.Reason = "number_invalid_chars"
				return n
			}
			masked = true
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')' || r == '+' || r == '_' || r == '/' || r == '\u3000':
			gap = tail > 0
		default:
			n.Reason = "number_invalid_chars"
			return n
		}
	}
	plus := strings.HasPrefix(s, "+")
	if code, ok := foreignCode(b.String(), plus); ok {
		n.Reason, n.Country = "number_foreign", code
		return n
	}
	ds := stripCountryCode(b.String(), plus)
	n.Digits = len(ds)
	switch {
	case ds == "":
		n.Reason = "number_empty"
		if s != "" {
			n.Reason = "number_invalid_chars"
		}
		return n
	case masked && len(ds) == 3 && ds[0] == '1':
	case ds[0] != '1' && (len(ds) == 11 || len(ds) == 3):
		n.Reason = "number_invalid_start"
		return n
	case len(ds) != 11 && len(ds) != 3:
		n.Reason = "number_invalid_length"
		return n
	}
	n.Valid, n.Normalized = true, ds
	if kb != nil {
		Lookup(kb, &n)
	}
	return n
}

// List splits a /checknum argument that is not one number into
// the inputs it lists, as the agent wrote them. Commas, semicolons, 、 and
// line ends always separate. Within a piece that is not one number, a
// number may be written in groups (see groupedNumber): "+86 170 1234 5678
// 192 1234 5678" is two. A word that holds numbers among other characters
// ("13812345678和13912345678", "手机13812345678。") gives those; any other
// word with a digit in it gets a verdict of its own, and words without
// digits ("和", "and") are left out, so an argument without digits gives
// nothing.
func List(args string) []string {
	var out []string
	for _, piece := range strings.FieldsFunc(args, func(r rune) bool { return strings.ContainsRune(",，、;；\n\t", r) }) {
		// A number from abroad is one verdict too, not a verdict per group.
		if n := Check(nil, piece); n.Valid || n.Reason == "number_foreign" {
			out = append(out, strings.TrimSpace(piece))
			continue
		}
		words := strings.Fields(piece)
		for i := 0; i < len(words); {
			if n, number := groupedNumber(words[i:]); n > 0 {
				out = append(out, number)
				i += n
				continue
			}
			w := words[i]
			i++
			if Check(nil, w).Valid {
				out = append(out, w)
			} else if parts := numberParts(w); parts != nil {
				out = append(out, parts...)
			} else if strings.ContainsFunc(w, unicode.IsDigit) {
				out = append(out, w)
			}
		}
	}
	return out
}

// groupedNumber reports how many of words, from the first, are one phone
// number written in groups, and that number; 0 when they are not. The
// groups are an optional country code (+86, 86, 0086), a first group of
// three or more digits, then groups of four or more digits or of masks
// (138 1234 5678, +86 138 12345678, 141x xxxx xxx). So a list marker, a
// stray digit or a prefix next to a mistyped number is never taken for
// the rest of it: "1391234567 3." stays a wrong number and "3.".
func groupedNumber(words []string) (int, string) {
	count, masked := 0, 0 // digits and masks so far; masks
	first := true
	for n := 1; n <= 5 && n <= len(words); n++ {
		w := nfkc(words[n-1])
		c, masks := 0, 0
		for i := 0; i < len(w); i++ {
			switch {
			case isDigit(w[i]):
				c++
			case isMask(w[i]):
				c++
				masks++
			}
		}
		switch code := strings.Trim(w, "()+"); {
		case n == 1 && (code == "86" || code == "0086"):
			// a country code; the first group comes next
		case first && c >= 3, !first && (c >= 4 || c == masks && c > 0):
			first = false
		default:
			return 0, ""
		}
		count, masked = count+c, masked+masks
		if n >= 2 && !first && (count == 11 || count == 13 || count == 15) {
			joined := strings.TrimRightFunc(strings.Join(words[:n], " "), func(r rune) bool { return !isNumberRune(r) })
			// A masked number's digits are its prefix only.
			if m := Check(nil, joined); m.Valid && (m.Digits == 11 || masked > 0) {
				return n, joined
			}
		}
		if count > 15 {
			return 0, ""
		}
	}
	return 0, ""
}

// numberParts are the numbers in a word that holds other characters too,
// and the rest of its digit runs, which get verdicts of their own; nil
// when none of them is a number.
func numberParts(w string) []string {
	var parts []string
	found := false
	for _, p := range strings.FieldsFunc(nfkc(w), func(r rune) bool { return !isNumberRune(r) }) {
		if !strings.ContainsAny(p, "0123456789") {
			continue // "x" of "xiaoming"
		}
		parts = append(parts, p)
		found = found || Check(nil, p).Valid
	}
	if !found {
		return nil
	}
	return parts
}

// isNumberRune reports whether r can be part of a written phone number:
// a digit, a mask or a separator inside it.
func isNumberRune(r rune) bool {
	return unicode.IsDigit(r) || strings.ContainsRune("+-().*xX＋－（）．＊", r)
}

// Lookup fills in what the prefix table says of n's prefix.
func Lookup(kb *knowledge.KB, n *Number) {
	n.Prefix = n.Normalized[:3]
	if p, ok := kb.Lookup(n.Prefix); ok {
		n.Listed, n.Supported, n.Carrier = true, p.Valid, p.Carrier
	}
}

// foreignCode reports the country code of digits dialled internationally,
// after "+" (plus) or "00", when that code is not China's 86: "1" for
// +1 415 555 0100 or 001 415 555 0100, "852" for +852 9123 4567. Digits
// with nothing after the code, or more than a number can have (E.164: 15),
// are not a number from abroad.
func foreignCode(ds string, plus bool) (string, bool) {
	intl := ds
	if !plus {
		if !strings.HasPrefix(ds, "00") {
			return "", false
		}
		intl = ds[2:]
	}
	if intl == "" || intl[0] == '0' || strings.HasPrefix(intl, "86") || len(intl) > 15 {
		return "", false
	}
	code := intl[:countryCodeLen(intl)]
	if len(code) == len(intl) {
		return "", false
	}
	return code, true
}

// countryCodeLen is the length of the E.164 country code that digits
// start with. Codes are prefix-free: 1 and 7 are one digit, the two-digit
// ones are listed, every other code has three.
func countryCodeLen(ds string) int {
	switch {
	case ds[0] == '1' || ds[0] == '7':
		return 1
	case len(ds) >= 2 && slices.Contains(twoDigitCountryCodes, ds[:2]):
		return 2
	}
	return min(3, len(ds))
}

// twoDigitCountryCodes are the E.164 country codes of two digits.
var twoDigitCountryCodes = []string{
	"20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46",
	"47", "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63",
	"64", "65", "66", "81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98",
}

// stripCountryCode removes +86, 0086 or 86 in front of an 11-digit number.
func stripCountryCode(ds string, plus bool) string {
	switch {
	case len(ds) == 13 && strings.HasPrefix(ds, "86"):
		return ds[2:]
	case len(ds) == 15 && strings.HasPrefix(ds, "0086"):
		return ds[4:]
	case plus && strings.HasPrefix(ds, "86") && len(ds) > 2:
		return ds[2:]
	}
	return ds
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

var fullWidthDigits = strings.NewReplacer("０", "0", "１", "1", "２", "2", "３", "3", "４", "4", "５", "5", "６", "6", "７", "7", "８", "8", "９", "9")

// hasFullWidthDigit reports whether s holds a digit from ０ to ９ (U+FF10
// to U+FF19, encoded EF BC 90 to EF BC 99).
func hasFullWidthDigit(s string) bool {
	for i := strings.Index(s, "\xef\xbc"); i >= 0 && i+2 < len(s); {
		if c := s[i+2]; c >= 0x90 && c <= 0x99 {
			return true
		}
		j := strings.Index(s[i+2:], "\xef\xbc")
		if j < 0 {
			return false
		}
		i += 2 + j
	}
	return false
}

func digitCount(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			n++
		}
	}
	return n
}

func isSep(c byte) bool { return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' }

func isMask(c byte) bool { return c == '*' || c == 'x' || c == 'X' }

func onlyDigits(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// nfkc applies NFKC (full-width digits and signs to ASCII) unless s is
// plain ASCII, the common case, which it returns as it is.
func nfkc(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return norm.NFKC.String(s)
		}
	}
	return s
}
