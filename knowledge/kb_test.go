package knowledge

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

func TestDefaultParsesTheSeedFAQ(t *testing.T) {
	kb, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range kb.ZH.Entries {
		got = append(got, e.Question)
	}
	want := []string{"管局短信核验失败怎么办？", "没有收到管局发送的核验短信怎么办？"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("questions (-want +got):\n%s", diff)
	}
	failed, missing := kb.ZH.Entries[0], kb.ZH.Entries[1]
	if failed.Ordered || len(failed.Items) != 2 {
		t.Errorf("first entry: ordered=%v with %d items, want 2 bullet cases", failed.Ordered, len(failed.Items))
	}
	if !missing.Ordered || len(missing.Items) != 4 {
		t.Fatalf("second entry: ordered=%v with %d items, want 4 numbered steps", missing.Ordered, len(missing.Items))
	}
	if n := len(missing.Items[0].Sub); n != 2 {
		t.Errorf("step 1 has %d sub-bullets, want the 2 written under it", n)
	}
	links := missing.Items[2].Text.Links()
	if len(links) != 1 || links[0].Text != "短信重发" || links[0].URL != "https://cloud.tencent.com/document/product/243/13435#resend" {
		t.Errorf("step 3 links = %v, want the 短信重发 link", links)
	}
	if !missing.Items[3].Table {
		t.Error("the prefix table should belong to step 4")
	}
	if got := len(kb.ZH.Prefixes); got != 49 {
		t.Errorf("%d prefixes, want 49", got)
	}
	for prefix, carrier := range map[string]string{"130": "联通", "133": "联通", "153": "联通", "138": "移动", "162": "电信", "199": "电信"} {
		p, ok := kb.Lookup(prefix)
		if !ok || p.Carrier != carrier || !p.Valid {
			t.Errorf("Lookup(%s) = %+v, %v; want %s, valid", prefix, p, ok, carrier)
		}
	}
	for _, prefix := range []string{"192", "140", "190", "100"} {
		if _, ok := kb.Lookup(prefix); ok {
			t.Errorf("Lookup(%s) found a row; the table has none", prefix)
		}
	}
}

func TestEnglishFAQMirrorsChinese(t *testing.T) {
	kb, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if len(kb.EN.Entries) != len(kb.ZH.Entries) {
		t.Fatalf("%d English entries, %d Chinese", len(kb.EN.Entries), len(kb.ZH.Entries))
	}
	for i, e := range kb.EN.Entries {
		if strings.ContainsFunc(e.Question, func(r rune) bool { return r >= 0x4E00 && r <= 0x9FFF }) {
			t.Errorf("English question %q has Chinese in it", e.Question)
		}
		if len(e.Items) != len(kb.ZH.Entries[i].Items) {
			t.Errorf("entry %d: %d items, Chinese has %d", i, len(e.Items), len(kb.ZH.Entries[i].Items))
		}
	}
	if len(kb.EN.Prefixes) != len(kb.ZH.Prefixes) {
		t.Errorf("English table has %d rows, Chinese %d", len(kb.EN.Prefixes), len(kb.ZH.Prefixes))
	}
}

const table = `<table><thead><tr><th>运营商</th><th>支持号段</th><th>是否有效</th></tr></thead><tbody>
<tr><td>联通</td><td>130</td><td>有效</td></tr>
%ROWS%</tbody></table>`

func faqWith(rows string) string {
	return "### 问题一？\n\n回答。\n\n### 问题二？\n\n1. 第一步。\n2. 第二步：\n" + strings.Replace(table, "%ROWS%", rows, 1) + "\n"
}

func TestParseFAQReportsProblemsWithLines(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string // substrings of the error, in order
	}{
		{"duplicate prefix", faqWith("<tr><td>联通</td><td>130</td><td>有效</td></tr>\n"),
			[]string{"faq.zh.md:11: prefix 130 is listed twice (also on line 10)"}},
		{"duplicate prefix in a one-line table", "### 问题？\n\n1. 第一步：\n<table><tr><th>运营商</th><th>支持号段</th><th>是否有效</th></tr>" +
			"<tr><td>联通</td><td>130</td><td>有效</td></tr><tr><td>联通</td><td>131</td><td>有效</td></tr><tr><td>联通</td><td>130</td><td>有效</td></tr></table>\n",
			[]string{"faq.zh.md:4: prefix 130 is listed twice: in row 3 at column 156 (also in row 1 at column 70)"}},
		{"duplicate prefix in an indented table", "### 问题？\n\n1. 第一步：\n\n   <table><tr><th>运营商</th><th>支持号段</th><th>是否有效</th></tr>\n" +
			"   <tr><td>联通</td><td>130</td><td>有效</td></tr>\n   <tr><td>联通</td><td>131</td><td>有效</td></tr>\n   <tr><td>联通</td><td>130</td><td>有效</td></tr></table>\n",
			[]string{"faq.zh.md:8: prefix 130 is listed twice (also on line 6)"}},
		{"malformed prefix", faqWith("<tr><td>联通</td><td>13x</td><td>有效</td></tr>\n"),
			[]string{`faq.zh.md:11: prefix "13x" is not three digits starting with 1`}},
		{"unknown carrier", faqWith("<tr><td>铁通</td><td>131</td><td>有效</td></tr>\n"),
			[]string{`faq.zh.md:11: prefix 131: unknown carrier "铁通"`}},
		{"odd validity", faqWith("<tr><td>联通</td><td>131</td><td>也许</td></tr>\n"),
			[]string{`faq.zh.md:11: prefix 131: validity "也许"`}},
		{"empty answer", "### 问题？\n\n### 另一个？\n\n回答。\n",
			[]string{`faq.zh.md:1: question "问题？" has an empty answer`}},
		{"step numbering gap", "### 问题？\n\n1. 一\n\n- 子项\n\n3. 三\n",
			[]string{"faq.zh.md:7: step numbered 3 follows step 1"}},
		{"no questions", "just text\n", []string{"faq.zh.md: no questions"}},
		{"table without prefix column", "### 问题？\n\n<table><tr><th>运营商</th><th>是否有效</th></tr><tr><td>联通</td><td>有效</td></tr></table>\n",
			[]string{"faq.zh.md:3: prefix table has no prefix column"}},
		{"duplicate question", "### 问题？\n\n回答。\n\n### 问题？\n\n回答。\n",
			[]string{`faq.zh.md:5: question "问题？" is asked twice (also on line 1)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseFAQ("faq.zh.md", strings.NewReader(tt.src))
			if err == nil {
				t.Fatal("parsed without error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n%v\ndoes not contain\n%s", err, w)
				}
			}
		})
	}
}

func TestParseFAQAcceptsProperlyNestedBullets(t *testing.T) {
	src := "# 标题\n\n### 问题？\n\n介绍。\n\n1. 第一步\n   - 子项一\n   - 子项 [链接](https://example.com/x)\n2. 第二步\n\n结尾。\n"
	f, err := ParseFAQ("faq.zh.md", strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	e := f.Entries[0]
	if len(e.Items) != 2 || len(e.Items[0].Sub) != 2 || len(e.Outro) != 1 {
		t.Fatalf("got %d items, %d subs, %d outro; want 2, 2, 1", len(e.Items), len(e.Items[0].Sub), len(e.Outro))
	}
	if got := e.Items[0].Sub[1].Links(); len(got) != 1 || got[0].URL != "https://example.com/x" {
		t.Errorf("sub-bullet links = %v", got)
	}
}

func loadWith(t *testing.T, changes map[string]string) error {
	t.Helper()
	fsys := fstest.MapFS{}
	for _, name := range []string{FileZH, FileEN, FileRules} {
		b, err := fs.ReadFile(Embedded(), name)
		if err != nil {
			t.Fatal(err)
		}
		fsys[name] = &fstest.MapFile{Data: b}
	}
	for name, edit := range changes {
		old, repl, _ := strings.Cut(edit, "=>")
		s := string(fsys[name].Data)
		if !strings.Contains(s, old) {
			t.Fatalf("%s has no %q to change", name, old)
		}
		fsys[name] = &fstest.MapFile{Data: []byte(strings.Replace(s, old, repl, 1))}
	}
	_, err := Load(fsys)
	return err
}

func TestLoadChecksFilesAgainstEachOther(t *testing.T) {
	tests := []struct {
		name    string
		changes map[string]string
		want    string
	}{
		{"rule points at a missing question",
			map[string]string{FileRules: "  - id: verify_failed\n=>  - id: verify_failed\n    answer: {entry: 不存在的问题？}\n"},
			`intents.yaml:`},
		{"rule points past the last step",
			map[string]string{FileRules: "  - id: sms_missing.prefix\n=>  - id: sms_missing.prefix\n    answer: {entry: sms_missing, step: 9}\n"},
			`answers with step 9 of "没有收到管局发送的核验短信怎么办？", which has 4`},
		{"rule for an id no entry has",
			map[string]string{FileRules: "  - id: sms_missing.prefix\n=>  - id: sms_missing.prefixes\n"},
			`intent "sms_missing.prefixes": no FAQ entry or item has the id "sms_missing.prefixes"`},
		{"unknown concept",
			map[string]string{FileRules: `"@blocked"=>"@blockd"`},
			"unknown concept @blockd"},
		{"unknown field",
			map[string]string{FileRules: "    yield: true=>    yeld: true"},
			`unknown key "yeld" in intent`},
		{"missing message",
			map[string]string{FileRules: "  checknum_usage:=>  checknum_usag:"},
			`message "checknum_usag" is not one the bot says (a typo?)`},
		{"English file lost a step",
			map[string]string{FileEN: "2. Check whether=>Check whether"},
			"faq.en.md:"},
		{"English table disagrees",
			map[string]string{FileEN: "<td>China Unicom</td>    <td>130</td>=><td>China Mobile</td>    <td>130</td>"},
			"faq.en.md:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := loadWith(t, tt.changes)
			if err == nil {
				t.Fatal("loaded without error")
			}
			var ps Problems
			if !errors.As(err, &ps) {
				t.Fatalf("error %T is not Problems: %v", err, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error\n%v\ndoes not contain %q", err, tt.want)
			}
		})
	}
}

func TestRuleErrorsNameTheLine(t *testing.T) {
	err := loadWith(t, map[string]string{FileRules: `"@blocked"=>"@blockd"`})
	b, _ := fs.ReadFile(Embedded(), FileRules)
	line := 0
	for i, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, `"@blocked"`) {
			line = i + 1
			break // loadWith changes the first one
		}
	}
	want := "intents.yaml:" + strconv.Itoa(line) + ":"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error %v, want it at %s", err, want)
	}
}

func TestLoadDirFallsBackToEmbedded(t *testing.T) {
	dir := t.TempDir()
	zh, _ := fs.ReadFile(Embedded(), FileZH)
	if err := os.WriteFile(filepath.Join(dir, FileZH), zh, 0o644); err != nil {
		t.Fatal(err)
	}
	kb, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []Source{{FileZH, filepath.Join(dir, FileZH)}, {FileRules, BuiltIn}}
	if diff := cmp.Diff(want, kb.Sources); diff != "" {
		t.Errorf("sources (-want +got):\n%s", diff)
	}
	// Without an English twin, English readers get the Chinese entries.
	if e := kb.Entry(0, "en"); e.Lang != "zh" || e.Question != kb.ZH.Entries[0].Question {
		t.Errorf("English reader's entry 0 = %q (%s), want the Chinese one", e.Question, e.Lang)
	}
	if len(kb.Rules.Intents) == 0 || len(kb.Notes) != 0 {
		t.Errorf("the built-in rules should all apply to the built-in FAQ's copy: %d rules, notes %v", len(kb.Rules.Intents), kb.Notes)
	}
}

func TestExportRefusesToOverwrite(t *testing.T) {
	dir := t.TempDir()
	if _, err := Export(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := Export(dir); err == nil {
		t.Error("second export overwrote the files")
	}
	if _, err := LoadDir(dir); err != nil {
		t.Errorf("exported files do not load: %v", err)
	}
}

// TestTwinMismatchNamesTheQuestion: a question added to one file of a pair
// is reported at its line, with what to do.
func TestTwinMismatchNamesTheQuestion(t *testing.T) {
	fsys := fstest.MapFS{
		"faq.zh.md": {Data: []byte("### 问题一？\n\n答案一。\n\n### 问题二？\n\n答案二。\n")},
		"faq.en.md": {Data: []byte("### Question one?\n\nAnswer one.\n")},
	}
	_, err := Load(fsys)
	if err == nil || !strings.Contains(err.Error(), "faq.zh.md:5:") || !strings.Contains(err.Error(), "问题二") || !strings.Contains(err.Error(), "no English twin") {
		t.Errorf("err = %v, want faq.zh.md:5 naming the question without a twin", err)
	}
	fsys["faq.en.md"] = &fstest.MapFile{Data: []byte("### Question one?\n\nAnswer one.\n\n### Two?\n\nTwo.\n\n### Three?\n\nThree.\n")}
	if _, err := Load(fsys); err == nil || !strings.Contains(err.Error(), "faq.en.md:9:") || !strings.Contains(err.Error(), "no Chinese original") {
		t.Errorf("err = %v, want faq.en.md:9 naming the question without an original", err)
	}
}
