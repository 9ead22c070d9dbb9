package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"testing"

	goslack "github.com/slack-go/slack"
)

// encodingJSON is how encoding/json writes v without HTML escaping, which
// appendJSON must match byte for byte.
func encodingJSON(t testing.TB, v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestCommandResponseJSON(t *testing.T) {
	h := newHarness(t, "")
	section := func(text string) goslack.Block {
		return goslack.NewSectionBlock(goslack.NewTextBlockObject(goslack.MarkdownType, text, false, false), nil, nil)
	}
	odd := "quote \" backslash \\ <a href='x'>&amp;</a> \b\f\n\r\t \x00\x01\x1f\x7f \u2028\u2029 \xff\xfe invalid \xe4\xb8 cut 中文 🙂 é"
	responses := []commandResponse{
		ephemeral(commandUsage, nil),
		ephemeral(odd, []goslack.Block{section(odd), section("")}),
		ephemeral("", []goslack.Block{}),
	}
	// Every /checknum verdict: each kind of outcome, several numbers at once.
	for _, text := range []string{"13812345678", "192", "170 1234 5678", "+86 138-1234-5678", "12345678901", "1", "0xff",
		"13812345678 19912345678 14012345678", "１３８１２３４５６７８", "<@U1> 138"} {
		responses = append(responses, h.adapter.command(context.Background(), goslack.SlashCommand{Command: "/checknum", Text: text, UserID: "U1"}))
	}
	for i, c := range responses {
		got, ok := c.appendJSON(nil)
		if !ok {
			t.Errorf("%d: not encoded directly: %+v", i, c)
			continue
		}
		if want := encodingJSON(t, c); !bytes.Equal(got, want) {
			t.Errorf("%d:\n got %s\nwant %s", i, got, want)
		}
	}
	// Other blocks go through encoding/json.
	withButton := h.adapter.command(context.Background(), goslack.SlashCommand{Command: "/faq", Text: "收不到短信", UserID: "U1"})
	if _, ok := withButton.appendJSON(nil); ok {
		t.Error("a response with buttons should not be encoded directly")
	}
	// So does a section with anything more than a text, and anything odd.
	mrkdwn := func() *goslack.TextBlockObject {
		return goslack.NewTextBlockObject(goslack.MarkdownType, "x", false, false)
	}
	verbatim := mrkdwn()
	verbatim.Verbatim = true
	withID := goslack.NewSectionBlock(mrkdwn(), nil, nil, goslack.SectionBlockOptionBlockID("b1"))
	expand := goslack.NewSectionBlock(mrkdwn(), nil, nil)
	expand.Expand = true
	others := map[string]goslack.Block{
		"emoji set":  goslack.NewSectionBlock(goslack.NewTextBlockObject(goslack.PlainTextType, "x", true, false), nil, nil),
		"verbatim":   goslack.NewSectionBlock(verbatim, nil, nil),
		"block id":   withID,
		"fields":     goslack.NewSectionBlock(mrkdwn(), []*goslack.TextBlockObject{mrkdwn()}, nil),
		"expand":     expand,
		"no text":    &goslack.SectionBlock{Type: goslack.MBTSection},
		"nil":        (*goslack.SectionBlock)(nil),
		"a value":    goslack.SectionBlock{Type: goslack.MBTSection, Text: mrkdwn()},
		"a divider":  goslack.NewDividerBlock(),
		"empty text": goslack.NewSectionBlock(&goslack.TextBlockObject{Type: goslack.MarkdownType}, nil, nil),
	}
	for name, b := range others {
		c := ephemeral("x", []goslack.Block{section("first"), b})
		got, ok := c.appendJSON(nil)
		if name == "empty text" { // a plain section after all
			if want := encodingJSON(t, c); !ok || !bytes.Equal(got, want) {
				t.Errorf("%s:\n got %s (%v)\nwant %s", name, got, ok, want)
			}
			continue
		}
		if ok {
			t.Errorf("%s: encoded directly as %s", name, got)
		}
	}
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "a", "\"\\", "\x00\x1f\x7f", "\u2028\u2029", "\xff", "中文\xe4\xb8", "<>&", "\t\n\r\b\f", "\uFFFD", "a\uFFFDb\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := appendJSONString(nil, s)
		want := encodingJSON(t, s)
		if !bytes.Equal(append(got, '\n'), want) {
			t.Errorf("%s:\n got %s\nwant %s", strconv.Quote(s), got, want)
		}
	})
}
