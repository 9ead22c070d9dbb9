package wecom

// Replies to the app's text messages: passive replies within WeCom's 5
// seconds, kept for its retries; slow or long answers by message/send.

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/handlers/internal/textcut"
)

// answerText answers a text message once. WeCom sends a message again
// when it got no answer within 5 seconds, also when the answer was written
// but lost on the way; the retry gets the reply the first request got, kept
// with the message id, and the bot does not answer the message twice.
func (a *Adapter) answerText(ctx context.Context, w http.ResponseWriter, m message) {
	key := "wecom:msg:" + m.MsgID
	if m.MsgID == "" {
		key = "wecom:msg:" + m.FromUserName + ":" + strconv.FormatInt(m.CreateTime, 10)
	}
	first, err := a.dedup.FirstSeen(ctx, key, a.cfg.DedupTTL)
	if err != nil {
		a.log.Warn("wecom: dedup unavailable, answering anyway", "err", err)
		first = true
	}
	if !first {
		a.log.Debug("wecom: message again, the first reply again", "msgid", m.MsgID)
		if text, ok := a.keptReply(ctx, key); ok && text != "" {
			a.passive(w, m.FromUserName, text)
			return
		}
		w.WriteHeader(http.StatusOK) // answered by message/send, or unknown
		return
	}
	msg := bot.Message{Channel: "wecom", User: m.FromUserName, Text: m.Content, Deferrable: true}
	reply := a.bot.Respond(ctx, msg)
	if reply.Deferred { // the model's answer: after the empty 200, by message/send
		if a.queueLater(ctx, "answer", inboxID(key), laterWork{User: m.FromUserName, Text: m.Content}) {
			a.keepReply(ctx, key, "")
			w.WriteHeader(http.StatusOK)
			return
		}
		// Not taken (the queue is full, or the inbox cannot be written):
		// the rules' answer now, within WeCom's 5 seconds.
		a.pool.Refused("model's answer not queued, answering with the rules")
		msg.Deferrable, msg.Resumed, msg.NoModel = false, true, true
		reply = a.bot.Respond(ctx, msg)
	}
	if reply.Silent {
		a.keepReply(ctx, key, "")
		w.WriteHeader(http.StatusOK) // an agent has this conversation
		return
	}
	text := reply.PlainText()
	if reply.Handoff && !a.handoff("企业微信", m.FromUserName, m.Content, reply.Lang, reply.HandoffID) {
		reply = a.bot.HandoffFailed(ctx, reply) // nobody was told: the bot keeps answering
		text = reply.PlainText()
	}
	if a.clarifyLater(m.FromUserName, reply) {
		a.keepReply(ctx, key, "")
		w.WriteHeader(http.StatusOK) // empty 200 now, the choices as a card
		return
	}
	if len(text) > maxContent {
		lw := laterWork{User: m.FromUserName, Send: reply.Markdown(), Lang: reply.Lang}
		if a.votable(reply) {
			lw.VoteIntent = reply.Intent
		}
		if a.queueLater(ctx, "long answer", inboxID(key), lw) {
			a.keepReply(ctx, key, "")
			w.WriteHeader(http.StatusOK)
			return
		}
		a.pool.Refused("queue full, sending the first part of a long answer")
		text = textcut.Split(text, maxContent, false)[0]
	}
	a.keepReply(ctx, key, text)
	a.passive(w, m.FromUserName, text)
	a.voteAfter(w, m.FromUserName, reply)
}

// retryWait is how long a retry waits for the reply of a first request
// that is still being answered (WeCom retries after 5 seconds).
const retryWait = 3 * time.Second

// keepReply keeps the passive reply to a message for WeCom's retries; ""
// says the answer goes out by message/send.
func (a *Adapter) keepReply(ctx context.Context, key, text string) {
	if err := a.replies.Set(ctx, "wecom:reply:"+key, "r:"+text, false, a.cfg.DedupTTL); err != nil {
		a.log.Warn("wecom: reply not kept for retries", "err", err)
	}
}

// keptReply returns the reply kept for a message, waiting a little when
// the first request is still being answered.
func (a *Adapter) keptReply(ctx context.Context, key string) (string, bool) {
	deadline := a.now().Add(retryWait)
	for {
		v, _, ok, err := a.replies.Get(ctx, "wecom:reply:"+key)
		if err != nil {
			a.log.Warn("wecom: kept reply unavailable", "err", err)
			return "", false
		}
		if ok {
			return strings.TrimPrefix(v, "r:"), true
		}
		if !a.now().Before(deadline) {
			return "", false
		}
		select {
		case <-ctx.Done():
			return "", false
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// passive writes an encrypted text reply to the request.
func (a *Adapter) passive(w http.ResponseWriter, user, text string) {
	plain, err := xml.Marshal(replyText{
		ToUserName: cdata{user}, FromUserName: cdata{a.cfg.CorpID}, CreateTime: a.now().Unix(),
		MsgType: cdata{"text"}, Content: cdata{text},
	})
	if err != nil {
		a.log.Error("wecom: marshal reply", "err", err)
		w.WriteHeader(http.StatusOK)
		return
	}
	enc, err := a.crypto.Encrypt(plain, a.random)
	if err != nil {
		a.log.Error("wecom: encrypt reply", "err", err)
		w.WriteHeader(http.StatusOK)
		return
	}
	ts := strconv.FormatInt(a.now().Unix(), 10)
	nonce := strconv.FormatInt(a.now().UnixNano()%1e9, 10)
	out, _ := xml.Marshal(replyEnvelope{
		Encrypt: cdata{enc}, MsgSignature: cdata{a.crypto.Signature(ts, nonce, enc)}, TimeStamp: ts, Nonce: cdata{nonce},
	})
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.Write(out)
}

// answerLater answers a message whose answer takes time (the fallback
// model) with the API instead of a passive reply.
func (a *Adapter) answerLater(ctx context.Context, user, text string) error {
	reply := a.bot.Respond(ctx, bot.Message{Channel: "wecom", User: user, Text: text, Resumed: true})
	if reply.Silent {
		return nil
	}
	md := reply.Markdown()
	if reply.Handoff && !a.handoff("企业微信", user, text, reply.Lang, reply.HandoffID) {
		reply = a.bot.HandoffFailed(ctx, reply) // nobody was told: the bot keeps answering
		md = reply.Markdown()
	}
	if len(reply.Clarify) > 0 && a.cardsOn() {
		a.sendClarify(ctx, user, reply)
		return nil
	}
	if err := a.sendApp(ctx, user, md); err != nil {
		return err
	}
	a.sendVote(ctx, user, reply)
	return nil
}

// sendApp sends a long answer as markdown messages of at most 2048 bytes.
func (a *Adapter) sendApp(ctx context.Context, user, md string) error {
	for _, part := range textcut.Split(md, maxContent, false) {
		if err := a.api.SendApp(ctx, a.cfg.Secret, a.cfg.AgentID, user, "markdown", part); err != nil {
			return fmt.Errorf("message/send to %s: %w", user, err)
		}
	}
	return nil
}
