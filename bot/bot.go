// Package bot is the platform-free conversation of supportbot: it takes
// one message from any channel, keeps the conversation (clarify choices,
// numbers asked for, follow-ups, handoffs), asks bot/match what the message
// asks, composes the answer from the structured FAQ, and asks the optional
// fallback model with FAQ passages when the rules have no confident answer.
// It also owns the domain types storage and handlers share.
package bot

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/supportbot/supportbot/bot/match"
	"github.com/supportbot/supportbot/bot/phone"
	"github.com/supportbot/supportbot/knowledge"
)

// Bot answers messages from the knowledge base. It is safe for concurrent
// use; Reload swaps the knowledge without stopping it.
type Bot struct {
	norm *match.Normalizer
	cur  atomic.Pointer[engine]
	fb   *fallbackRunner // nil: no fallback
	log  *slog.Logger

	conv       Conversations // nil: every message stands alone
	convTTL    time.Duration
	handoffs   Handoffs
	handoffTTL time.Duration
	limiter    RateLimiter // nil: no limit
	recorder   Recorder    // nil: nothing stored
	observer   Observer    // nil: no metrics
	desks      []Desk      // where agents see handoffs (see handoff.go)
	hasDesks   bool
}

// Observer is told what the bot does, for metrics.
type Observer interface {
	Answered(channel string, r Reply, d time.Duration)
	FallbackCalled(err error)
	RateLimited(channel string)
	HandoffOpened(channel string)
}

// engine is one knowledge version with its compiled matcher.
type engine struct {
	kb *knowledge.KB
	m  *match.Matcher
	// prefixes are the table's lines per language, built once: answers
	// share them read-only, as they share the FAQ's texts.
	prefixes map[string][]knowledge.Text
}

// BotOption configures a Bot.
type BotOption func(*Bot)

// WithFallback asks fb when the rules have no confident answer.
func WithFallback(fb Fallback, cfg FallbackConfig) BotOption {
	return func(b *Bot) { b.fb = newFallbackRunner(fb, cfg) }
}

// WithConversations remembers conversations for ttl: clarify questions,
// follow-ups and handoffs need it.
func WithConversations(c Conversations, ttl time.Duration) BotOption {
	return func(b *Bot) { b.conv, b.convTTL = c, ttl }
}

// WithHandoffs keeps handed-off conversations in h; the bot stays silent in
// them until an agent resolves them or ttl passes.
func WithHandoffs(h Handoffs, ttl time.Duration) BotOption {
	return func(b *Bot) { b.handoffs, b.handoffTTL = h, ttl }
}

// WithRateLimiter limits how often one user is answered.
func WithRateLimiter(l RateLimiter) BotOption { return func(b *Bot) { b.limiter = l } }

// WithRecorder stores every exchange.
func WithRecorder(r Recorder) BotOption { return func(b *Bot) { b.recorder = r } }

// WithObserver reports what the bot does, for metrics.
func WithObserver(o Observer) BotOption { return func(b *Bot) { b.observer = o } }

// WithLogger logs the bot's own trouble (a failing fallback) to l.
func WithLogger(l *slog.Logger) BotOption {
	return func(b *Bot) { b.log = l }
}

// New compiles kb into a bot.
func New(kb *knowledge.KB, norm *match.Normalizer, opts ...BotOption) (*Bot, error) {
	b := &Bot{norm: norm}
	for _, o := range opts {
		o(b)
	}
	if err := b.Reload(kb); err != nil {
		return nil, err
	}
	return b, nil
}

// Reload compiles kb and, when that works, puts it in service.
func (b *Bot) Reload(kb *knowledge.KB) error {
	m, err := match.NewMatcher(kb, b.norm)
	if err != nil {
		return err
	}
	e := &engine{kb: kb, m: m}
	e.prefixes = map[string][]knowledge.Text{"zh": e.buildPrefixLines("zh"), "en": e.buildPrefixLines("en")}
	b.cur.Store(e)
	return nil
}

// Knowledge returns the knowledge in service with its compiled matcher, a
// pair that belongs together (a reload swaps both), for the operators'
// tools (bot/evaluate).
func (b *Bot) Knowledge() (*knowledge.KB, *match.Matcher) {
	e := b.cur.Load()
	return e.kb, e.m
}

// HasPassages reports whether the fallback model would get FAQ passages
// for text in lang: a message the rules do not answer goes to the model
// only then.
func (b *Bot) HasPassages(text, lang string) bool {
	return len(b.cur.Load().passages(b.norm.Normalize(text), lang, 1)) > 0
}

// KB returns the knowledge in service.
func (b *Bot) KB() *knowledge.KB { return b.cur.Load().kb }

// Classify classifies one message without answering it.
func (b *Bot) Classify(text string) match.Classification { return b.cur.Load().m.Classify(text) }

// CheckNumber checks one /checknum input.
func (b *Bot) CheckNumber(input string) phone.Number { return phone.Check(b.cur.Load().kb, input) }

// Respond answers one message. It never fails: whatever the input, the user
// gets a reply in their language, or a Silent one while a person has the
// conversation.
func (b *Bot) Respond(ctx context.Context, msg Message) Reply {
	start := time.Now()
	msg = msg.valid()
	key := conversationKey(msg)
	var r Reply
	if !msg.Resumed {
		if r, limited := b.rateLimited(ctx, msg, start); limited {
			return r
		}
	}
	var st State
	if b.conv != nil {
		var err error
		if st, err = b.conv.Load(ctx, key); err != nil {
			b.warn("conversation state unavailable", err)
		}
	}
	if st.HandoffID != "" && b.handoffs != nil {
		open, err := b.handoffs.IsOpen(ctx, st.HandoffID)
		if err != nil {
			b.warn("handoff state unavailable", err)
		}
		if open {
			r = Reply{Intent: IntentHandoff, Silent: true, HandoffID: st.HandoffID, Lang: st.Lang}
			r.Asked = phone.MaskText(match.TruncateRunes(strings.TrimSpace(msg.Text), 1000))
			b.after(ctx, msg, r, start)
			return r
		}
		st.HandoffID = ""
	}
	r = b.respond(ctx, msg, &st)
	if r.Deferred {
		return r // nothing answered, recorded or remembered: the channel asks again
	}
	r.Asked = phone.MaskText(match.TruncateRunes(strings.TrimSpace(msg.Text), 1000))
	if r.Handoff {
		r = b.openHandoff(ctx, msg, &st, r)
	}
	if b.conv != nil {
		st.Lang = r.Lang
		// Clone: a slice of the whole answer would keep all of it alive for
		// as long as the conversation is remembered.
		// A fresh array each time (the three-index slice has no room to
		// append into): the old one, with the turns that fell off, goes.
		n := len(st.History)
		keep := st.History[max(0, n-(historyTurns-1)):n:n]
		st.History = append(keep, Turn{User: r.Asked, Bot: strings.Clone(match.TruncateRunes(r.PlainTextPrefix(historyRunes), historyRunes))})
		st.Updated = time.Now()
		if err := b.conv.Save(ctx, key, st, b.convTTL); err != nil {
			b.warn("save conversation state", err)
		}
	}
	b.after(ctx, msg, r, start)
	return r
}

// rateLimited answers a user who sends too fast, when the limiter says so;
// a limiter that cannot be reached lets the message through.
func (b *Bot) rateLimited(ctx context.Context, msg Message, start time.Time) (Reply, bool) {
	if b.limiter == nil {
		return Reply{}, false
	}
	ok, err := b.limiter.Allow(ctx, msg.Channel+"|"+msg.User)
	if err != nil {
		b.warn("rate limiter unavailable", err)
		return Reply{}, false
	}
	if ok {
		return Reply{}, false
	}
	r := b.cur.Load().message(IntentRateLimited, "rate_limited", match.Lang(msg.Text, msg.Lang))
	r.RateLimited = true
	r.Asked = phone.MaskText(match.TruncateRunes(strings.TrimSpace(msg.Text), 1000))
	if b.observer != nil {
		b.observer.RateLimited(msg.Channel)
	}
	b.after(ctx, msg, r, start)
	return r, true
}

// CheckNumbers answers an agent's number check (the /checknum slash
// command) for the numbers in args. It is not a conversation turn: it
// leaves the user's conversation alone, but is rate limited, recorded and
// observed like any answer.
func (b *Bot) CheckNumbers(ctx context.Context, channel, user, args, lang string) Reply {
	start := time.Now()
	channel, user, args = validText(channel), validText(user), validText(args)
	msg := Message{Channel: channel, User: user, Text: "/checknum " + args, Lang: lang}
	if r, limited := b.rateLimited(ctx, msg, start); limited {
		return r
	}
	r := b.cur.Load().checknum(args, commandLang(args, lang))
	r.Asked = phone.MaskText(match.TruncateRunes(msg.Text, 1000))
	b.after(ctx, msg, r, start)
	return r
}

// Preview answers text as the first message of a conversation, without
// recording it, opening a handoff or touching any conversation state: the
// admin console's "try a question".
func (b *Bot) Preview(ctx context.Context, text, lang string) Reply {
	text = validText(text)
	var st State
	r := b.respond(ctx, Message{Channel: "preview", Text: text, Lang: lang}, &st)
	r.Asked = phone.MaskText(match.TruncateRunes(strings.TrimSpace(text), 1000))
	return r
}

// historyRunes is how much of each answer a conversation remembers, for
// the fallback model's context: the beginning names the FAQ entry and step.
const historyRunes = 200

// historyTurns is how many turns a conversation remembers.
const historyTurns = 3

// RefuseHandoff ends a handoff that no person can take (nobody was, or
// could be, told of it), so the bot answers that conversation again, and
// tells the exchange log it was no handoff: reports count only handoffs a
// person could take. An empty id (no handoff was opened) is ErrNoHandoff.
func (b *Bot) RefuseHandoff(ctx context.Context, id string) error {
	if id == "" {
		return ErrNoHandoff
	}
	if r, ok := b.recorder.(HandoffRefuser); ok {
		if err := r.HandoffRefused(ctx, id); err != nil {
			b.warn("record a refused handoff", err)
		}
	}
	return b.Resolve(ctx, id)
}

// Resolve ends a handoff: the bot answers that conversation again.
func (b *Bot) Resolve(ctx context.Context, id string) error {
	if b.handoffs == nil {
		return ErrNoHandoff
	}
	_, err := b.handoffs.Resolve(ctx, id)
	return err
}

// Handoffs returns the open handoffs, oldest first; none without a queue.
func (b *Bot) Handoffs(ctx context.Context) ([]Handoff, error) {
	if b.handoffs == nil {
		return nil, nil
	}
	return b.handoffs.List(ctx)
}

// after records and observes one answered message.
func (b *Bot) after(ctx context.Context, msg Message, r Reply, start time.Time) {
	d := time.Since(start)
	if b.observer != nil {
		b.observer.Answered(msg.Channel, r, d)
	}
	if b.recorder == nil {
		return
	}
	answer := ""
	if r.Source != nil {
		answer = strconv.Itoa(r.Source.Entry) + "#" + strconv.Itoa(r.Source.Step)
	}
	x := Exchange{At: start, Channel: msg.Channel, UserHash: HashUser(msg.Channel, msg.User), Text: r.Asked, Lang: r.Lang,
		Intent: r.Intent, Confidence: r.Confidence, AnswerID: answer, Fallback: r.Generated || r.FallbackFailed,
		Handoff: r.Handoff, Latency: d}
	if r.Handoff && b.handoffs != nil {
		// A handoff the queue could not take is none either.
		x.Handoff, x.HandoffID = r.HandoffID != "", r.HandoffID
	}
	if err := b.recorder.Record(ctx, x); err != nil {
		b.warn("record exchange", err)
	}
}

func (b *Bot) warn(what string, err error) {
	if b.log != nil {
		b.log.Warn(what, "err", err)
	}
}

var errFallbackFailed = errorString("fallback failed")
