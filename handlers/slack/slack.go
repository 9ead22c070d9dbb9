// Package slack is the Slack channel: the Events API (direct messages and
// mentions), the /checknum and /faq slash commands, the buttons under the
// bot's answers, the Home tab, and Socket Mode for workspaces without a
// public URL.
//
// Every request is verified on its raw body before it is parsed and acked
// at once; answers are produced afterwards on a bounded pool of workers.
package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	goslack "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/bot/phone"
	"github.com/supportbot/supportbot/handlers/internal/workq"
)

// Bot is what the adapter needs of the bot.
type Bot interface {
	Respond(ctx context.Context, msg bot.Message) bot.Reply
	// CheckNumbers answers /checknum without touching the conversation.
	CheckNumbers(ctx context.Context, channel, user, args, lang string) bot.Reply
	AnswerIntent(intent, lang string) bot.Reply
	// Text is one of the bot's own messages in lang, placeholders filled.
	Text(name, lang string, vars map[string]string) string
	// Home is the bot's Home tab in lang: what it answers, how to use it.
	Home(lang string) bot.Reply
	// ConversationLang is the language of the conversation msg would
	// continue; "" when unknown.
	ConversationLang(ctx context.Context, msg bot.Message) string
	// Resolve ends a handoff, so the bot answers that conversation again.
	Resolve(ctx context.Context, id string) error
	// HandoffFailed ends the handoff of r, whose notice reached no agent,
	// and returns the answer the user gets instead.
	HandoffFailed(ctx context.Context, r bot.Reply) bot.Reply
}

// API is the part of the Slack Web API the adapter calls; *goslack.Client
// is one.
type API interface {
	AuthTestContext(ctx context.Context) (*goslack.AuthTestResponse, error)
	PostMessageContext(ctx context.Context, channelID string, options ...goslack.MsgOption) (string, string, error)
	GetPermalinkContext(ctx context.Context, params *goslack.PermalinkParameters) (string, error)
	PublishViewContext(ctx context.Context, req goslack.PublishViewContextRequest) (*goslack.ViewResponse, error)
}

var _ API = (*goslack.Client)(nil)

// Config holds the adapter's settings.
type Config struct {
	SigningSecret string // verifies HTTP requests; empty in Socket Mode only
	AgentChannel  string // where "talk to a person" notices go; empty: nowhere
	// AgentIDs are the users who may resolve handoffs from anywhere;
	// anyone acting in AgentChannel may too.
	AgentIDs []string
	// Console: the admin console is on, so agents see handoffs there and
	// can reply to Slack users from it, with or without AgentChannel.
	Console  bool
	Workers  int // answers produced at once (default 16)
	Queue    int // answers waiting for a worker (default 1024)
	DedupTTL time.Duration
	MaxBody  int64
	// Inbox, when set, keeps every acknowledged event until it is
	// answered, across shutdowns and crashes (see inbox.go); InboxSecret
	// derives the key it is sealed with.
	Inbox       bot.Inbox
	InboxSecret []byte
	// PostDeadline is how long an answer is kept trying through rate
	// limits and server errors before it counts as failed (default 4m).
	PostDeadline time.Duration
}

// Adapter connects the bot to one Slack workspace.
type Adapter struct {
	bot      Bot
	api      API
	dedup    bot.Dedup
	feedback bot.FeedbackStore
	cfg      Config
	log      *slog.Logger
	verifier *verifier
	http     *http.Client // for response_url follow-ups
	now      func() time.Time

	mu        sync.RWMutex
	botUserID string

	pool        *workq.Pool  // answers and button presses, after the ack
	pausedUntil atomic.Int64 // unix nanos: Slack's rate limit holds every post until then
	socket      atomic.Int32 // socketOff, socketConnecting or socketConnected
	owner       string       // this replica, in the inbox
	sealer      sealer
	lease, tick time.Duration  // inboxLease, inboxTick; tests shorten them
	bg          sync.WaitGroup // the auth.test retries, the inbox's keeper
	closing     sync.Once
	stopped     chan struct{}
}

// New returns an adapter; Start it before serving.
func New(b Bot, api API, dedup bot.Dedup, feedback bot.FeedbackStore, cfg Config, log *slog.Logger) *Adapter {
	if cfg.Workers <= 0 {
		cfg.Workers = 16 // answers mostly wait on Slack's API (and the model)
	}
	if cfg.Queue <= 0 {
		cfg.Queue = 1024
	}
	if cfg.DedupTTL <= 0 {
		cfg.DedupTTL = 15 * time.Minute
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 1 << 20
	}
	if cfg.PostDeadline <= 0 {
		cfg.PostDeadline = 4 * time.Minute
	}
	return &Adapter{
		bot: b, api: api, dedup: dedup, feedback: feedback, cfg: cfg, log: log, verifier: newVerifier(cfg.SigningSecret),
		http: &http.Client{Timeout: 10 * time.Second}, now: time.Now,
		pool: workq.New("slack", cfg.Workers, cfg.Queue, cfg.PostDeadline+time.Minute, log), stopped: make(chan struct{}),
		owner: newOwner(), sealer: newSealer(cfg.InboxSecret), lease: inboxLease, tick: inboxTick,
	}
}

// Start learns the bot's own user id (auth.test), retrying in the
// background while Slack cannot be reached.
func (a *Adapter) Start(ctx context.Context) {
	if a.cfg.Inbox != nil {
		a.bg.Add(1)
		go a.keepInbox(ctx)
	}
	a.bg.Add(1)
	go func() {
		defer a.bg.Done()
		for wait := time.Second; ; wait = min(2*wait, time.Minute) {
			actx, cancel := context.WithTimeout(ctx, 10*time.Second)
			resp, err := a.api.AuthTestContext(actx)
			cancel()
			if err == nil {
				a.mu.Lock()
				a.botUserID = resp.UserID
				a.mu.Unlock()
				a.log.Info("slack: web API reachable, token accepted", "team", resp.Team, "bot_user", resp.UserID)
				return
			}
			a.log.Error("slack: auth.test failed; check SLACK_BOT_TOKEN and that Slack is reachable", "err", err, "retry_in", wait)
			select {
			case <-ctx.Done():
				return
			case <-a.stopped:
				return
			case <-time.After(wait):
			}
		}
	}()
}

// Close stops taking work and waits until the queued answers are sent, for
// at most 20 seconds (within Kubernetes' 30-second grace); then it
// abandons the rest and logs how many. With an inbox, what was not
// answered is released to the next replica. Call it after the HTTP server
// and Socket Mode have stopped.
func (a *Adapter) Close() { a.CloseWithin(20 * time.Second) }

// CloseWithin is Close with a deadline of d.
func (a *Adapter) CloseWithin(d time.Duration) {
	a.closing.Do(func() { close(a.stopped) })
	a.bg.Wait() // no more claims
	a.pool.Close(d)
	a.releaseInbox()
}

// Register adds the Slack routes to mux.
func (a *Adapter) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /slack/events", a.handleEvents)
	mux.HandleFunc("POST /slack/commands", a.handleCommand)
	mux.HandleFunc("POST /slack/interactive", a.handleInteractive)
}

// readVerified reads the body and checks its signature; on failure it has
// answered the request.
func (a *Adapter) readVerified(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := readBody(w, r, a.cfg.MaxBody)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			a.log.Warn("slack: request body too large", "path", r.URL.Path, "limit", a.cfg.MaxBody)
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return nil, false
		}
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return nil, false
	}
	if err := a.verifier.verify(r.Header, body, a.now()); err != nil {
		a.log.Warn("slack: refused request", "path", r.URL.Path, "reason", err)
		http.Error(w, "invalid signature", http.StatusUnauthorized)
		return nil, false
	}
	return body, true
}

// replayWindow is how long a signed request can come again and pass the
// check: its timestamp may be maxSkew old, or ahead.
const replayWindow = 2 * maxSkew

// replayed reports whether a signed command or button press came before:
// the same signature is the same request (Slack itself sends them once),
// sent again within the window: a second vote or a second notice.
func (a *Adapter) replayed(ctx context.Context, r *http.Request) bool {
	sig := r.Header.Get("X-Slack-Signature")
	if sig == "" || a.dedup == nil {
		return false
	}
	first, err := a.dedup.FirstSeen(ctx, "slack:request:"+sig, replayWindow)
	if err != nil {
		a.log.Warn("slack: dedup unavailable, taking the request", "err", err)
		return false
	}
	if !first {
		a.log.Warn("slack: replayed request ignored", "path", r.URL.Path)
	}
	return !first
}

// forgetRequest undoes replayed's record of a request that was not taken.
func (a *Adapter) forgetRequest(ctx context.Context, r *http.Request) {
	if sig := r.Header.Get("X-Slack-Signature"); sig != "" && a.dedup != nil {
		if err := a.dedup.Forget(ctx, "slack:request:"+sig); err != nil {
			a.log.Warn("slack: dedup unavailable", "err", err)
		}
	}
}

// mayResolve reports whether a user may resolve handoffs: an agent by id,
// or anyone acting in the agent channel (whom Slack let in there).
func (a *Adapter) mayResolve(user, channel string) bool {
	return slices.Contains(a.cfg.AgentIDs, user) || a.cfg.AgentChannel != "" && channel == a.cfg.AgentChannel
}

// readBody reads a request body of at most limit bytes. A body whose
// declared length is within the limit (and 64 KiB) is read into a buffer
// of exactly that length: the server's body reader ends there. Any other
// body is read into a buffer that grows with what arrives, so a client
// that declares a large body and sends it slowly does not make the
// server hold memory for it.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if n := r.ContentLength; n > 0 && n <= min(limit, 64<<10) {
		buf := make([]byte, n)
		if _, err := io.ReadFull(r.Body, buf); err != nil {
			return nil, err
		}
		return buf, nil
	}
	buf := bytes.NewBuffer(make([]byte, 0, 512))
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, limit)); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (a *Adapter) handleEvents(w http.ResponseWriter, r *http.Request) {
	body, ok := a.readVerified(w, r)
	if !ok {
		return
	}
	if a.pool.Full() && !bytes.Contains(body, []byte(`"url_verification"`)) {
		// Full: refuse before parsing, so an overload costs little. Slack
		// retries the event later.
		a.pool.Refused("answer queue full, asking Slack to retry")
		http.Error(w, "busy, retry", http.StatusServiceUnavailable)
		return
	}
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		a.log.Warn("slack: malformed event", "err", err)
		http.Error(w, "malformed event", http.StatusBadRequest)
		return
	}
	if env.Type == slackevents.URLVerification {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, env.Challenge)
		return
	}
	if env.Type == slackevents.CallbackEvent {
		if msg, ok := a.incomingRaw(env.Event); ok {
			if err := a.take(r.Context(), env.EventID, msg); err != nil {
				// Not taken: Slack retries, and the retry is handled.
				http.Error(w, "busy, retry", http.StatusServiceUnavailable)
				return
			}
		} else if home, ok := homeOpenedRaw(env.Event); ok {
			if err := a.takeHome(home); err != nil {
				http.Error(w, "busy, retry", http.StatusServiceUnavailable)
				return
			}
		}
	}
	w.WriteHeader(http.StatusOK)
}

// envelope is what the adapter reads of an Events API request, decoded in
// one pass; the inner event only when it may be a message to answer.
type envelope struct {
	Type      string          `json:"type"`
	Challenge string          `json:"challenge"`
	EventID   string          `json:"event_id"`
	Event     json.RawMessage `json:"event"`
}

// innerEvent is the part of a message or app_mention event the adapter
// reads.
type innerEvent struct {
	Type        string `json:"type"`
	SubType     string `json:"subtype"`
	BotID       string `json:"bot_id"`
	User        string `json:"user"`
	Text        string `json:"text"`
	Channel     string `json:"channel"`
	ChannelType string `json:"channel_type"`
	TS          string `json:"ts"`
	ThreadTS    string `json:"thread_ts"`
}

// incomingRaw decodes an inner event and decides, as incoming does,
// whether it is a message to answer.
func (a *Adapter) incomingRaw(raw json.RawMessage) (incomingMsg, bool) {
	var e innerEvent
	if err := json.Unmarshal(raw, &e); err != nil {
		// Other event types may carry fields of other shapes ("user" as
		// an object); only a message that cannot be read is worth a line.
		var kind struct {
			Type string `json:"type"`
		}
		if json.Unmarshal(raw, &kind) == nil && (kind.Type == "message" || kind.Type == "app_mention") {
			a.log.Warn("slack: malformed message event", "err", err)
		}
		return incomingMsg{}, false
	}
	return a.decide(e)
}

// event takes one Events API callback from Socket Mode: it filters,
// deduplicates and queues the answer. An error means the event was not
// taken and should be retried.
func (a *Adapter) event(ctx context.Context, ev slackevents.EventsAPIEvent) error {
	if ev.Type != slackevents.CallbackEvent {
		return nil
	}
	if e, ok := ev.InnerEvent.Data.(*slackevents.AppHomeOpenedEvent); ok {
		return a.takeHome(homeOpened{Type: e.Type, User: e.User, Channel: e.Channel, Tab: e.Tab})
	}
	msg, ok := a.incoming(ev.InnerEvent)
	if !ok {
		return nil
	}
	id := ""
	if cb, _ := ev.Data.(*slackevents.EventsAPICallbackEvent); cb != nil {
		id = cb.EventID
	}
	return a.take(ctx, id, msg)
}

// take deduplicates a message by its event id (or, without one, by its
// channel and timestamp) and queues its answer. An error means it was not
// taken and should be retried.
func (a *Adapter) take(ctx context.Context, eventID string, msg incomingMsg) error {
	key := ""
	if eventID != "" {
		key = "slack:event:" + eventID
	} else {
		key = "slack:msg:" + msg.channel + ":" + msg.ts
	}
	first, err := a.dedup.FirstSeen(ctx, key, a.cfg.DedupTTL)
	if err != nil {
		// Answering twice is better than not at all.
		a.log.Warn("slack: dedup unavailable, answering anyway", "err", err)
		first = true
	}
	if !first {
		a.log.Debug("slack: duplicate event ignored", "key", key)
		return nil
	}
	if err := a.record(ctx, key, msg); err != nil {
		a.log.Error("slack: event not recorded, asking Slack to retry", "err", err)
		a.forget(ctx, key)
		return err
	}
	if !a.pool.Add(a.answerJob(key, msg)) {
		a.pool.Refused("answer queue full, asking Slack to retry")
		if a.cfg.Inbox != nil {
			a.cfg.Inbox.Done(key) // Slack's retry is recorded again
		}
		a.forget(ctx, key)
		return errors.New("queue full")
	}
	return nil
}

// forget drops the dedup key of an event that was not taken.
func (a *Adapter) forget(ctx context.Context, key string) {
	if err := a.dedup.Forget(ctx, key); err != nil {
		a.log.Error("slack: dedup forget", "err", err)
	}
}

// incomingMsg is a message the bot should answer.
type incomingMsg struct {
	channel, user, text string
	ts, threadTS        string // threadTS: where to answer; "" for the channel itself
}

var mentionRE = regexp.MustCompile(`<@[A-Z0-9]+(\|[^>]*)?>`)

// incoming decides whether an inner event is a message to answer: direct
// messages and mentions, never the bot's own messages, other bots', or
// edits, deletes and other subtypes.
func (a *Adapter) incoming(in slackevents.EventsAPIInnerEvent) (incomingMsg, bool) {
	switch e := in.Data.(type) {
	case *slackevents.MessageEvent:
		return a.decide(innerEvent{Type: "message", SubType: e.SubType, BotID: e.BotID, User: e.User, Text: e.Text,
			Channel: e.Channel, ChannelType: e.ChannelType, TS: e.TimeStamp, ThreadTS: e.ThreadTimeStamp})
	case *slackevents.AppMentionEvent:
		return a.decide(innerEvent{Type: "app_mention", BotID: e.BotID, User: e.User, Text: e.Text,
			Channel: e.Channel, TS: e.TimeStamp, ThreadTS: e.ThreadTimeStamp})
	}
	return incomingMsg{}, false
}

// decide is incoming's rule, on the fields both transports give.
func (a *Adapter) decide(e innerEvent) (incomingMsg, bool) {
	a.mu.RLock()
	self := a.botUserID
	a.mu.RUnlock()
	switch e.Type {
	case "message":
		if e.ChannelType != "im" || e.BotID != "" || e.SubType != "" || e.User == "" || e.User == self {
			return incomingMsg{}, false
		}
		return incomingMsg{channel: e.Channel, user: e.User, text: e.Text, ts: e.TS, threadTS: e.ThreadTS}, true
	case "app_mention":
		if e.BotID != "" || e.User == "" || e.User == self {
			return incomingMsg{}, false
		}
		thread := e.ThreadTS
		if thread == "" {
			thread = e.TS
		}
		text := strings.TrimSpace(mentionRE.ReplaceAllString(e.Text, " "))
		return incomingMsg{channel: e.Channel, user: e.User, text: text, ts: e.TS, threadTS: thread}, true
	}
	return incomingMsg{}, false
}

// answer produces and posts the reply to one message. A request for a
// person notifies the agents first, so the user is told what really
// happened.
func (a *Adapter) answer(ctx context.Context, m incomingMsg) error {
	text := unescape(m.text)
	reply := a.bot.Respond(ctx, bot.Message{Channel: "slack", User: m.user, Thread: m.channel + ":" + m.threadTS, Text: text})
	if reply.Silent {
		return nil // an agent has this conversation
	}
	var notifyErr error
	if reply.Handoff {
		notifyErr = a.notifyAgents(ctx, m.user, m.channel, m.ts, phone.MaskText(text), reply.HandoffID)
		if notifyErr != nil && !a.cfg.Console {
			reply = a.bot.HandoffFailed(ctx, reply) // nobody was told: the bot keeps answering
		}
	}
	opts := []goslack.MsgOption{
		goslack.MsgOptionText(notification(reply), true),
		goslack.MsgOptionBlocks(blocks(reply, true)...),
	}
	if m.threadTS != "" {
		opts = append(opts, goslack.MsgOptionTS(m.threadTS))
	}
	if _, _, err := a.post(ctx, m.channel, opts...); err != nil {
		return fmt.Errorf("post answer to %s: %w", m.channel, err)
	}
	return notifyErr
}


var unescaper = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")

// unescape undoes Slack's escaping of &, < and > in message text.
func unescape(s string) string {
	return unescaper.Replace(s)
}

// post sends a message. Slack's rate limit (HTTP 429 with Retry-After)
// pauses every worker of this workspace until it ends, not just the one
// that met it; server errors are retried with a growing wait. An answer is
// kept until PostDeadline, then given up (the job fails and is counted).
func (a *Adapter) post(ctx context.Context, channel string, opts ...goslack.MsgOption) (string, string, error) {
	deadline := time.Now().Add(a.cfg.PostDeadline)
	for attempt := 0; ; attempt++ {
		if err := a.waitPause(ctx, deadline); err != nil {
			return "", "", err
		}
		ch, ts, err := a.api.PostMessageContext(ctx, channel, opts...)
		if err == nil {
			return ch, ts, nil
		}
		var wait time.Duration
		var rl *goslack.RateLimitedError
		var se goslack.StatusCodeError
		switch {
		case errors.As(err, &rl):
			a.pauseFor(max(rl.RetryAfter, 100*time.Millisecond))
		case errors.As(err, &se) && se.Code >= 500:
			wait = min(time.Duration(1<<min(attempt, 5))*500*time.Millisecond, 15*time.Second)
			a.log.Warn("slack: server error", "channel", channel, "status", se.Code, "attempt", attempt+1)
		default:
			return "", "", err // a request Slack refuses will not get better
		}
		if time.Now().Add(wait).After(deadline) {
			return "", "", fmt.Errorf("%w (gave up after %v)", err, a.cfg.PostDeadline)
		}
		select {
		case <-ctx.Done():
			return "", "", fmt.Errorf("%w (gave up waiting: %v)", err, ctx.Err())
		case <-time.After(wait):
		}
	}
}

// pauseFor pauses this workspace's posts for d from now; the first 429 of a
// pause is logged.
func (a *Adapter) pauseFor(d time.Duration) {
	until := time.Now().Add(d).UnixNano()
	for {
		cur := a.pausedUntil.Load()
		if cur >= until {
			return
		}
		if a.pausedUntil.CompareAndSwap(cur, until) {
			if cur < time.Now().UnixNano() {
				a.log.Warn("slack: rate limited, pausing posts", "retry_after", d)
			}
			return
		}
	}
}

// waitPause waits until a rate-limit pause is over; an error when ctx ends
// or the pause lasts past deadline.
func (a *Adapter) waitPause(ctx context.Context, deadline time.Time) error {
	for {
		until := time.Unix(0, a.pausedUntil.Load())
		d := until.Sub(time.Now())
		if d <= 0 {
			return nil
		}
		if until.After(deadline) {
			return fmt.Errorf("rate limited by Slack until %s, past the answer's deadline", until.Format(time.TimeOnly))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("rate limited by Slack, gave up waiting: %w", ctx.Err())
		case <-time.After(d):
		}
	}
}

// WorkCounts returns the work refused (queue full), abandoned at shutdown
// and failed (answers and notices Slack refused or that missed their
// deadline) since the start, for metrics.
func (a *Adapter) WorkCounts() (refused, abandoned, failed int64) {
	c := a.pool.Counts()
	return c.Refused, c.Abandoned, c.Failed
}

// notifyAgents posts a "talk to a person" notice to the agent channel: who
// asked, where, and what (numbers masked). A direct message with the bot
// cannot be opened by agents, so it is named rather than linked.
func (a *Adapter) notifyAgents(ctx context.Context, user, channel, ts, text, handoffID string) error {
	if a.cfg.AgentChannel == "" {
		if !a.cfg.Console {
			a.log.Warn("slack: handoff requested but neither SLACK_AGENT_CHANNEL nor ADMIN_TOKEN (the console) is set", "user", user)
		}
		return nil
	}
	where := "in a direct message with the bot (reply to them directly)"
	if !strings.HasPrefix(channel, "D") {
		link, err := a.api.GetPermalinkContext(ctx, &goslack.PermalinkParameters{Channel: channel, Ts: ts})
		if err != nil {
			a.log.Warn("slack: permalink", "err", err)
			where = "in <#" + channel + ">"
		} else {
			where = "<" + link + "|in this conversation>"
		}
	}
	notice := fmt.Sprintf(":raising_hand: <@%s> asked to talk to a person %s", user, where)
	if text != "" {
		notice += "\n> " + escape(truncate(text, 500))
	}
	opts := []goslack.MsgOption{goslack.MsgOptionText(notice, false)}
	if handoffID != "" {
		opts = append(opts, goslack.MsgOptionBlocks(
			goslack.NewSectionBlock(goslack.NewTextBlockObject(goslack.MarkdownType, notice, false, false), nil, nil),
			goslack.NewActionBlock("handoff_actions", button(actionResolve, handoffID, "✅ Resolved: the bot may answer again"))))
	}
	if _, _, err := a.post(ctx, a.cfg.AgentChannel, opts...); err != nil {
		return fmt.Errorf("notify agents in %s: %w", a.cfg.AgentChannel, err)
	}
	return nil
}

// DeliverAgentReply posts what an agent wrote in the admin console to the
// user of a handoff, in the conversation (and thread) the handoff came
// from.
func (a *Adapter) DeliverAgentReply(ctx context.Context, h bot.Handoff, text string) error {
	channel, threadTS, _ := strings.Cut(h.Thread, ":")
	if channel == "" {
		return fmt.Errorf("handoff %s has no Slack conversation", h.ID)
	}
	notice := a.bot.Text("agent_reply", h.Lang, map[string]string{"text": text})
	opts := []goslack.MsgOption{goslack.MsgOptionText(":speech_balloon: "+escape(notice), false)}
	if threadTS != "" {
		opts = append(opts, goslack.MsgOptionTS(threadTS))
	}
	_, _, err := a.post(ctx, channel, opts...)
	return err
}
