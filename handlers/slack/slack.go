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
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	goslack "github.com/slack-go/slack"
	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/bot/chanstate"
	"github.com/supportbot/supportbot/handlers/internal/inbox"
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
	dedup    chanstate.Dedup
	feedback bot.FeedbackStore
	cfg      Config
	log      *slog.Logger
	verifier *verifier
	http     *http.Client // for response_url follow-ups
	now      func() time.Time

	mu        sync.RWMutex
	botUserID string

	pool        *workq.Pool    // answers and button presses, after the ack
	pausedUntil atomic.Int64   // unix nanos: Slack's rate limit holds every post until then
	socket      atomic.Int32   // socketOff, socketConnecting or socketConnected
	inbox       *inbox.Keeper  // nil without Config.Inbox
	bg          sync.WaitGroup // the auth.test retries
	closing     sync.Once
	stopped     chan struct{}
}

// New returns an adapter; Start it before serving.
func New(b Bot, api API, dedup chanstate.Dedup, feedback bot.FeedbackStore, cfg Config, log *slog.Logger) *Adapter {
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
	a := &Adapter{
		bot: b, api: api, dedup: dedup, feedback: feedback, cfg: cfg, log: log, verifier: newVerifier(cfg.SigningSecret),
		http: &http.Client{Timeout: 10 * time.Second}, now: time.Now,
		pool: workq.New("slack", cfg.Workers, cfg.Queue, cfg.PostDeadline+time.Minute, log), stopped: make(chan struct{}),
	}
	if cfg.Inbox != nil {
		a.inbox = inbox.New(cfg.Inbox, "slack", cfg.InboxSecret, a.pool, log, a.answerPlain)
	}
	return a
}

// Start learns the bot's own user id (auth.test), retrying in the
// background while Slack cannot be reached.
func (a *Adapter) Start(ctx context.Context) {
	if a.inbox != nil {
		a.inbox.Start(ctx)
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
	a.bg.Wait()
	if a.inbox != nil {
		a.inbox.Close(d)
	} else {
		a.pool.Close(d)
	}
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
