package bot

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/supportbot/supportbot/bot/match"
	"github.com/supportbot/supportbot/bot/phone"
	"github.com/supportbot/supportbot/knowledge"
)

// Fallback answers a question the rules had no confident answer for, from
// the FAQ passages it is given and nothing else. A language model behind an
// OpenAI-compatible API is one (package bot/llm).
type Fallback interface {
	// Answer returns the answer text, or ErrNotInFAQ when the passages do
	// not answer the question.
	Answer(ctx context.Context, q Question) (string, error)
}

// ErrNotInFAQ is what a Fallback returns when the passages do not hold the
// answer.
var ErrNotInFAQ = errors.New("the FAQ passages do not answer the question")

// Question is what a Fallback gets: the user's text with phone numbers
// masked, the language to answer in, and the most relevant FAQ passages.
type Question struct {
	Text string
	Lang string
	// Scope says what the FAQ covers: its files' titles.
	Scope    string
	Passages []Passage
	History  []Turn
}

// Passage is one FAQ entry's intro or one of its steps.
type Passage struct {
	Entry    int
	Step     int // 0 for the entry's introduction
	Question string
	Text     string
}

// Turn is one earlier message of the conversation.
type Turn struct {
	User, Bot string
}

// FallbackConfig tunes how the bot uses a Fallback.
type FallbackConfig struct {
	Timeout     time.Duration // per call (default 8s)
	Concurrency int           // calls at once (default 4)
	CacheTTL    time.Duration // identical questions (default 10m)
	CacheSize   int           // (default 512)
	Failures    int           // consecutive failures that open the breaker (default 3)
	Cooldown    time.Duration // how long the breaker stays open (default 30s)
	// Cache, when set, shares answers between replicas (Redis); by
	// default each process keeps its own.
	Cache AnswerCache
}

// AnswerCache keeps the model's answers to identical questions for a while.
type AnswerCache interface {
	// Get returns a cached answer; notInFAQ is a cached "the FAQ does not
	// say".
	Get(ctx context.Context, key string) (answer string, notInFAQ, ok bool, err error)
	Set(ctx context.Context, key, answer string, notInFAQ bool, ttl time.Duration) error
}

// NewMemoryAnswerCache returns an in-process AnswerCache that keeps at
// most size answers.
func NewMemoryAnswerCache(size int) AnswerCache {
	return &memoryAnswers{m: map[string]cached{}, size: max(size, 1), now: time.Now}
}

// memoryAnswers is the in-process AnswerCache.
type memoryAnswers struct {
	mu   sync.Mutex
	m    map[string]cached
	size int
	now  func() time.Time
}

func (c *memoryAnswers) Get(_ context.Context, key string) (string, bool, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || !c.now().Before(e.until) {
		return "", false, false, nil
	}
	return e.answer, e.err != nil, true, nil
}

func (c *memoryAnswers) Set(_ context.Context, key, answer string, notInFAQ bool, ttl time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if len(c.m) >= c.size {
		for k, e := range c.m { // drop the expired, or any one
			if !now.Before(e.until) || len(c.m) >= c.size {
				delete(c.m, k)
			}
			if len(c.m) < c.size {
				break
			}
		}
	}
	var err error
	if notInFAQ {
		err = ErrNotInFAQ
	}
	c.m[key] = cached{answer: answer, err: err, until: now.Add(ttl)}
	return nil
}

// fallbackRunner puts the bot's guard rails around a Fallback: a timeout,
// a concurrency limit, a circuit breaker and a small cache.
type fallbackRunner struct {
	fb  Fallback
	cfg FallbackConfig
	sem chan struct{}
	now func() time.Time

	mu        sync.Mutex
	failures  int
	openUntil time.Time
	cache     AnswerCache
}

type cached struct {
	answer string
	err    error // ErrNotInFAQ is cached too
	until  time.Time
}

// Fallback errors the bot tells apart.
var (
	errBreakerOpen = errors.New("fallback skipped: too many recent failures")
	errBusy        = errors.New("fallback skipped: too many calls at once")
)

func newFallbackRunner(fb Fallback, cfg FallbackConfig) *fallbackRunner {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 8 * time.Second
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 4
	}
	if cfg.CacheTTL <= 0 {
		cfg.CacheTTL = 10 * time.Minute
	}
	if cfg.CacheSize <= 0 {
		cfg.CacheSize = 512
	}
	if cfg.Failures <= 0 {
		cfg.Failures = 3
	}
	if cfg.Cooldown <= 0 {
		cfg.Cooldown = 30 * time.Second
	}
	cache := cfg.Cache
	if cache == nil {
		cache = &memoryAnswers{m: map[string]cached{}, size: cfg.CacheSize, now: time.Now}
	}
	return &fallbackRunner{fb: fb, cfg: cfg, sem: make(chan struct{}, cfg.Concurrency), now: time.Now, cache: cache}
}

// ask calls the fallback with the guard rails; key identifies identical
// questions for the cache.
func (f *fallbackRunner) ask(ctx context.Context, key string, q Question) (string, error) {
	if answer, notInFAQ, ok, err := f.cache.Get(ctx, key); err == nil && ok {
		if notInFAQ {
			return "", ErrNotInFAQ
		}
		return answer, nil
	}
	if f.breakerOpen() {
		return "", errBreakerOpen
	}

	select {
	case f.sem <- struct{}{}:
		defer func() { <-f.sem }()
	default:
		return "", errBusy
	}
	ctx, cancel := context.WithTimeout(ctx, f.cfg.Timeout)
	defer cancel()
	answer, err := f.fb.Answer(ctx, q)
	if err == nil && strings.TrimSpace(answer) == "" {
		err = errors.New("fallback gave an empty answer")
	}

	if err != nil && !errors.Is(err, ErrNotInFAQ) {
		f.failed()
		return "", err
	}
	f.succeeded()
	// A failed cache write only costs a model call later.
	_ = f.cache.Set(ctx, key, answer, err != nil, f.cfg.CacheTTL)
	return answer, err
}

func (f *fallbackRunner) breakerOpen() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now().Before(f.openUntil)
}

// failed counts a failure and opens the breaker after too many in a row.
func (f *fallbackRunner) failed() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures++
	if f.failures >= f.cfg.Failures {
		f.openUntil = f.now().Add(f.cfg.Cooldown)
		f.failures = 0
	}
}

func (f *fallbackRunner) succeeded() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures = 0
}

// passageConf is how sure the retrieval index must be of an entry for its
// text to be given to the fallback model: half the answer threshold
// (0.5), since the model is asked when no answer is confident, but over
// what an unrelated question that shares a word or two gets.
const passageConf = 0.25

// maxPassages caps what one question sends the model.
const maxPassages = 12

// passages are the FAQ texts most related to a question, for the fallback
// model: the best entries the retrieval index finds (each its
// introduction and its steps or cases), in the reader's language. With
// hundreds of entries, the model still gets only the few that matter.
func (e *engine) passages(norm, lang string, entries int) []Passage {
	var out []Passage
	for _, h := range e.m.Find(norm, entries) {
		if h.Conf < passageConf {
			continue
		}
		entry := e.kb.Entry(h.Doc, lang)
		var intro []string
		for _, t := range entry.Intro {
			intro = append(intro, t.Plain())
		}
		for _, t := range entry.Outro {
			intro = append(intro, t.Plain())
		}
		out = append(out, Passage{Entry: h.Doc, Question: entry.Question, Text: strings.Join(intro, "\n")})
		for si, it := range entry.Items {
			text := it.Text.Plain()
			for _, s := range it.Sub {
				text += "\n- " + s.Plain()
			}
			if it.Table {
				text += "\n" + prefixSummary(e.kb, lang)
			}
			for _, l := range it.Text.Links() {
				text += "\n(" + l.Text + ": " + l.URL + ")"
			}
			out = append(out, Passage{Entry: h.Doc, Step: si + 1, Question: entry.Question, Text: text})
		}
		if len(out) >= maxPassages {
			return out[:maxPassages]
		}
	}
	return out
}

// prefixSummary lists the supported prefixes for a passage.
func prefixSummary(kb *knowledge.KB, lang string) string {
	var ps []string
	for _, p := range kb.ZH.Prefixes {
		if p.Valid {
			ps = append(ps, p.Prefix)
		}
	}
	if lang == "en" {
		return "Supported prefixes: " + strings.Join(ps, ", ")
	}
	return "支持的号段：" + strings.Join(ps, "、")
}

// scope names what the FAQ covers: its files' titles, in lang.
func (e *engine) scope(lang string) string {
	var titles []string
	for _, t := range e.kb.Topics {
		title := t.Title
		if lang == "en" {
			title = t.TitleEN
		}
		titles = append(titles, title)
	}
	return strings.Join(titles, "; ")
}

// claimRE finds phone numbers and three-digit prefixes in a model's answer.
var claimRE = regexp.MustCompile(`1[3-9]\d(?:\*{4}\d{4}|\d{8})?`)

var (
	negClaim = []string{"不支持", "不能", "无法", "不可以", "不在", "收不到", "不行", "not supported", "unsupported", "cannot", "can't", "can not", "not on", "isn't", "is not", "won't", "not able"}
	posClaim = []string{"支持", "可以", "能收到", "能接收", "可接收", "在列表", "在支持", "supported", "can receive", "is on", "works", "able to"}
)

// guard checks what a generated answer says about numbers and prefixes
// against the table, sentence by sentence, and replaces any sentence that
// contradicts it with the table's verdict.
func (e *engine) guard(answer, lang string) string {
	var out strings.Builder
	for _, sent := range sentences(answer) {
		matches := claimRE.FindAllString(sent, -1)
		if len(matches) == 0 {
			out.WriteString(sent)
			continue
		}
		lower := strings.ToLower(sent)
		claimsNo := containsAny(lower, negClaim)
		claimsYes := !claimsNo && containsAny(lower, posClaim)
		wrong := false
		var verdicts []string
		for _, m := range matches {
			n := phone.Number{Input: m, Valid: true, Normalized: m}
			if len(m) != 3 && len(m) != 11 {
				n.Normalized = m[:3]
			}
			phone.Lookup(e.kb, &n)
			if (claimsNo && n.Supported) || (claimsYes && !n.Supported) {
				wrong = true
			}
			verdicts = append(verdicts, e.verdict(n, lang))
		}
		if wrong {
			out.WriteString(strings.Join(verdicts, " "))
			if strings.HasSuffix(sent, "\n") {
				out.WriteString("\n")
			}
			continue
		}
		out.WriteString(sent)
	}
	return out.String()
}

// sentences splits text after sentence-ending punctuation and newlines,
// keeping every character.
func sentences(s string) []string {
	var out []string
	start := 0
	for i, r := range s {
		switch r {
		case '。', '！', '？', '；', '\n', '!', '?', ';':
			end := i + utf8.RuneLen(r)
			out = append(out, s[start:end])
			start = end
		case '.':
			if i+1 >= len(s) || s[i+1] == ' ' || s[i+1] == '\n' {
				out = append(out, s[start:i+1])
				start = i + 1
			}
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

func containsAny(s string, list []string) bool {
	for _, w := range list {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// askFallback answers c from the model, or says why not.
func (b *Bot) askFallback(ctx context.Context, e *engine, text, lang string, c match.Classification, history []Turn) (Reply, bool) {
	passages := e.passages(b.norm.Normalize(text), lang, 3)
	if len(passages) == 0 {
		return Reply{}, false // not covered: the rules' "none" answer stands
	}
	q := Question{Text: phone.MaskText(text), Lang: lang, Scope: e.scope(lang), Passages: passages, History: history}
	answer, err := b.fb.ask(ctx, lang+"\x00"+b.norm.Normalize(text), q)
	r := Reply{Intent: knowledge.None, Confidence: c.Confidence, Lang: lang, Numbers: c.Numbers}
	switch {
	case errors.Is(err, ErrNotInFAQ):
		r.Blocks = []Block{{Text: knowledge.Text{{Text: e.kb.Message("none", lang)}}}}
		return r, true
	case err != nil:
		b.logFallbackError(err)
		r.Blocks = []Block{{Text: knowledge.Text{{Text: e.kb.Message("fallback_error", lang)}}}}
		r.FallbackFailed = true
		return r, true
	}
	for _, n := range c.Numbers {
		r.Blocks = append(r.Blocks, Block{Text: knowledge.Text{{Text: e.verdict(n, lang)}}})
	}
	top := passages[0]
	r.Generated = true
	r.Source = &Source{Entry: top.Entry, Question: top.Question, Step: top.Step, Total: len(e.kb.FAQ(lang).Entries[top.Entry].Items)}
	r.Blocks = append(r.Blocks, Block{Text: knowledge.Text{{Text: strings.TrimSpace(e.guard(answer, lang))}}})
	note := strings.ReplaceAll(e.kb.Message("generated_note", lang), "{question}", top.Question)
	r.Blocks = append(r.Blocks, Block{Text: knowledge.Text{{Text: note}}, Note: true})
	return r, true
}

func (b *Bot) logFallbackError(err error) {
	if b.log != nil {
		b.log.Warn("fallback failed", "err", fmt.Sprint(err))
	}
}
