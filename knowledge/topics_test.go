package knowledge

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// writeDir writes files into a new folder.
func writeDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const accountsZH = `# 账号

### 忘记密码怎么办？
<!-- id: forgot-password
also: 密码想不起来了 | 登不上去了 -->

打开登录页，点击“忘记密码”。

1. 输入手机号。
2. 填写验证码。 <!-- id: code; also: 验证码收不到 -->
3. 设置新密码。

<!-- 这是给编辑看的备注，不是给机器人的 -->

### 账号被锁定了怎么办？

连续输错 5 次密码会锁定 30 分钟，等待后再试。
`

const accountsEN = `# Accounts

### What if I forgot my password?
<!-- also: cant remember my password -->

Open the sign-in page and click "Forgot password".

1. Enter your phone number.
2. Enter the code.
3. Set a new password.

### What if my account is locked?

Five wrong passwords lock the account for 30 minutes; wait and try again.
`

const networkZH = `### VPN 连不上怎么办？

- 提示证书错误：重新安装客户端。
- 提示账号无效：联系管理员。
`

func TestTopicFilesMakeOneFAQ(t *testing.T) {
	dir := writeDir(t, map[string]string{
		"accounts.zh.md": accountsZH, "accounts.en.md": accountsEN, "network.zh.md": networkZH,
	})
	kb, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tg := range kb.Targets() {
		got = append(got, tg.ID)
	}
	want := []string{
		"forgot-password", "forgot-password.1", "forgot-password.code", "forgot-password.3",
		"账号被锁定了怎么办",
		"VPN 连不上怎么办", "VPN 连不上怎么办.1", "VPN 连不上怎么办.2",
		"greeting", "thanks", "help", "human",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("answers (-want +got):\n%s", diff)
	}
	if kb.HasTable() {
		t.Error("a folder without a prefix table has one")
	}
	if n := len(kb.Notes); n != 1 || !strings.Contains(kb.Notes[0], "rules about the built-in FAQ's questions are not used") {
		t.Errorf("notes = %q, want one about the built-in FAQ's rules", kb.Notes)
	}
	e := &kb.ZH.Entries[0]
	if diff := cmp.Diff([]string{"密码想不起来了", "登不上去了"}, e.Also); diff != "" {
		t.Errorf("also (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"验证码收不到"}, e.Items[1].Also); diff != "" {
		t.Errorf("step 2 also (-want +got):\n%s", diff)
	}
	if got := kb.Entry(0, "en"); got.Lang != "en" || got.ID != "forgot-password" || got.Also[0] != "cant remember my password" {
		t.Errorf("English twin = %+v", got)
	}
	if got := kb.Entry(2, "en"); got.Lang != "zh" {
		t.Errorf("an entry of a file without a twin has Lang %q for English readers, want zh", got.Lang)
	}
	for _, txt := range []string{e.Intro[0].Plain(), e.Items[1].Text.Plain()} {
		if strings.Contains(txt, "<!--") || strings.Contains(txt, "id:") {
			t.Errorf("a comment reached the answer text: %q", txt)
		}
	}
	topics := kb.Topics
	if len(topics) != 2 || topics[0].Title != "账号" || topics[0].TitleEN != "Accounts" || topics[1].Title != "network" || topics[1].English {
		t.Errorf("topics = %+v", topics)
	}
	help := kb.Message("help", "zh")
	for _, q := range []string{"1. 忘记密码怎么办", "2. 账号被锁定了怎么办", "3. VPN 连不上怎么办"} {
		if !strings.Contains(help, q) {
			t.Errorf("help %q does not list %q", help, q)
		}
	}
	if strings.Contains(help, "checknum") || strings.Contains(kb.Message("none", "en"), "MIIT") {
		t.Errorf("messages speak of a number table the FAQ does not have:\n%s\n%s", help, kb.Message("none", "en"))
	}
}

func TestKnowledgeFolderProblems(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"English file without its original", map[string]string{"faq.zh.md": networkZH, "other.en.md": accountsEN},
			"other.en.md: an English FAQ file needs its Chinese original other.zh.md"},
		{"id used twice", map[string]string{"a.zh.md": "### 甲？\n<!-- id: same -->\n\n回答。\n", "b.zh.md": "### 乙？\n<!-- id: same -->\n\n回答。\n"},
			`b.zh.md:1: id "same" is used twice (also at`},
		{"bad id", map[string]string{"faq.zh.md": "### 甲？\n<!-- id: Not Good -->\n\n回答。\n"},
			`faq.zh.md:2: comment: id "Not Good": use lower-case letters, digits, _ and -`},
		{"unknown key after a known one", map[string]string{"faq.zh.md": "### 甲？\n<!-- id: a; alzo: 乙 -->\n\n回答。\n"},
			`faq.zh.md:2: comment: "alzo: 乙" is not one of id:, also: or asks:`},
		{"asks for something else", map[string]string{"faq.zh.md": "### 甲？\n<!-- asks: email -->\n\n回答。\n"},
			`faq.zh.md:2: comment: asks "email": the bot can only ask for a number (asks: number)`},
		{"twin with another id", map[string]string{"faq.zh.md": "### 甲？\n<!-- id: a -->\n\n回答。\n", "faq.en.md": "### A?\n<!-- id: b -->\n\nAnswer.\n"},
			`faq.en.md:1: question "A?" has id "b" but its Chinese original`},
		{"two prefix tables", map[string]string{"a.zh.md": faqWith(""), "b.zh.md": strings.ReplaceAll(faqWith(""), "问题", "题目")},
			"a second prefix table"},
		{"a javascript: link", map[string]string{"faq.zh.md": "### 甲？\n\n点 [这里](javascript:alert(1))。\n"},
			`faq.zh.md:3: link "javascript:alert(1)": only http, https and mailto links`},
		{"a data: link", map[string]string{"faq.zh.md": "### 甲？\n\n<data:text/html,hi> 看这里。\n"},
			`only http, https and mailto links`},
		{"rule for a question no file has", map[string]string{"faq.zh.md": networkZH, FileRules: "intents:\n  - id: x\n    answer: {entry: 没有的问题？}\n    signals:\n      - {all: [x], weight: 0.9}\n"},
			`intents.yaml:2: intent "x" answers with question "没有的问题？", which no Chinese FAQ file has`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeDir(t, tt.files)
			_, err := LoadDir(dir)
			if err == nil {
				t.Fatal("loaded without error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error\n%v\ndoes not contain %q", err, tt.want)
			}
			if !strings.Contains(err.Error(), dir) {
				t.Errorf("error %v does not name the file by its path in %s", err, dir)
			}
		})
	}
}

func TestOperatorRulesTakeMissingMessagesFromTheBuiltIn(t *testing.T) {
	dir := writeDir(t, map[string]string{"faq.zh.md": networkZH,
		FileRules: "messages:\n  none:\n    zh: 这个我不会。\n"})
	kb, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := kb.Message("none", "zh"); got != "这个我不会。" {
		t.Errorf("none = %q, want the operator's", got)
	}
	if got := kb.Message("checknum_usage", "en"); !strings.HasPrefix(got, "Usage: /checknum") {
		t.Errorf("checknum_usage = %q, want the built-in one", got)
	}
	if len(kb.Notes) != 1 || !strings.Contains(kb.Notes[0], "built-in ones are used") {
		t.Errorf("notes = %q", kb.Notes)
	}
}

func TestBuiltInProblemsSayBuiltIn(t *testing.T) {
	kb, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if kb.Rules.File != "built-in intents.yaml" {
		t.Errorf("the built-in rules are named %q", kb.Rules.File)
	}
	for _, s := range kb.Sources {
		if s.From != BuiltIn {
			t.Errorf("source %+v is not built-in", s)
		}
	}
}
