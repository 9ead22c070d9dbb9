package wecom

// 微信客服: the customers' messages are pulled with sync_msg and answered
// with send_msg.

import (
	"context"
	"sync"
	"time"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/handlers/internal/textcut"
)

// syncKf pulls the 微信客服 messages the event announced and answers each
// customer text message once.
func (a *Adapter) syncKf(ctx context.Context, token, openKfID string) {
	mu, _ := a.kfLocks.LoadOrStore(openKfID, &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()
	key := "wecom:kf:cursor:" + openKfID
	cursor, err := a.cursors.Get(ctx, key)
	if err != nil {
		a.log.Error("wecom: read 微信客服 cursor", "err", err)
		return
	}
	for page := 0; page < 100; page++ {
		msgs, next, more, err := a.api.KfSync(ctx, a.cfg.KfSecret, cursor, token, openKfID)
		if err != nil {
			a.log.Error("wecom: kf/sync_msg", "open_kfid", openKfID, "err", err)
			return
		}
		for _, km := range msgs {
			a.answerKf(ctx, km)
		}
		if next != "" {
			cursor = next
			if err := a.cursors.Set(ctx, key, cursor); err != nil {
				a.log.Error("wecom: save 微信客服 cursor", "err", err)
			}
		}
		if !more {
			return
		}
	}
}

func (a *Adapter) answerKf(ctx context.Context, km KfMessage) {
	if km.Origin != 3 { // only what customers send
		return
	}
	if sent := time.Unix(km.SendTime, 0); km.SendTime > 0 && a.now().Sub(sent) > kfWindow {
		return // outside the window in which 微信客服 lets us answer
	}
	first, err := a.dedup.FirstSeen(ctx, "wecom:kf:"+km.MsgID, a.cfg.DedupTTL)
	if err != nil {
		a.log.Warn("wecom: dedup unavailable, answering anyway", "err", err)
		first = true
	}
	if !first {
		return
	}
	var text string
	lang := "zh"
	if km.MsgType == "text" {
		// Thread names the 微信客服 account: an agent's reply goes out through it.
		reply := a.bot.Respond(ctx, bot.Message{Channel: "wechat-kf", User: km.ExternalUserID, Thread: km.OpenKfID, Text: km.Text.Content})
		if reply.Silent {
			return
		}
		text, lang = reply.PlainText(), reply.Lang
		if reply.Handoff && !a.handoff("微信客服", km.ExternalUserID, km.Text.Content, lang, reply.HandoffID) {
			text = a.bot.HandoffFailed(ctx, reply).PlainText() // nobody was told: the bot keeps answering
		}
	} else {
		text = a.bot.Text("text_only", lang, nil)
	}
	parts := textcut.Split(text, maxContent, false)
	if len(parts) > kfMaxReplies {
		parts = parts[:kfMaxReplies]
	}
	for _, p := range parts {
		if err := a.api.KfSendText(ctx, a.cfg.KfSecret, km.ExternalUserID, km.OpenKfID, p); err != nil {
			a.log.Error("wecom: kf/send_msg", "err", err)
			return
		}
	}
}
