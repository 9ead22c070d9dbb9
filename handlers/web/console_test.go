package web

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/supportbot/supportbot/bot"
)

func TestConsoleLanguage(t *testing.T) {
	c := adminTmpl()
	for _, tt := range []struct{ accept, want string }{
		{"", "en"},
		{"zh-CN,zh;q=0.9,en;q=0.8", "zh"},
		{"zh-TW", "zh"},
		{"en-US,en;q=0.9,zh-CN;q=0.8", "en"},
		{"fr-FR, zh;q=0.5", "zh"},
		{"fr-FR", "en"},
		{"*;q=x,,", "en"},
	} {
		r := httptest.NewRequest("GET", "/admin", nil)
		r.Header.Set("Accept-Language", tt.accept)
		if got := c.lang(r); got != tt.want {
			t.Errorf("Accept-Language %q: %s, want %s", tt.accept, got, tt.want)
		}
	}
}

// Every page renders in both languages, every branch of it: a text key
// that is missing, or a template that breaks, fails here.
func TestConsolePagesInBothLanguages(t *testing.T) {
	now := time.Now()
	full := page{
		CSRF: "c", Since: "7d", Periods: []string{"1d", "7d", "30d"},
		Report: bot.Report{Messages: 3, Feedback: 2, Helpful: 1, HelpfulPercent: 50, Handoffs: 1,
			Unanswered:    []bot.Asked{{Text: "怎么申请SSL证书", Count: 2, Intent: "none"}},
			ByNearest:     []bot.NearestGroup{{Entry: "收不到短信？", Count: 1, Examples: []bot.Asked{{Text: "a"}, {Text: "b"}}}, {Count: 1, Examples: []bot.Asked{{Text: "c"}}}},
			LowConfidence: []bot.Asked{{Text: "d", Count: 1, Intent: "sms_missing", Confidence: 0.4}}},
		Chart: buildChart([]bot.DayCount{{Day: now.UTC().Truncate(24 * time.Hour), Intent: "sms_missing", Count: 4}}, now.UTC().Truncate(24*time.Hour).AddDate(0, 0, -13), 14),
		Handoffs: []handoffView{
			{Handoff: bot.Handoff{ID: "h1", Channel: "web", User: "w-0123456789abcdef", Asked: "转人工", Opened: now.Add(-3 * time.Minute), Until: now.Add(time.Hour)},
				Lines: []bot.Line{{From: "user", Text: "/handoff"}, {From: "agent", Text: "您好"}, {From: "user", Text: "x", Intent: "none"}}},
			{Handoff: bot.Handoff{ID: "h2", Channel: "slack", User: "U1", Opened: now.Add(-3 * time.Hour), Until: now.Add(time.Hour)}},
			{Handoff: bot.Handoff{ID: "h3", Channel: "wecom", User: "u", Opened: now.Add(-72 * time.Hour), Until: now.Add(time.Hour)}},
			{Handoff: bot.Handoff{ID: "h4", Channel: "web", User: "v", Opened: now, Until: now.Add(time.Hour)}},
		},
		MoreHandoffs: 3,
		Knowledge:    KnowledgeStatus{Version: "v1", LoadedAt: now, Sources: []string{"faq.zh.md: built-in"}, LastError: "faq.zh.md:3: bad", Questions: 2, Prefixes: 40, Intents: 12},
		Try:          &tried{Text: "q", Intent: "clarify", Confidence: 0.5, Answer: "a", Clarify: []bot.Option{{Intent: "a"}, {Intent: "b"}}, Generated: true},
		Flash:        flashes["resolved"],
		Errors:       []string{"err_report", "err_handoffs", "err_transcripts"},
	}
	pages := []struct {
		name string
		data any
	}{
		{"admin.html", full}, {"admin.html", page{Flash: flashes["replied"]}},
		{"login.html", map[string]any{"Error": true, "Insecure": true}}, {"login.html", map[string]any{}},
	}
	c := adminTmpl()
	for _, lang := range consoleLangs {
		for _, p := range pages {
			var b strings.Builder
			if err := c.pages[lang].ExecuteTemplate(&b, p.name, p.data); err != nil {
				t.Errorf("%s in %s: %v", p.name, lang, err)
				continue
			}
			if !strings.Contains(b.String(), `<html lang="`+lang+`">`) {
				t.Errorf("%s in %s does not say its language", p.name, lang)
			}
		}
	}
	var zh strings.Builder
	c.pages["zh"].ExecuteTemplate(&zh, "admin.html", full)
	for _, want := range []string{"转人工队列", "（点了“转人工”）", "3 分钟前发起", "另有 3 位在等", "由备用模型生成", "读取不了转人工队列", "<code>also:</code>"} {
		if !strings.Contains(zh.String(), want) {
			t.Errorf("the Chinese console lacks %q", want)
		}
	}
	for _, english := range []string{"Handoff queue", "opened ", "pressed", "Sign out", "None", "questions,"} {
		if strings.Contains(zh.String(), english) {
			t.Errorf("the Chinese console says %q", english)
		}
	}
}

// Every text the console uses is in texts.json in both languages
// (loadTexts checks those), and every text there is used.
func TestConsoleTextsAreUsed(t *testing.T) {
	texts := loadTexts()
	var src strings.Builder
	files, _ := filepath.Glob("templates/*.html")
	goFiles, _ := filepath.Glob("*.go")
	for _, f := range append(files, goFiles...) {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src.WriteString(string(b))
	}
	all := src.String()
	for key := range texts {
		quoted := `"` + key + `"`
		if prefix, _, ok := strings.Cut(key, "_"); ok && (prefix == "from") { // {{t (print "from_" .From)}}
			quoted = `"from_"`
		}
		if !strings.Contains(all, quoted) {
			t.Errorf("text %q is in texts.json but nothing uses it", key)
		}
	}
	for _, m := range regexp.MustCompile(`\{\{t(?:code)? "(\w+)"`).FindAllStringSubmatch(all, -1) {
		if _, ok := texts[m[1]]; !ok {
			t.Errorf("the templates use text %q, which texts.json lacks", m[1])
		}
	}
}
