package web

import (
	"encoding/json"
	"fmt"
	"html"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/language"
)

// The console is written in English and Chinese: its texts are in
// templates/texts.json, by key and then language, and each page is in the
// language the browser prefers (Accept-Language), English by default.
var consoleLangs = []string{"en", "zh"}

// console is the console's templates, one set per language, and what
// picks the language; built on the first page an operator opens.
type console struct {
	pages   map[string]*template.Template
	matcher language.Matcher
}

// adminTmpl parses the console's templates on the first page an operator
// opens: at start it would cost every replica a few milliseconds and a
// few hundred KB for a page few of them serve. (The tests render every
// page in both languages, so a broken template or text fails them.)
var adminTmpl = sync.OnceValue(func() *console {
	texts := loadTexts()
	c := &console{pages: map[string]*template.Template{},
		matcher: language.NewMatcher([]language.Tag{language.English, language.Chinese})}
	for _, lang := range consoleLangs {
		t := func(key string, args ...any) string { return texts.text(key, lang, args...) }
		c.pages[lang] = template.Must(template.New("").Funcs(template.FuncMap{
			"lang":  func() string { return lang },
			"t":     t,
			"tcode": func(key string, code ...any) template.HTML { return texts.withCode(key, lang, code...) },
			"ago":   func(at time.Time) string { return ago(t, time.Since(at)) },
			"pct":   func(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) + "%" },
			"conf":  func(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) },
			"short": shortID,
			"clock": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
		}).ParseFS(templates, "templates/*.html"))
	}
	return c
})

// lang is the console's language for a request: the best match of the
// browser's Accept-Language, English when it names neither.
func (c *console) lang(r *http.Request) string {
	tags, _, err := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	if err != nil || len(tags) == 0 {
		return consoleLangs[0]
	}
	_, i, conf := c.matcher.Match(tags...)
	if conf == language.No {
		return consoleLangs[0]
	}
	return consoleLangs[i]
}

// texts are the console's texts by key, then language.
type texts map[string]map[string]string

// loadTexts reads templates/texts.json; a key without both languages is
// a broken build, as a broken template is.
func loadTexts() texts {
	raw, err := templates.ReadFile("templates/texts.json")
	if err != nil {
		panic(err)
	}
	var ts texts
	if err := json.Unmarshal(raw, &ts); err != nil {
		panic(fmt.Sprintf("templates/texts.json: %v", err))
	}
	for key, m := range ts {
		for _, lang := range consoleLangs {
			if strings.TrimSpace(m[lang]) == "" {
				panic(fmt.Sprintf("templates/texts.json: %q has no %s text", key, lang))
			}
		}
	}
	return ts
}

// text is one text in lang, its verbs filled from args. An unknown key
// fails the page: every key the templates and handlers use is in the file.
func (ts texts) text(key, lang string, args ...any) string {
	s, ok := ts[key][lang]
	if !ok {
		panic(fmt.Sprintf("console text %q is not in templates/texts.json", key))
	}
	if len(args) > 0 {
		s = fmt.Sprintf(s, args...)
	}
	return s
}

// withCode is a text whose %s verbs are filled with code, shown as code;
// the text and the code are escaped.
func (ts texts) withCode(key, lang string, code ...any) template.HTML {
	parts := make([]any, len(code))
	for i, c := range code {
		parts[i] = "<code>" + html.EscapeString(fmt.Sprint(c)) + "</code>"
	}
	return template.HTML(fmt.Sprintf(html.EscapeString(ts.text(key, lang)), parts...))
}

// ago says how long ago something was, roughly.
func ago(t func(key string, args ...any) string, d time.Duration) string {
	switch {
	case d < time.Minute:
		return t("ago_now")
	case d < time.Hour:
		return t("ago_min", int(d/time.Minute))
	case d < 48*time.Hour:
		return t("ago_hours", int(d/time.Hour))
	}
	return t("ago_days", int(d/(24*time.Hour)))
}
