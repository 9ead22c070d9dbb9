package knowledge

import (
	"bytes"
	"regexp"
	"strings"
)

// The comments that say something about an entry or item: "<!--", then
// "key: value" parts separated by new lines or ";", then "-->". Keys are
// id, also (phrasings separated by "|") and asks. A comment whose first
// part is not one of those is a note for the people who edit the file,
// and is left alone.

var metaKeys = map[string]bool{"id": true, "also": true, "asks": true}

var explicitID = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

func isComment(raw []byte) bool {
	return bytes.HasPrefix(bytes.TrimSpace(raw), []byte("<!--"))
}

// comment reads a comment into m; it reports whether the comment was
// meant for the bot (its first part is one of the keys).
func (p *faqParser) comment(m *Meta, raw []byte, line int) bool {
	body := strings.TrimSpace(string(raw))
	body = strings.TrimPrefix(body, "<!--")
	body, _, _ = strings.Cut(body, "-->")
	parts := strings.FieldsFunc(body, func(r rune) bool { return r == '\n' || r == ';' })
	for i, part := range parts {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		key, value, ok := cutKey(part)
		if !metaKeys[key] || !ok {
			if i == 0 || !p.isMeta(parts[:i]) {
				return false // a note, not for the bot
			}
			p.errs.add(line, "comment: %q is not one of id:, also: or asks:", part)
			continue
		}
		switch key {
		case "id":
			switch {
			case m.ID != "":
				p.errs.add(line, "comment: a second id %q (the first is %q)", value, m.ID)
			case !explicitID.MatchString(value):
				p.errs.add(line, "comment: id %q: use lower-case letters, digits, _ and -", value)
			default:
				m.ID = value
			}
		case "also":
			for _, a := range strings.Split(value, "|") {
				if a = strings.TrimSpace(a); a != "" {
					m.Also = append(m.Also, a)
				}
			}
		case "asks":
			if value != "number" {
				p.errs.add(line, "comment: asks %q: the bot can only ask for a number (asks: number)", value)
				continue
			}
			m.Asks = value
		}
	}
	return true
}

// isMeta reports whether the first of parts is a key: the comment is meant
// for the bot.
func (p *faqParser) isMeta(parts []string) bool {
	for _, part := range parts {
		if part = strings.TrimSpace(part); part != "" {
			key, _, ok := cutKey(part)
			return ok && metaKeys[key]
		}
	}
	return false
}

// cutKey splits "key: value" (or "key：value").
func cutKey(part string) (key, value string, ok bool) {
	i := strings.IndexAny(part, ":：")
	if i < 0 {
		return "", "", false
	}
	key = strings.ToLower(strings.TrimSpace(part[:i]))
	rest := part[i:]
	if strings.HasPrefix(rest, "：") {
		rest = rest[len("："):]
	} else {
		rest = rest[1:]
	}
	return key, strings.TrimSpace(rest), true
}
