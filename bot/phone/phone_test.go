package phone

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/supportbot/supportbot/knowledge"
)

func TestExtractNumbers(t *testing.T) {
	kb, err := knowledge.Default()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		text string
		want []string // normalized, or "!input" for an invalid one
	}{
		{"我的号码是13812345678，收不到短信", []string{"13812345678"}},
		{"+86 192 1234 5678 收不到", []string{"19212345678"}},
		{"13812345678 13912345678 都收不到", []string{"13812345678", "13912345678"}},
		{"192号段能收到吗", []string{"192"}},
		{"is 170 supported", []string{"170"}},
		{"等了120秒还没收到短信", nil},
		{"第150步", nil},
		{"24小时内没完成", nil},
		{"1381234567 收不到", []string{"!1381234567"}},
		{"号码 138****5678 没收到", []string{"138"}},
		{"订单号 20240101123", nil},
		{"我的号码是+1 415 555 0100，收不到短信", []string{"!+1 415 555 0100"}},
		{"+852 9123 4567 收不到验证码", []string{"!+852 9123 4567"}},
		{"积分+100", nil},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, numberList(Extract(kb, tt.text))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// numberList lists numbers as the tests above write them: normalized, or
// "!input" for an invalid one.
func numberList(nums []Number) []string {
	var out []string
	for _, n := range nums {
		if n.Valid {
			out = append(out, n.Normalized)
		} else {
			out = append(out, "!"+n.Input)
		}
	}
	return out
}

func TestMaskText(t *testing.T) {
	tests := map[string]string{
		"号码13812345678收不到":     "号码138****5678收不到",
		"+86 138 1234 5678":    "+86 138****5678",
		"order 2024010112345":  "order 202******2345",
		"no number here":       "no number here",
		"192号段":                "192号段",
		"call 19212345678 now": "call 192****5678 now",
		"号码１３８１２３４５６７８":        "号码138****5678",
		"全角 １９２ 号段，（）":         "全角 １９２ 号段，（）",
		"call +1 415 555 0100": "call +1 ******0100",
		"+852 9123 4567":       "+852 ****4567",
	}
	for in, want := range tests {
		if got := MaskText(in); got != want {
			t.Errorf("MaskText(%q) = %q, want %q", in, got, want)
		}
	}
}
