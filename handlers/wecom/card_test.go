package wecom

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/supportbot/supportbot/bot"
)

// cardHarness is a stateful harness whose app keeps votes.
func cardHarness(t *testing.T) (*harness, *bot.MemoryFeedback) {
	t.Helper()
	fb := bot.NewMemoryFeedback(10)
	h, _ := statefulHarness(t, func(c *Config) { c.Feedback = fb })
	return h, fb
}

// cardPress is the template_card_event of a pressed button.
func cardPress(user, key, task, code string) string {
	return "<xml><ToUserName><![CDATA[" + vCorpID + "]]></ToUserName><FromUserName><![CDATA[" + user +
		"]]></FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[event]]></MsgType>" +
		"<Event><![CDATA[template_card_event]]></Event><EventKey><![CDATA[" + key + "]]></EventKey><TaskId><![CDATA[" + task +
		"]]></TaskId><CardType><![CDATA[button_interaction]]></CardType><ResponseCode><![CDATA[" + code +
		"]]></ResponseCode><AgentID>218</AgentID></xml>"
}

// sent waits until the fake has n app messages and returns them.
func (h *harness) sent(t *testing.T, n int) []map[string]any {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		h.fake.mu.Lock()
		got := append([]map[string]any(nil), h.fake.sends...)
		h.fake.mu.Unlock()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d app messages sent, want %d: %v", len(got), n, got)
		}
	}
}

// card reads a template card message: its title, text and buttons' texts
// and keys.
func card(t *testing.T, m map[string]any) (title, sub string, texts, keys []string) {
	t.Helper()
	c, ok := m["template_card"].(map[string]any)
	if m["msgtype"] != "template_card" || !ok || c["card_type"] != "button_interaction" || m["agentid"] != float64(218) {
		t.Fatalf("not a button_interaction card of the app: %v", m)
	}
	if id, _ := c["task_id"].(string); id == "" || len(id) > 128 || strings.Trim(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-@") != "" {
		t.Errorf("task_id %q: WeCom wants 1 to 128 of [0-9A-Za-z_-@]", c["task_id"])
	}
	title, _ = c["main_title"].(map[string]any)["title"].(string)
	sub, _ = c["sub_title_text"].(string)
	for _, b := range c["button_list"].([]any) {
		b := b.(map[string]any)
		texts, keys = append(texts, b["text"].(string)), append(keys, b["key"].(string))
	}
	return title, sub, texts, keys
}

func content(m map[string]any) string {
	for _, kind := range []string{"markdown", "text"} {
		if c, ok := m[kind].(map[string]any); ok {
			return c["content"].(string)
		}
	}
	return ""
}

// A clarify question comes as a card of its options; pressing one answers
// it as if its number were typed (and a retried press is taken once); the
// answer then gets a 👍/👎 card, and a vote is kept.
func TestClarifyAndVoteCards(t *testing.T) {
	h, fb := cardHarness(t)
	kb := newBot(t).KB()
	if code, body := h.post(t, textMsg("lisi", "短信是要重发，还是被拦截了", "c1")); code != 200 || body != "" {
		t.Fatalf("clarify question: %d %q, want an empty 200 (the card follows)", code, body)
	}
	title, sub, texts, keys := card(t, h.sent(t, 1)[0])
	if title != kb.Message("clarify_card", "zh") || len(keys) != 2 || !strings.Contains(sub, "1. ") || !strings.Contains(sub, "2. ") {
		t.Fatalf("clarify card: title %q, text %q, buttons %q %q", title, sub, texts, keys)
	}
	for i, text := range texts {
		if n := fmt.Sprint(i + 1); !strings.HasPrefix(text, n+". ") || !strings.HasPrefix(keys[i], "clarify|"+n+"|zh|") || len([]rune(text)) > cardButtonRunes {
			t.Errorf("button %d: %q %q", i+1, text, keys[i])
		}
	}
	chosen := strings.SplitN(keys[1], "|", 4)[3]
	for i := 0; i < 2; i++ { // WeCom retries a callback it got no answer to in time
		if code, body := h.post(t, cardPress("lisi", keys[1], "task-c1", "rc-1")); code != 200 || body != "" {
			t.Fatalf("press %d: %d %q", i+1, code, body)
		}
	}
	sends := h.sent(t, 3)
	if want := newBot(t).AnswerIntent(chosen, "zh").Markdown(); sends[1]["msgtype"] != "markdown" || content(sends[1]) != want {
		t.Errorf("answer to the choice: %v, want the answer of %s:\n%s", sends[1], chosen, want)
	}
	vtitle, _, vtexts, vkeys := card(t, sends[2])
	if vtitle != kb.Message("feedback_ask", "zh") || len(vkeys) != 2 || vkeys[0] != "vote|up|zh|"+chosen || vkeys[1] != "vote|down|zh|"+chosen ||
		vtexts[0] != kb.Message("feedback_helpful", "zh") {
		t.Errorf("feedback card: %q %q %q", vtitle, vtexts, vkeys)
	}
	if code, _ := h.post(t, cardPress("lisi", vkeys[1], "task-v1", "rc-2")); code != 200 {
		t.Fatalf("vote: %d", code)
	}
	h.adapter.Close()
	if got := fb.All(); len(got) != 1 || got[0].Channel != "wecom" || got[0].User != "lisi" || got[0].Intent != chosen || got[0].Helpful {
		t.Errorf("votes kept: %+v", got)
	}
	h.fake.mu.Lock()
	defer h.fake.mu.Unlock()
	if n := len(h.fake.sends); n != 3 {
		t.Errorf("%d app messages, want 3 (the retried press answered once): %v", n, h.fake.sends)
	}
	var updates []string
	for _, u := range h.fake.updates {
		updates = append(updates, fmt.Sprint(u["response_code"], " ", u["button"].(map[string]any)["replace_name"], " ", u["userids"]))
	}
	if got, want := strings.Join(updates, "; "), "rc-1 已选择 [lisi]; rc-2 谢谢您的反馈！ [lisi]"; got != want {
		t.Errorf("cards updated: %s, want %s", got, want)
	}
}

// The choice on a card answers the conversation: a later "1" is not taken
// as a choice again.
func TestCardChoiceEndsTheClarifyQuestion(t *testing.T) {
	h, _ := cardHarness(t)
	h.post(t, textMsg("lisi", "短信是要重发，还是被拦截了", "c2"))
	_, _, _, keys := card(t, h.sent(t, 1)[0])
	h.post(t, cardPress("lisi", keys[0], "task-c2", "rc-3"))
	h.sent(t, 2)
	_, body := h.post(t, textMsg("lisi", "1", "c3"))
	first := newBot(t).AnswerIntent(strings.SplitN(keys[0], "|", 4)[3], "zh").PlainText()
	if r := h.openReply(t, body); r.Content.Text == first {
		t.Errorf("a later 1 was taken as the first option again: %q", r.Content.Text)
	}
}

// An answer from the FAQ is the passive reply as before, followed by its
// 👍/👎 card; without a place to keep votes, there is no card.
func TestAnswerThenVoteCard(t *testing.T) {
	h, _ := cardHarness(t)
	_, body := h.post(t, textMsg("lisi", "短信被拦截了怎么办", "a1"))
	if r := h.openReply(t, body); !strings.Contains(r.Content.Text, "手机管家") {
		t.Fatalf("passive answer: %q", r.Content.Text)
	}
	if _, _, _, keys := card(t, h.sent(t, 1)[0]); len(keys) != 2 || keys[0] != "vote|up|zh|sms_missing.blocked" {
		t.Errorf("vote keys %q", keys)
	}

	plain := newHarness(t) // no feedback store
	plain.post(t, textMsg("lisi", "短信被拦截了怎么办", "a2"))
	plain.adapter.Close()
	plain.fake.mu.Lock()
	defer plain.fake.mu.Unlock()
	if len(plain.fake.sends) != 0 {
		t.Errorf("app messages without a feedback store: %v", plain.fake.sends)
	}
}

// When WeCom refuses the card, the choices come as text, as before; 微信客服,
// which has no cards, gets them as text.
func TestClarifyTextFallback(t *testing.T) {
	h, _ := cardHarness(t)
	h.fake.refuseCard = true
	h.post(t, textMsg("lisi", "短信是要重发，还是被拦截了", "f1"))
	sends := h.sent(t, 2)
	if sends[0]["msgtype"] != "template_card" || sends[1]["msgtype"] != "markdown" || !strings.Contains(content(sends[1]), "2. ") {
		t.Errorf("after a refused card: %v", sends)
	}

	kf, _ := cardHarness(t)
	var km KfMessage
	km.MsgID, km.OpenKfID, km.ExternalUserID, km.Origin, km.MsgType = "kc1", "wkKF", "wmCUST", 3, "text"
	km.SendTime, km.Text.Content = time.Now().Unix(), "短信是要重发，还是被拦截了"
	kf.adapter.answerKf(context.Background(), km)
	kf.adapter.Close()
	kf.fake.mu.Lock()
	defer kf.fake.mu.Unlock()
	if len(kf.fake.sends) != 0 || len(kf.fake.kfSends) != 1 || !strings.Contains(content(kf.fake.kfSends[0]), "2. ") {
		t.Errorf("微信客服: app %v, kf %v", kf.fake.sends, kf.fake.kfSends)
	}
}

// A card press is a callback like any other: a forged or stale one is
// refused, a key the bot did not make is ignored.
func TestCardPressesAreVerified(t *testing.T) {
	h, fb := cardHarness(t)
	press := cardPress("lisi", "vote|up|zh|sms_missing.blocked", "task-x", "rc-x")
	enc, err := h.crypto.Encrypt([]byte(press), strings.NewReader(strings.Repeat("r", 64)))
	if err != nil {
		t.Fatal(err)
	}
	q := url.Values{"msg_signature": {strings.Repeat("0", 40)}, "timestamp": {"1700000000"}, "nonce": {"1"}}
	resp, err := http.Post(h.srv.URL+"/wecom/callback?"+q.Encode(), "text/xml",
		strings.NewReader("<xml><ToUserName><![CDATA["+vCorpID+"]]></ToUserName><Encrypt><![CDATA["+enc+"]]></Encrypt></xml>"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("forged press: %d, want 403", resp.StatusCode)
	}
	h.adapter.cfg.MaxClockSkew = time.Minute // the harness signs 1700000000
	if code, _ := h.post(t, press); code != http.StatusForbidden {
		t.Errorf("stale press: %d, want 403", code)
	}
	h.adapter.cfg.MaxClockSkew = 0
	if code, _ := h.post(t, cardPress("lisi", "vote|maybe|zh|x", "task-y", "rc-y")); code != 200 {
		t.Errorf("unknown key: %d", code)
	}
	h.adapter.Close()
	if got := fb.All(); len(got) != 0 {
		t.Errorf("votes kept: %+v", got)
	}
}
