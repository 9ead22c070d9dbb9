// Package wecom is the WeCom (企业微信) channel: the self-built app's
// encrypted callback (employees), 微信客服 (external WeChat customers), and
// the group robot for notifying agents.
//
// Quick answers go back as passive encrypted replies inside WeCom's 5
// seconds; long ones are acknowledged with an empty 200 and sent with the
// API. WeCom retries a message it got no answer to, so MsgIds are
// deduplicated.
package wecom

import (
	"context"
	"crypto/rand"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/bot/chanstate"
	"github.com/supportbot/supportbot/bot/phone"
	"github.com/supportbot/supportbot/handlers/internal/inbox"
	"github.com/supportbot/supportbot/handlers/internal/textcut"
	"github.com/supportbot/supportbot/handlers/internal/workq"
)

// Bot is what the adapter needs of the bot.
type Bot interface {
	Respond(ctx context.Context, msg bot.Message) bot.Reply
	Text(name, lang string, vars map[string]string) string
	// HandoffFailed ends the handoff of r, whose notice reached no agent,
	// and returns the answer the user gets instead.
	HandoffFailed(ctx context.Context, r bot.Reply) bot.Reply
	// RefuseHandoff ends a handoff nobody was told of, so the bot answers
	// that conversation again; it counts as no handoff.
	RefuseHandoff(ctx context.Context, id string) error
}

// Config holds the channel's settings.
type Config struct {
	CorpID       string
	AgentID      int
	Secret       string // the app's secret, for message/send
	KfSecret     string // 微信客服's secret; empty: 微信客服 is off
	RobotWebhook string // group robot URL for handoff notices; empty: none
	Workers      int
	Queue        int
	DedupTTL     time.Duration
	// MaxClockSkew refuses callbacks whose signed timestamp is further
	// than this from now, so that a recorded request replayed later is
	// not answered again; 0 turns the check off.
	MaxClockSkew time.Duration
	MaxBody      int64
	// Inbox, when set, keeps the work done after the empty 200 (model
	// answers, long answers) until it is done, across shutdowns and
	// crashes; InboxSecret derives the key it is sealed with.
	Inbox       bot.Inbox
	InboxSecret []byte
	// Replies keeps the reply to each message id for WeCom's retries,
	// shared by the replicas (Redis); nil: this process keeps them.
	Replies bot.AnswerCache
	// Console: the admin console is on, so agents see handoffs there and
	// can reply from it, with or without RobotWebhook.
	Console bool
	// Feedback keeps the 👍/👎 pressed on the app's answer cards; nil: no
	// vote cards.
	Feedback bot.FeedbackStore
}

// maxContent is WeCom's limit on one message's content, in bytes.
const maxContent = 2048

// kfWindow is how long after a customer's message 微信客服 lets us answer.
const kfWindow = 48 * time.Hour

// kfMaxReplies is how many messages 微信客服 accepts per customer message.
const kfMaxReplies = 5

// Adapter serves one WeCom corp's callbacks.
type Adapter struct {
	bot     Bot
	crypto  *Crypto
	api     *Client
	dedup   chanstate.Dedup
	replies bot.AnswerCache
	cursors chanstate.Cursors
	cfg     Config
	log     *slog.Logger
	now     func() time.Time
	random  io.Reader

	kfLocks sync.Map // open_kfid -> *sync.Mutex: one sync at a time per account

	pool *workq.Pool // slow answers, long answers, 微信客服 syncs, robot notices

	inbox *inbox.Keeper // nil without Config.Inbox
}

// New returns an adapter; Start it before serving.
func New(b Bot, crypto *Crypto, api *Client, dedup chanstate.Dedup, cursors chanstate.Cursors, cfg Config, log *slog.Logger) *Adapter {
	if cfg.Workers <= 0 {
		cfg.Workers = 8
	}
	if cfg.Queue <= 0 {
		cfg.Queue = 1024
	}
	if cfg.DedupTTL <= 0 {
		cfg.DedupTTL = 15 * time.Minute
	}
	// A message id must be remembered for as long as its callback can come
	// again: its timestamp may be MaxClockSkew ahead, and late as much.
	cfg.DedupTTL = max(cfg.DedupTTL, 2*cfg.MaxClockSkew)
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 256 << 10
	}
	replies := cfg.Replies
	if replies == nil {
		replies = bot.NewMemoryAnswerCache(4096)
	}
	a := &Adapter{bot: b, crypto: crypto, api: api, dedup: dedup, replies: replies, cursors: cursors, cfg: cfg, log: log,
		now: time.Now, random: rand.Reader, pool: workq.New("wecom", cfg.Workers, cfg.Queue, 2*time.Minute, log)}
	if cfg.Inbox != nil {
		a.inbox = inbox.New(cfg.Inbox, "wecom", cfg.InboxSecret, a.pool, log, a.doLater)
	}
	return a
}

// Close stops taking work and waits for the queued sends, for at most 20
// seconds. Call it after the HTTP server has stopped.
func (a *Adapter) Close() { a.CloseWithin(20 * time.Second) }

// CloseWithin is Close with a deadline of d.
func (a *Adapter) CloseWithin(d time.Duration) {
	if a.inbox != nil {
		a.inbox.Close(d)
		return
	}
	a.pool.Close(d)
}

// Start answers what an earlier run took and did not do, and keeps this
// replica's inbox entries, until ctx ends or the adapter closes; without
// an inbox it does nothing.
func (a *Adapter) Start(ctx context.Context) {
	if a.inbox != nil {
		a.inbox.Start(ctx)
	}
}

// later queues f for a worker; false when the queue is full.
func (a *Adapter) later(name string, f func(context.Context) error) bool {
	return a.pool.Add(workq.Job{Name: name, Run: f})
}

// WorkCounts returns the work refused (queue full), abandoned at shutdown
// and failed (a send WeCom refused) since the start, for metrics.
func (a *Adapter) WorkCounts() (refused, abandoned, failed int64) {
	c := a.pool.Counts()
	return c.Refused, c.Abandoned, c.Failed
}

// Register adds the callback routes to mux.
func (a *Adapter) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /wecom/callback", a.verifyURL)
	mux.HandleFunc("POST /wecom/callback", a.callback)
}

// verifyURL answers WeCom's URL check with the decrypted echostr.
func (a *Adapter) verifyURL(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	echo := q.Get("echostr")
	if err := a.crypto.Verify(q.Get("msg_signature"), q.Get("timestamp"), q.Get("nonce"), echo); err != nil {
		a.log.Warn("wecom: URL check refused", "reason", err)
		http.Error(w, "invalid signature", http.StatusForbidden)
		return
	}
	plain, err := a.crypto.Decrypt(echo)
	if err != nil {
		a.log.Warn("wecom: URL check echostr", "err", err)
		http.Error(w, "invalid echostr", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	w.Write(plain)
}

func (a *Adapter) callback(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.cfg.MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			a.log.Warn("wecom: callback body too large", "limit", a.cfg.MaxBody)
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	var env envelope
	if err := xml.Unmarshal(body, &env); err != nil || env.Encrypt == "" {
		a.log.Warn("wecom: malformed callback XML", "err", err)
		http.Error(w, "malformed XML", http.StatusBadRequest)
		return
	}
	q := r.URL.Query()
	if err := a.crypto.Verify(q.Get("msg_signature"), q.Get("timestamp"), q.Get("nonce"), env.Encrypt); err != nil {
		a.log.Warn("wecom: callback refused", "reason", err)
		http.Error(w, "invalid signature", http.StatusForbidden)
		return
	}
	if err := a.fresh(q.Get("timestamp")); err != nil {
		a.log.Warn("wecom: callback refused", "reason", err)
		http.Error(w, "stale timestamp", http.StatusForbidden)
		return
	}
	plain, err := a.crypto.Decrypt(env.Encrypt)
	if err != nil {
		a.log.Warn("wecom: callback decrypt", "err", err)
		http.Error(w, "cannot decrypt", http.StatusBadRequest)
		return
	}
	m, err := parseMessage(plain)
	if err != nil {
		a.log.Warn("wecom: malformed message", "err", err)
		http.Error(w, "malformed message", http.StatusBadRequest)
		return
	}
	a.handle(r.Context(), w, m)
}

// fresh checks a signed callback's timestamp against the clock.
func (a *Adapter) fresh(timestamp string) error {
	if a.cfg.MaxClockSkew <= 0 {
		return nil
	}
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("timestamp %q is not a number", timestamp)
	}
	if d := a.now().Sub(time.Unix(ts, 0)); d > a.cfg.MaxClockSkew || d < -a.cfg.MaxClockSkew {
		return fmt.Errorf("timestamp is %v from now, more than WECOM_MAX_CLOCK_SKEW (%v)", d.Round(time.Second), a.cfg.MaxClockSkew)
	}
	return nil
}

// handle answers one decrypted message or event.
func (a *Adapter) handle(ctx context.Context, w http.ResponseWriter, m message) {
	switch {
	case m.MsgType == "event" && m.Event == "kf_msg_or_event":
		if a.cfg.KfSecret == "" {
			a.log.Warn("wecom: 微信客服 event, but WECOM_KF_SECRET is not set")
			break
		}
		token, kf := m.Token, m.OpenKfID
		if !a.later("微信客服 sync", func(ctx context.Context) error { a.syncKf(ctx, token, kf); return nil }) {
			a.pool.Refused("queue full, 微信客服 sync postponed to the next event")
		}
	case m.MsgType == "event" && m.Event == "template_card_event":
		if !a.cardEvent(ctx, m) {
			http.Error(w, "busy, retry", http.StatusServiceUnavailable)
			return
		}
	case m.MsgType == "event":
		// enter_agent, subscribe and the like need no answer.
	case m.MsgType == "text":
		a.answerText(ctx, w, m)
		return
	default:
		lang := "zh"
		a.passive(w, m.FromUserName, a.bot.Text("text_only", lang, nil))
		return
	}
	w.WriteHeader(http.StatusOK)
}

// handoff tells agents of a handoff the bot opened (it opens one only when
// the robot or the console sees WeCom) through the group robot, when set.
// It reports whether someone will see it: false when the notice could not
// be queued and there is no console. When the robot's notice fails later
// and there is no console, the handoff is ended then, so the user is not
// left waiting for nobody.
func (a *Adapter) handoff(channel, user, text, lang, handoffID string) bool {
	if a.cfg.RobotWebhook == "" {
		return true // the console sees it
	}
	notice := a.bot.Text("handoff_notice", lang, map[string]string{"channel": inert(channel), "user": inert(user), "text": phone.MaskText(inert(textcut.Truncate(text, 300)))})
	if !a.later("robot notice", func(ctx context.Context) error {
		err := a.api.Robot(ctx, a.cfg.RobotWebhook, notice)
		if err != nil && !a.cfg.Console && handoffID != "" {
			a.bot.RefuseHandoff(ctx, handoffID) // nobody was told: the bot answers this user again
		}
		return err
	}) {
		a.pool.Refused("queue full, handoff notice not sent")
		return a.cfg.Console
	}
	return true
}

// inertMarkdown turns what a user wrote into text that WeCom's markdown
// shows as it is: no links, emphasis, quotes or tags of its own (WeCom's
// markdown has no escapes, so the marks become their full-width twins),
// and one line, so that no forged "> 用户：…" line reaches the agents.
var inertMarkdown = strings.NewReplacer(
	"\r\n", " ", "\n", " ", "\r", " ",
	"[", "［", "]", "］", "(", "（", ")", "）", "<", "＜", ">", "＞",
	"*", "＊", "`", "｀", "#", "＃", "_", "＿", "~", "～",
)

func inert(s string) string { return inertMarkdown.Replace(s) }

// DeliverAgentReply sends what an agent wrote in the admin console to the
// user of a handoff: an app message for 企业微信 users, a 微信客服 message
// for WeChat customers.
func (a *Adapter) DeliverAgentReply(ctx context.Context, h bot.Handoff, text string) error {
	parts := textcut.Split(a.bot.Text("agent_reply", h.Lang, map[string]string{"text": text}), maxContent, false)
	for _, p := range parts {
		var err error
		switch h.Channel {
		case "wecom":
			err = a.api.SendApp(ctx, a.cfg.Secret, a.cfg.AgentID, h.User, "text", p)
		case "wechat-kf":
			if h.Thread == "" {
				return fmt.Errorf("handoff %s has no 微信客服 account", h.ID)
			}
			err = a.api.KfSendText(ctx, a.cfg.KfSecret, h.User, h.Thread, p)
		default:
			return fmt.Errorf("wecom cannot deliver to channel %q", h.Channel)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
