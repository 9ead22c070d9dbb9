package knowledge

import "testing"

func TestDefaultLoads(t *testing.T) {
	kb, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d zh entries, %d prefixes, %d intents", len(kb.ZH.Entries), len(kb.ZH.Prefixes), len(kb.Rules.Intents))
	for _, e := range kb.ZH.Entries {
		t.Logf("%d %q intro=%v items=%d ordered=%v", e.Line, e.Question, e.Intro, len(e.Items), e.Ordered)
		for _, it := range e.Items {
			t.Logf("   %d %v sub=%d table=%v", it.Line, it.Text, len(it.Sub), it.Table)
		}
	}
}
