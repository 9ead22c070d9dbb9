package wecom

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/bot/chanstate"
	"github.com/supportbot/supportbot/bot/match"
	"github.com/supportbot/supportbot/knowledge"
)

// statefulHarness is the harness over a bot that keeps conversations and
// a handoff queue (the shared test bot keeps neither), with the console on.
func statefulHarness(t *testing.T, cfg func(*Config)) (*harness, *bot.Bot) {
	t.Helper()
	kb, err := knowledge.Default()
	if err != nil {
		t.Fatal(err)
	}
	norm, err := match.NewNormalizer()
	if err != nil {
		t.Fatal(err)
	}
	b, err := bot.New(kb, norm, bot.WithConversations(bot.NewMemoryConversations(), time.Hour),
		bot.WithHandoffs(bot.NewMemoryHandoffs(), time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	fake := newFakeWeCom(t)
	c := vectorCrypto(t)
	cursors := chanstate.NewMemoryCursors()
	conf := Config{CorpID: vCorpID, AgentID: 218, Secret: "appsecret", KfSecret: "kfsecret", Workers: 2, Console: true}
	if cfg != nil {
		cfg(&conf)
	}
	a := New(b, c, NewClient(fake.srv.URL, vCorpID), chanstate.NewMemoryDedup(), cursors, conf, slog.New(slog.NewTextHandler(io.Discard, nil)))
	mux := http.NewServeMux()
	a.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(func() { srv.Close(); a.Close() })
	return &harness{fake: fake, adapter: a, srv: srv, crypto: c, cursors: cursors}, b
}

// An agent's reply from the console reaches the user in the language of
// their conversation, in the app and in 微信客服.
func TestAgentReplyFollowsTheConversationsLanguage(t *testing.T) {
	tests := []struct {
		name, channel, ask, want, mustNot string
	}{
		{"app, asked in English", "wecom", "let me talk to a human", "Support agent: Hello", "人工客服"},
		{"app, asked in Chinese", "wecom", "转人工", "人工客服：Hello", "Support agent"},
		{"微信客服, asked in English", "wechat-kf", "let me talk to a human", "Support agent: Hello", "人工客服"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, b := statefulHarness(t, nil)
			ctx := context.Background()
			switch tt.channel {
			case "wecom":
				h.post(t, textMsg("lisi", tt.ask, "a1"))
			case "wechat-kf":
				var km KfMessage
				km.MsgID, km.OpenKfID, km.ExternalUserID, km.Origin, km.MsgType = "k1", "wkKF", "wmCUST", 3, "text"
				km.SendTime, km.Text.Content = time.Now().Unix(), tt.ask
				h.adapter.answerKf(ctx, km)
			}
			hs, _ := b.Handoffs(ctx)
			if len(hs) != 1 {
				t.Fatalf("open handoffs: %+v", hs)
			}
			if err := h.adapter.DeliverAgentReply(ctx, hs[0], "Hello"); err != nil {
				t.Fatal(err)
			}
			h.fake.mu.Lock()
			defer h.fake.mu.Unlock()
			sends := h.fake.sends
			if tt.channel == "wechat-kf" {
				sends = h.fake.kfSends
			}
			if len(sends) == 0 {
				t.Fatal("nothing sent")
			}
			got := sends[len(sends)-1]["text"].(map[string]any)["content"].(string)
			if !strings.HasPrefix(got, tt.want) || strings.Contains(got, tt.mustNot) {
				t.Errorf("agent's reply = %q, want %q", got, tt.want)
			}
		})
	}
}
