package retrieval

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Texts here are written as the bot's normaliser leaves them: simplified,
// lower case, punctuation as spaces, no spaces between Chinese characters.
var testDocs = []Doc{
	{Titles: []string{"忘记密码怎么办", "what if i forgot my password"},
		Body: []string{"打开自助门户 点击忘记密码 用手机验证码重置", "open the portal click forgot password and reset it with a code"}},
	{Titles: []string{"vpn连不上怎么办", "what if the vpn wont connect"},
		Parts: []Part{
			{Body: []string{"确认电脑已经连上网络", "check that the computer is online"}},
			{Body: []string{"重新输入账号和密码", "enter your account and password again"}},
			{Body: []string{"仍然连不上 重启电脑后再试", "if it still wont connect restart the computer"}},
		}},
	{Titles: []string{"打印机怎么添加", "how do i add a printer"},
		Body: []string{"在设置里点添加 选择楼层的打印机", "in settings click add and pick your floors printer"}},
}

func TestReadingPieces(t *testing.T) {
	ix := Build(testDocs, [][]string{{"忘记", "忘了", "forgot", "forget"}})
	got := ix.Explain("密码忘了咋办")
	// 忘了 is a synonym member, whole (only its group is in the FAQ,
	// as 忘记), and its characters go with it; 密码 is a pair; 码忘 spans
	// two words and nothing has it; 咋办 asks; 了 is a particle, so no 了咋.
	want := []string{"synonyms#0", "密", "密码|mi ma", "码", "?"}
	var names []string
	for _, p := range got {
		names = append(names, p[:strings.LastIndexByte(p, ':')])
	}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("pieces of 密码忘了咋办 (-want +got):\n%s\nall: %v", diff, got)
	}
	// A homophone typo meets the pair through its pinyin; a pinyin word
	// too; an English typo through its correction.
	for text, wantTok := range map[string]string{"密马": "mi ma", "mima": "mi ma", "pasword": "password"} {
		if e := strings.Join(ix.Explain(text), " "); !strings.Contains(e, wantTok) {
			t.Errorf("%q reads as %s, want %q among its tokens", text, e, wantTok)
		}
	}
}

func TestFindRanksAndPicksSteps(t *testing.T) {
	ix := Build(testDocs, Synonyms())
	tests := []struct {
		text       string
		doc, part  int
		answerable bool
	}{
		{"忘记密码怎么办", 0, 0, true},
		{"what if the vpn wont connect", 1, 0, true},
		{"vpn连不上 重启电脑有用吗", 1, 3, true},
		{"找不到打印机", 2, 0, false},
	}
	for _, tt := range tests {
		hits := ix.Find(tt.text, 3)
		if len(hits) == 0 || hits[0].Doc != tt.doc || hits[0].Part != tt.part {
			t.Errorf("%q: hits %+v, want doc %d part %d first", tt.text, hits, tt.doc, tt.part)
			continue
		}
		if tt.answerable && hits[0].Conf < 0.5 {
			t.Errorf("%q: confidence %.3f, want it answered", tt.text, hits[0].Conf)
		}
	}
	if hits := ix.Find("今天天气怎么样", 3); len(hits) > 0 && hits[0].Conf >= 0.5 {
		t.Errorf("an unrelated message is answered: %+v", hits[0])
	}
	if hits := ix.Find("", 3); hits != nil {
		t.Errorf("an empty message found %v", hits)
	}
}

func TestSynonymsLongestFirst(t *testing.T) {
	tab := newSynonymTable([][]string{{"时间", "time"}, {"多长时间", "多久", "how long"}}, plainStem)
	if m, g := tab.hanMember("多长时间呢"); m != "多长时间" || g != 1 {
		t.Errorf("hanMember = %q, %d; want the longer member 多长时间", m, g)
	}
	if n, k, g := tab.wordMember([]string{"how", "long", "is", "it"}); n != 2 || k != "how long" || g != 1 {
		t.Errorf("wordMember = %d %q %d", n, k, g)
	}
	if n, _, _ := tab.wordMember([]string{"long"}); n != 0 {
		t.Error("the second word of a member matched alone")
	}
}

func TestWithinOneEdit(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"receive", "recieve", true}, {"password", "pasword", true}, {"human", "humna", true},
		{"human", "hunan", true}, {"printer", "prnter", true}, {"vpn", "vpn", true},
		{"human", "women", false}, {"password", "passwords1", false},
	} {
		if got := WithinOneEdit(c.a, c.b); got != c.want {
			t.Errorf("WithinOneEdit(%q, %q) = %v", c.a, c.b, got)
		}
	}
}

func TestSmallFAQsTakeTheFixedCut(t *testing.T) {
	small := Build(testDocs, nil)
	if got, want := small.cutLogit, logit(fixedCut); got != want {
		t.Errorf("a %d-doc FAQ's cut logit %.3f, want the fixed %.3f", len(testDocs), got, want)
	}
	var many []Doc
	for range 4 {
		many = append(many, slices.Clone(testDocs)...)
	}
	for i := range many {
		many[i].Titles = append([]string{string(rune('a'+i)) + " " + many[i].Titles[0]}, many[i].Titles[1:]...)
	}
	large := Build(many, nil)
	if large.cutLogit == logit(fixedCut) {
		t.Error("a 12-doc FAQ did not set its own cut")
	}
}

func logit(p float64) float64 { return math.Log(p / (1 - p)) }
