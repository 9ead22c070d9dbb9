package bot

import (
	"cmp"
	"context"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/supportbot/supportbot/bot/phone"
	"github.com/supportbot/supportbot/knowledge"
)

// Bot answers messages from the knowledge base. It is safe for concurrent
// use; Reload swaps the knowledge without stopping it.
type Bot struct {
	norm *Normalizer
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
	m  *Matcher
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
func New(kb *knowledge.KB, norm *Normalizer, opts ...BotOption) (*Bot, error) {
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
	m, err := NewMatcher(kb, b.norm)
	if err != nil {
		return err
	}
	e := &engine{kb: kb, m: m}
	e.prefixes = map[string][]knowledge.Text{"zh": e.buildPrefixLines("zh"), "en": e.buildPrefixLines("en")}
	b.cur.Store(e)
	return nil
}

// NeedsModel reports whether answering text would ask the fallback model,
// so channels with a short deadline can answer it asynchronously.
func (b *Bot) NeedsModel(text string) bool {
	if b.fb == nil {
		return false
	}
	e := b.cur.Load()
	if _, _, ok := e.command(strings.TrimSpace(text)); ok {
		return false
	}
	c := e.m.classify(text, false)
	return c.Intent == knowledge.None && len(c.Clarify) == 0 &&
		len(e.passages(b.norm.Normalize(text), Lang(text, "zh"), 1)) > 0
}

// KB returns the knowledge in service.
func (b *Bot) KB() *knowledge.KB { return b.cur.Load().kb }

// Classify classifies one message without answering it.
func (b *Bot) Classify(text string) Classification { return b.cur.Load().m.Classify(text) }

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
	if r, limited := b.rateLimited(ctx, msg, start); limited {
		return r
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
			r.Asked = phone.MaskText(truncateRunes(strings.TrimSpace(msg.Text), 1000))
			b.after(ctx, msg, r, start)
			return r
		}
		st.HandoffID = ""
	}
	r = b.respond(ctx, msg, &st)
	r.Asked = phone.MaskText(truncateRunes(strings.TrimSpace(msg.Text), 1000))
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
		st.History = append(keep, Turn{User: r.Asked, Bot: strings.Clone(truncateRunes(r.PlainTextPrefix(historyRunes), historyRunes))})
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
	r := b.cur.Load().message(IntentRateLimited, "rate_limited", Lang(msg.Text, msg.Lang))
	r.RateLimited = true
	r.Asked = phone.MaskText(truncateRunes(strings.TrimSpace(msg.Text), 1000))
	if b.observer != nil {
		b.observer.RateLimited(msg.Channel)
	}
	b.after(ctx, msg, r, start)
	return r, true
}

// commandLang is the language of a command's answer: the command word is
// English, so the arguments or the caller's choice tell, else Chinese.
func commandLang(args, lang string) string {
	if l := Lang(args, lang); l != "en" || lang == "en" {
		return l
	}
	return "zh"
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
	r.Asked = phone.MaskText(truncateRunes(msg.Text, 1000))
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
	r.Asked = phone.MaskText(truncateRunes(strings.TrimSpace(text), 1000))
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

// classifier classifies text the first time it is asked, and then gives
// that classification again: a message is classified once, whichever of
// the conversation's steps looks at it first.
func (e *engine) classifier(text string) func() Classification {
	var c Classification
	done := false
	return func() Classification {
		if !done {
			c, done = e.m.classify(text, false), true
		}
		return c
	}
}

// handoffRequest answers a request for a person (the button, or the
// command typed), in the page's language, else the conversation's.
func (e *engine) handoffRequest(msg Message, st *State) Reply {
	st.Pending = ""
	r := e.message("human", "human", cmp.Or(msg.Lang, st.Lang, "zh"))
	r.Handoff = true
	return r
}

func (b *Bot) respond(ctx context.Context, msg Message, st *State) Reply {
	e := b.cur.Load()
	text := strings.TrimSpace(strings.ToValidUTF8(msg.Text, "\uFFFD"))
	lang := Lang(text, msg.Lang)
	if st.Lang != "" && !hasLetters(text) {
		lang = st.Lang // "2" or a bare number: the language so far
	}
	if t, ok := e.kb.Target(msg.Choice); ok && msg.Choice != "" { // a clarify button
		st.Pending, st.Options = "", nil
		return b.finish(e.compose(Classification{Intent: t.ID, Confidence: 1, Lang: lang}, lang), text, st)
	}
	if msg.Request == RequestHandoff {
		return e.handoffRequest(msg, st)
	}
	if text == "" || !hasContent(text) {
		return e.message(IntentNone, "empty", lang)
	}
	if cmd, args, ok := e.command(text); ok {
		clang := commandLang(args, msg.Lang)
		st.Pending = ""
		switch cmd {
		case "checknum":
			return e.checknum(args, clang)
		case "help":
			return e.message("help", "help", clang)
		case "handoff":
			return e.handoffRequest(msg, st)
		}
	}
	cls := e.classifier(text)
	if r, ok := b.continueConversation(e, text, lang, st, cls); ok {
		return b.finish(r, text, st)
	}
	c := cls()
	var r Reply
	answered := false
	if c.Intent == knowledge.None && len(c.Clarify) == 0 && b.fb != nil {
		r, answered = b.askFallback(ctx, e, text, lang, c, st.History)
		if answered && b.observer != nil && (r.Generated || r.FallbackFailed) {
			var err error
			if r.FallbackFailed {
				err = errFallbackFailed
			}
			b.observer.FallbackCalled(err)
		}
	}
	if !answered {
		r = e.compose(c, lang)
	}
	st.Pending, st.Options = "", nil
	switch {
	case r.Intent == IntentClarify:
		st.Pending = pendingClarify
		for _, o := range r.Clarify {
			st.Options = append(st.Options, o.Intent)
		}
	case len(c.Numbers) == 0 && e.asksNumber(r.Intent) && e.m.HasConcept(text, e.kb.Rules.Settings.OwnNumber):
		// "我的号码能收到吗" without the number: ask for it.
		r = e.message(r.Intent, "ask_number", lang)
		r.Confidence = c.Confidence
		st.Pending = pendingNumber
	}
	return b.finish(r, text, st)
}

var errFallbackFailed = errorString("fallback failed")

// finish updates the conversation after an answer and writes traditional
// characters for people who use them.
func (b *Bot) finish(r Reply, text string, st *State) Reply {
	e := b.cur.Load()
	if r.Source != nil {
		if e.family(st.LastIntent) != e.family(r.Intent) {
			st.Shown = nil
		}
		if r.Source.Step == 0 {
			st.Shown = nil
			for i := 1; i <= r.Source.Total; i++ {
				st.Shown = append(st.Shown, i)
			}
		} else if !slices.Contains(st.Shown, r.Source.Step) {
			st.Shown = append(st.Shown, r.Source.Step)
		}
	}
	if r.Intent != knowledge.None || r.Source != nil {
		st.LastIntent = r.Intent
	}
	if r.Lang == "zh" && b.norm.HasTraditional(text) {
		b.traditional(&r)
	}
	return r
}

// family is the answer an answer belongs to: its entry, for a step or
// case; itself otherwise.
func (e *engine) family(id string) string {
	if t, ok := e.kb.Target(id); ok && t.IsEntry() {
		return e.kb.ZH.Entries[t.Entry].ID
	}
	return id
}

// asksNumber reports whether an answer needs the user's phone number: its
// item or entry says asks: number.
func (e *engine) asksNumber(id string) bool {
	t, ok := e.kb.Target(id)
	if !ok || !t.IsEntry() {
		return false
	}
	entry := &e.kb.ZH.Entries[t.Entry]
	if t.Step > 0 {
		return entry.Items[t.Step-1].Asks == "number"
	}
	return entry.Asks == "number"
}

// continueConversation answers a message that continues the last answer:
// a clarify choice, the number the bot asked for, or "still nothing" after
// a troubleshooting step.
func (b *Bot) continueConversation(e *engine, text, lang string, st *State, cls func() Classification) (Reply, bool) {
	switch st.Pending {
	case pendingClarify:
		if id, ok := chooseOption(text, st.Options, cls); ok {
			st.Pending, st.Options = "", nil
			return e.compose(Classification{Intent: id, Confidence: 1, Lang: lang}, lang), true
		}
	case pendingNumber: // the answer that asked for it
		nums := phone.Extract(e.kb, text)
		if n := phone.Check(e.kb, text); len(nums) == 0 && n.Valid {
			nums = []phone.Number{n}
		}
		if len(nums) > 0 {
			st.Pending = ""
			if _, ok := e.kb.Target(st.LastIntent); !ok || !e.kb.HasTable() {
				return e.checknum(text, lang), true
			}
			return e.compose(Classification{Intent: st.LastIntent, Confidence: 1, Lang: lang, Numbers: nums}, lang), true
		}
	}
	if st.LastIntent != "" && e.m.HasConcept(text, e.kb.Rules.Settings.Followup) {
		c := cls()
		if c.Intent == knowledge.None || e.family(c.Intent) == e.family(st.LastIntent) {
			return b.nextStep(e, lang, st), true
		}
	}
	return Reply{}, false
}

// nextStep gives the next troubleshooting step not yet shown, and offers a
// person once every step has been tried.
func (b *Bot) nextStep(e *engine, lang string, st *State) Reply {
	// Cases are alternatives, not steps to work through.
	if t, ok := e.kb.Target(st.LastIntent); ok && t.IsEntry() && e.kb.ZH.Entries[t.Entry].Ordered {
		entry := &e.kb.ZH.Entries[t.Entry]
		for i := range entry.Items {
			if !slices.Contains(st.Shown, i+1) {
				return e.compose(Classification{Intent: entry.Items[i].ID, Confidence: 1, Lang: lang}, lang)
			}
		}
	}
	r := e.message(IntentNone, "followup_exhausted", lang)
	r.Clarify = nil
	return r
}

// chooseOption reads a reply to a clarify question: its number ("2",
// "第二个", "２"), or words that classify as one of the options.
func chooseOption(text string, options []string, cls func() Classification) (string, bool) {
	t := strings.TrimSpace(strings.ToLower(nfkc(text)))
	t = strings.Trim(t, "。.!！ 第个条项option#")
	words := map[string]int{"1": 1, "2": 2, "3": 3, "一": 1, "二": 2, "三": 3, "one": 1, "two": 2, "three": 3, "first": 1, "second": 2, "third": 3}
	if n, ok := words[t]; ok && n <= len(options) {
		return options[n-1], true
	}
	c := cls()
	for _, id := range options {
		if c.Intent == id {
			return id, true
		}
	}
	return "", false
}

// traditional rewrites a Chinese reply in traditional characters, for
// people who write them (links keep their targets).
func (b *Bot) traditional(r *Reply) {
	conv := func(t knowledge.Text) knowledge.Text {
		out := make(knowledge.Text, len(t))
		for i, s := range t {
			out[i] = knowledge.Span{Text: b.norm.ToTraditional(s.Text), URL: s.URL}
		}
		return out
	}
	r.Traditional = true
	r.Title = b.norm.ToTraditional(r.Title)
	for i := range r.Blocks {
		blk := &r.Blocks[i]
		blk.Text = conv(blk.Text)
		items := make([]ListItem, len(blk.Items))
		for j, it := range blk.Items {
			items[j].Text = conv(it.Text)
			for _, s := range it.Sub {
				items[j].Sub = append(items[j].Sub, conv(s))
			}
		}
		blk.Items = items
	}
	for i := range r.Clarify {
		r.Clarify[i].Label = b.norm.ToTraditional(r.Clarify[i].Label)
	}
}

// hasContent reports whether text has a letter, digit or symbol beyond
// invisible characters.
func hasContent(text string) bool {
	for _, r := range text {
		if r != '\uFFFD' && r != '\u200b' && r != '\ufeff' && !strings.ContainsRune(" \t\r\n\u3000", r) {
			return true
		}
	}
	return false
}

// command recognises agent commands typed as text: /checknum, /help and
// /handoff (the "talk to a person" button), and the words the rules'
// commands add ("查号 138...").
func (e *engine) command(text string) (cmd, args string, ok bool) {
	lower := strings.ToLower(nfkc(text))
	try := func(prefix, name string) bool {
		if !strings.HasPrefix(lower, prefix) {
			return false
		}
		rest := lower[len(prefix):]
		if r, _ := utf8.DecodeRuneInString(rest); rest == "" || r == ' ' || r == ':' || r == '：' || isDigit(byte(r)) || r == '+' {
			cmd, args, ok = name, strings.TrimLeft(strings.TrimSpace(rest), ":："), true
		}
		return ok
	}
	for _, name := range []string{"checknum", "help", "handoff"} {
		if try("/"+name, name) {
			return
		}
		for _, w := range e.kb.Rules.Commands[name] {
			if try(strings.ToLower(nfkc(w)), name) {
				return
			}
		}
	}
	return "", "", false
}

func (e *engine) message(intent, name, lang string) Reply {
	return Reply{
		Intent: intent, Confidence: 1, Lang: lang,
		Blocks: []Block{{Text: knowledge.Text{{Text: e.kb.Message(name, lang)}}}},
	}
}

// checknum answers /checknum: one verdict per number given.
func (e *engine) checknum(args, lang string) Reply {
	if !e.kb.HasTable() {
		return e.message(IntentChecknum, "no_table", lang)
	}
	if strings.TrimSpace(args) == "" {
		return e.message(IntentChecknum, "number_empty", lang)
	}
	nums := []phone.Number{phone.Check(e.kb, args)}
	if !nums[0].Valid {
		if parts := phone.List(args); len(parts) > 0 {
			nums = nums[:0]
			for _, p := range parts {
				nums = append(nums, phone.Check(e.kb, p))
			}
		}
	}
	r := Reply{Intent: IntentChecknum, Confidence: 1, Lang: lang, Numbers: nums}
	for _, n := range nums {
		r.Blocks = append(r.Blocks, Block{Text: knowledge.Text{{Text: e.verdict(n, lang)}}})
	}
	if len(nums) == 1 && !nums[0].Valid {
		r.Blocks = append(r.Blocks, Block{Text: knowledge.Text{{Text: e.kb.Message("checknum_usage", lang)}}, Note: true})
	}
	return r
}

// AnswerIntent composes the answer of one intent, as when a user picks a
// clarify option. An unknown id gives the "not covered" answer.
func (b *Bot) AnswerIntent(intent, lang string) Reply {
	e := b.cur.Load()
	if lang != "en" {
		lang = "zh"
	}
	c := Classification{Intent: knowledge.None, Lang: lang}
	if t, ok := e.kb.Target(intent); ok {
		c.Intent, c.Confidence = t.ID, 1
	}
	return e.compose(c, lang)
}

// Text returns one of the bot's own messages (intents.yaml, messages) in
// lang, with {name} placeholders filled from vars.
func (b *Bot) Text(name, lang string, vars map[string]string) string {
	s := b.cur.Load().kb.Message(name, lang)
	for k, v := range vars {
		s = strings.ReplaceAll(s, "{"+k+"}", v)
	}
	return s
}

// Verdict is the sentence for one checked number in lang.
func (b *Bot) Verdict(n phone.Number, lang string) string { return b.cur.Load().verdict(n, lang) }

func (e *engine) verdict(n phone.Number, lang string) string {
	name := "verdict_unsupported"
	switch {
	case !n.Valid:
		name = n.Reason
	case n.Supported:
		name = "verdict_supported"
	case n.Listed:
		name = "verdict_listed_invalid"
	}
	input := n.Input
	if input == "" {
		input = `""`
	}
	return fill(e.kb.Message(name, lang),
		"{number}", n.Masked(),
		"{prefix}", n.Prefix,
		"{carrier}", knowledge.CarrierName(n.Carrier, lang),
		"{input}", phone.MaskText(input),
		"{digits}", itoa(n.Digits),
		"{code}", n.Country)
}

// fill replaces the {placeholders} of a message template, given as pairs;
// a strings.Replacer would be built on every call, which is slower on
// the hot path of /checknum.
func fill(tmpl string, pairs ...string) string {
	if !strings.Contains(tmpl, "{") {
		return tmpl
	}
	var b strings.Builder
	b.Grow(len(tmpl) + 32)
	for {
		i := strings.IndexByte(tmpl, '{')
		if i < 0 {
			b.WriteString(tmpl)
			return b.String()
		}
		b.WriteString(tmpl[:i])
		tmpl = tmpl[i:]
		matched := false
		for k := 0; k+1 < len(pairs); k += 2 {
			if strings.HasPrefix(tmpl, pairs[k]) {
				b.WriteString(pairs[k+1])
				tmpl = tmpl[len(pairs[k]):]
				matched = true
				break
			}
		}
		if !matched {
			b.WriteByte('{')
			tmpl = tmpl[1:]
		}
	}
}

// compose turns a classification into an answer.
func (e *engine) compose(c Classification, lang string) Reply {
	r := Reply{Intent: c.Intent, Confidence: c.Confidence, Lang: lang, Numbers: c.Numbers}
	for i, n := range r.Numbers {
		if !n.Valid {
			r.Numbers[i].Error = e.verdict(n, lang)
		}
	}
	for _, id := range c.Clarify {
		r.Clarify = append(r.Clarify, Option{Intent: id, Label: e.label(id, lang)})
	}
	t, ok := e.kb.Target(c.Intent)
	if !ok || len(r.Clarify) > 1 { // none, or too close to call: ask
		if len(r.Clarify) > 0 {
			r.Intent = IntentClarify
			r.Blocks = append(r.Blocks, Block{Text: knowledge.Text{{Text: e.kb.Message("clarify", lang)}}})
			var items []ListItem
			for _, o := range r.Clarify {
				items = append(items, ListItem{Text: knowledge.Text{{Text: o.Label}}})
			}
			r.Blocks = append(r.Blocks, Block{Items: items, Ordered: true, Start: 1})
			return r
		}
		r.Blocks = append(r.Blocks, Block{Text: knowledge.Text{{Text: e.kb.Message("none", lang)}}})
		return r
	}
	r.Intent = t.ID
	if !t.IsEntry() {
		if in, ok := e.kb.Intent(t.ID); ok {
			r.Handoff = in.Handoff
		}
		r.Blocks = append(r.Blocks, Block{Text: knowledge.Text{{Text: e.kb.Message(t.Message, lang)}}})
		return r
	}
	if e.kb.HasTable() {
		for _, n := range c.Numbers {
			r.Blocks = append(r.Blocks, Block{Text: knowledge.Text{{Text: e.verdict(n, lang)}}})
		}
	}
	e.entryAnswer(&r, t, lang)
	return r
}

// entryAnswer adds the FAQ entry (or one step of it) that t answers with.
// English readers of an entry without an English twin get the Chinese one
// with a note saying so.
func (e *engine) entryAnswer(r *Reply, t knowledge.Target, lang string) {
	idx := t.Entry
	entry := e.kb.Entry(idx, lang)
	in := struct{ Step int }{t.Step}
	if entry.Lang != lang {
		r.Blocks = append(r.Blocks, Block{Text: knowledge.Text{{Text: e.kb.Message("only_chinese", lang)}}, Note: true})
		lang = entry.Lang
	}
	r.Title = entry.Question
	r.Source = &Source{Entry: idx, Question: entry.Question, Step: in.Step, Total: len(entry.Items)}
	if in.Step == 0 {
		for _, t := range entry.Intro {
			r.Blocks = append(r.Blocks, Block{Text: t})
		}
		if len(entry.Items) > 0 {
			list := Block{Ordered: entry.Ordered, Start: 1}
			for _, it := range entry.Items {
				li := ListItem{Text: it.Text, Sub: it.Sub}
				if it.Table {
					li.Sub = append(li.Sub, e.prefixLines(lang)...)
				}
				list.Items = append(list.Items, li)
			}
			r.Blocks = append(r.Blocks, list)
		}
		if entry.Table {
			r.Blocks = append(r.Blocks, e.prefixBlock(lang))
		}
		for _, t := range entry.Outro {
			r.Blocks = append(r.Blocks, Block{Text: t})
		}
		return
	}
	it := entry.Items[in.Step-1]
	r.Blocks = append(r.Blocks, Block{Text: it.Text})
	if len(it.Sub) > 0 {
		list := Block{}
		for _, s := range it.Sub {
			list.Items = append(list.Items, ListItem{Text: s})
		}
		r.Blocks = append(r.Blocks, list)
	}
	if it.Table {
		r.Blocks = append(r.Blocks, e.prefixBlock(lang))
	}
	pointer := "step_pointer"
	if !entry.Ordered {
		pointer = "case_pointer"
	}
	note := strings.NewReplacer("{question}", entry.Question, "{n}", itoa(in.Step), "{total}", itoa(len(entry.Items))).
		Replace(e.kb.Message(pointer, lang))
	r.Blocks = append(r.Blocks, Block{Text: knowledge.Text{{Text: note}}, Note: true})
}

// prefixLines lists the supported prefixes by carrier, in table order.
// prefixLines are the table's supported prefixes, a line per carrier.
func (e *engine) prefixLines(lang string) []knowledge.Text {
	if lines, ok := e.prefixes[lang]; ok {
		return lines
	}
	return e.buildPrefixLines(lang)
}

func (e *engine) buildPrefixLines(lang string) []knowledge.Text {
	var carriers []string
	by := map[string][]string{}
	for _, p := range e.kb.ZH.Prefixes {
		if !p.Valid {
			continue
		}
		if _, ok := by[p.Carrier]; !ok {
			carriers = append(carriers, p.Carrier)
		}
		by[p.Carrier] = append(by[p.Carrier], p.Prefix)
	}
	sep, colon := "、", "："
	if lang == "en" {
		sep, colon = ", ", ": "
	}
	var out []knowledge.Text
	for _, c := range carriers {
		out = append(out, knowledge.Text{{Text: knowledge.CarrierName(c, lang) + colon + strings.Join(by[c], sep)}})
	}
	return out
}

func (e *engine) prefixBlock(lang string) Block {
	b := Block{}
	for _, t := range e.prefixLines(lang) {
		b.Items = append(b.Items, ListItem{Text: t})
	}
	return b
}

// label names an intent for a clarify option: the question, or the first
// sentence of the step.
func (e *engine) label(id, lang string) string {
	t, ok := e.kb.Target(id)
	if !ok || !t.IsEntry() {
		return id
	}
	entry := e.kb.Entry(t.Entry, lang)
	if t.Step == 0 {
		return entry.Question
	}
	s := strings.Join(strings.Fields(entry.Items[t.Step-1].Text.Plain()), " ")
	for _, stop := range []string{"。", ". ", "；", "; "} {
		if i := strings.Index(s, stop); i > 0 {
			s = s[:i]
		}
	}
	if utf8.RuneCountInString(s) > 60 {
		s = truncateRunes(s, 60)
		if i := strings.LastIndexByte(s, ' '); i > 30 { // English: a whole word
			s = s[:i]
		}
		s += "…"
	}
	return s
}

func itoa(n int) string { return strconv.Itoa(n) }

func hasLetters(s string) bool {
	for _, r := range s {
		if isHan(r) || r < 0x80 && isLetter(byte(r)) {
			return true
		}
	}
	return false
}

// Nearest returns the question (in Chinese, as the FAQ writes it) of the
// entry nearest to text, "" when none is near: reports group the messages
// the bot could not answer by it.
func (b *Bot) Nearest(text string) string {
	e := b.cur.Load()
	id := e.m.classify(text, false).Nearest
	if t, ok := e.kb.Target(id); ok && t.IsEntry() {
		return e.kb.ZH.Entries[t.Entry].Question
	}
	return ""
}

// Question returns the Chinese question of the entry an answer comes from
// and, for a step or case, its number; "" for the bot's own messages and
// none.
func (b *Bot) Question(id string) (question string, step int) {
	e := b.cur.Load()
	t, ok := e.kb.Target(id)
	if !ok || !t.IsEntry() {
		return "", 0
	}
	return e.kb.ZH.Entries[t.Entry].Question, t.Step
}

// Label is how a clarify question offers an answer: its entry's question,
// or the beginning of its step or case, in lang.
func (b *Bot) Label(id, lang string) string { return b.cur.Load().label(id, lang) }
