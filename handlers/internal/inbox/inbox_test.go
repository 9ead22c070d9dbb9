package inbox

import (
	"strings"
	"testing"
)

// TestSealedEntriesHoldNoClearText: what the database keeps of a message
// is sealed; under other secrets, or for another channel, it cannot be
// opened.
func TestSealedEntriesHoldNoClearText(t *testing.T) {
	k := New(nil, "slack", []byte("one"), nil, nil, nil)
	b := k.seal([]byte(`{"t":"13812345678 收不到"}`))
	if strings.Contains(string(b), "13812345678") || strings.Contains(string(b), "收不到") {
		t.Error("sealed entry holds the text")
	}
	if plain, err := k.open(b); err != nil || string(plain) != `{"t":"13812345678 收不到"}` {
		t.Errorf("open: %q %v", plain, err)
	}
	if _, err := New(nil, "slack", []byte("two"), nil, nil, nil).open(b); err == nil {
		t.Error("opened under other secrets")
	}
	if _, err := New(nil, "wecom", []byte("one"), nil, nil, nil).open(b); err == nil {
		t.Error("opened for another channel")
	}
}
