package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime"
	"runtime/debug"
	"strings"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/bot/chanstate"
	"github.com/supportbot/supportbot/bot/llm"
	"github.com/supportbot/supportbot/bot/match"
	"github.com/supportbot/supportbot/bot/redisstate"
	"github.com/supportbot/supportbot/bot/sqlstore"
	"github.com/supportbot/supportbot/handlers/metrics"
	"github.com/supportbot/supportbot/handlers/terminal"
	"github.com/supportbot/supportbot/handlers/web"
	"github.com/supportbot/supportbot/handlers/wecom"
	"github.com/supportbot/supportbot/knowledge"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = ""

const usage = `supportbot answers customer-support questions from an FAQ in Markdown (the built-in
one: ICP filing SMS verification; KB_DIR for your own).

Usage:
  supportbot                      serve the chat API (same as "supportbot serve")
  supportbot serve                serve HTTP on LISTEN_ADDR (default :8080)
  supportbot ask TEXT...          print the answer a user would get
  supportbot chat                 chat in the terminal
  supportbot checknum [--json] NUMBER...
                                  check numbers or prefixes against the FAQ's prefix table
  supportbot classify             classify one message per stdin line, as JSON lines
  supportbot eval [--json] [--plot FILE.svg] FILE
                                  score the matcher on a labelled JSONL set
  supportbot report [--json] [--since 7d]
                                  unanswered questions, intents, helpfulness, handoffs
  supportbot kb export DIR        write the built-in knowledge files to DIR
  supportbot kb check DIR         validate the knowledge files in DIR
  supportbot version              print the version

Run "supportbot COMMAND --help" for a command's flags. Settings come from the
environment or a .env file (see .env.example).
`

// exit codes
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// run is the whole program; main only wires it to the process.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	getenv, err := envWithDotenv(getenv)
	if err != nil {
		fmt.Fprintln(stderr, "supportbot:", err)
		return exitFailure
	}
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "-h", "--help", "-help", "help":
		fmt.Fprint(stdout, usage)
		return exitOK
	case "version", "--version":
		fmt.Fprintln(stdout, "supportbot", versionString())
		return exitOK
	case "kb":
		return cmdKB(args, stdout, stderr)
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		fmt.Fprintln(stderr, "supportbot:", err)
		return exitUsage
	}
	commands := map[string]func(context.Context, *app, []string) int{
		"serve":    cmdServe,
		"ask":      cmdAsk,
		"chat":     cmdChat,
		"checknum": cmdChecknum,
		"classify": cmdClassify,
		"eval":     cmdEval,
		"report":   cmdReport,
	}
	f, ok := commands[cmd]
	if !ok {
		fmt.Fprintf(stderr, "supportbot: unknown command %q\n\n%s", cmd, usage)
		return exitUsage
	}
	a := &app{cfg: cfg, stdin: stdin, stdout: stdout, stderr: stderr}
	a.log = newLogger(stderr, cfg.LogLevel, cfg.LogFormat)
	return f(ctx, a, args)
}

// app carries what every command needs.
type app struct {
	cfg            Config
	bot            *bot.Bot
	norm           *match.Normalizer
	feedback       bot.FeedbackStore
	handoffs       bot.Handoffs
	metrics        *metrics.Metrics // serve only
	lastReloadErr  atomic.Value     // string: the last refused edit, "" after a good reload
	store          *sqlstore.Store  // serve only
	state          *sharedState
	log            *slog.Logger
	stdin          io.Reader
	stdout, stderr io.Writer
}

// loadBot loads the knowledge and builds the bot, with conversation state
// in memory and any extra options.
func (a *app) loadBot(extra ...bot.BotOption) error {
	kb, norm, err := a.loadParts()
	if err != nil {
		return err
	}
	return a.buildBot(kb, norm, extra...)
}

// loadParts loads the dictionaries and the knowledge side by side: both
// are on the path to the first answer.
func (a *app) loadParts() (*knowledge.KB, *match.Normalizer, error) {
	type normResult struct {
		n   *match.Normalizer
		err error
	}
	nc := make(chan normResult, 1)
	go func() {
		n, err := match.NewNormalizer()
		nc <- normResult{n, err}
	}()
	kb, err := a.loadKnowledge()
	nr := <-nc
	if err != nil {
		return nil, nil, fmt.Errorf("load knowledge:\n%w", err)
	}
	return kb, nr.n, nr.err
}

// buildBot compiles the rules and builds the bot with the state in a.state.
func (a *app) buildBot(kb *knowledge.KB, norm *match.Normalizer, extra ...bot.BotOption) error {
	var err error
	if a.state == nil {
		a.state = memoryState(a.cfg.RateLimit)
	}
	a.handoffs = a.state.handoffs
	opts := []bot.BotOption{bot.WithLogger(a.log), bot.WithConversations(a.state.conv, a.cfg.ConversationTTL),
		bot.WithHandoffs(a.handoffs, a.cfg.HandoffTTL)}
	if l := a.cfg.LLM; l.Enabled() {
		opts = append(opts, bot.WithFallback(llm.New(llm.Config{APIKey: l.APIKey, BaseURL: l.BaseURL, Model: l.Model, MaxTokens: l.MaxTokens}),
			bot.FallbackConfig{Timeout: l.Timeout, Cache: a.state.answers}))
	}
	a.norm = norm
	a.bot, err = bot.New(kb, norm, append(opts, extra...)...)
	if a.feedback == nil {
		a.feedback = bot.NewMemoryFeedback(10000)
	}
	return err
}

// loadKnowledge reads the knowledge in service: KB_DIR, or the built-in.
func (a *app) loadKnowledge() (*knowledge.KB, error) {
	if a.cfg.KBDir != "" {
		return knowledge.LoadDir(a.cfg.KBDir)
	}
	return knowledge.Default()
}

func newLogger(w io.Writer, level, format string) *slog.Logger {
	var l slog.Level
	l.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: l}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func versionString() string {
	v := version
	info, ok := debug.ReadBuildInfo()
	if v == "" && ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		v = info.Main.Version
	}
	if v == "" {
		v = "dev"
		if ok { // go build in a git checkout records the commit
			var rev, dirty string
			for _, kv := range info.Settings {
				switch kv.Key {
				case "vcs.revision":
					rev = kv.Value
				case "vcs.modified":
					if kv.Value == "true" {
						dirty = "+changes"
					}
				}
			}
			if len(rev) >= 12 {
				v += " " + rev[:12] + dirty
			}
		}
	}
	goVersion := "unknown"
	if ok {
		goVersion = info.GoVersion
	}
	kb := "?"
	if k, err := knowledge.Default(); err == nil {
		kb = k.Version
	}
	return fmt.Sprintf("%s (%s, built-in knowledge %s)", v, goVersion, kb)
}

func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: supportbot %s\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags; done is true when the command should return code.
func parse(fs *flag.FlagSet, args []string) (code int, done bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, true
		}
		return exitUsage, true
	}
	return 0, false
}

// start parses a command's flags and then loads the bot, so that --help
// answers at once and a bad flag costs nothing.
func (a *app) start(fs *flag.FlagSet, args []string, opts ...bot.BotOption) (code int, done bool) {
	if code, done := parse(fs, args); done {
		return code, true
	}
	if a.bot != nil {
		return 0, false
	}
	if err := a.loadBot(opts...); err != nil {
		fmt.Fprintln(a.stderr, "supportbot:", err)
		return exitFailure, true
	}
	return 0, false
}

func cmdServe(ctx context.Context, a *app, args []string) int {
	fs := newFlagSet("serve", "serve\n\nServes GET /healthz, /readyz, /metrics and POST /api/chat on LISTEN_ADDR, plus the Slack routes\n(/slack/events, /slack/commands, /slack/interactive) and the WeCom callback\n(/wecom/callback) when those channels are configured (see .env.example).", a.stderr)
	if code, done := parse(fs, args); done {
		return code
	}
	ln, err := net.Listen("tcp", a.cfg.ListenAddr)
	if err != nil {
		a.log.Error("listen", "addr", a.cfg.ListenAddr, "err", err)
		return exitFailure
	}
	if a.cfg.Procs > 0 {
		runtime.GOMAXPROCS(a.cfg.Procs) // it may come from .env, which the runtime does not read
	}
	// Loading allocates about 6 MB, half of it garbage a moment later:
	// collecting during it would only delay the first answer, so the
	// collector's target is set far above that. One collection at its end,
	// before serving, takes about 4 ms. Without it, setting the target back
	// started one at once, beside the first requests, and ready to serve
	// came about 4 ms later. (The target is not switched off instead: when a
	// collection ends with the heap's goal over 1 GiB, as it is with the
	// target off, the runtime backs its heap index with huge pages, 8 MB
	// more resident memory for good. At 1000% that would take a live heap
	// of about 90 MB; loading leaves 4 MB.)
	debug.SetGCPercent(1000)
	closeStore, err := a.openServing(ctx)
	if err != nil {
		debug.SetGCPercent(a.cfg.GCPercent)
		ln.Close()
		fmt.Fprintln(a.stderr, "supportbot:", err)
		return exitFailure
	}
	runtime.GC()
	debug.SetGCPercent(a.cfg.GCPercent)
	defer closeStore()
	return serve(ctx, a, ln)
}

// openServing opens the exchange log, the metrics and the bot with all
// the state a server keeps; the returned func closes the log.
func (a *app) openServing(ctx context.Context) (func(), error) {
	// The exchange log opens while the knowledge loads.
	type opened struct {
		s   *sqlstore.Store
		err error
	}
	oc := make(chan opened, 1)
	go func() {
		s, err := a.openStore(ctx)
		oc <- opened{s, err}
	}()
	kb, norm, perr := a.loadParts()
	o := <-oc
	if o.err != nil {
		return nil, o.err
	}
	store := o.s
	if perr != nil {
		store.Close()
		return nil, perr
	}
	a.store, a.feedback, a.metrics = store, store, metrics.New()
	a.metrics.CountDroppedExchanges(store.Dropped)
	closeAll := func() { store.Close() }
	a.state = memoryState(a.cfg.RateLimit)
	if a.cfg.RedisURL != "" {
		o, err := redisstate.Options(a.cfg.RedisURL)
		if err != nil {
			store.Close()
			return nil, fmt.Errorf("REDIS_URL: %w", err)
		}
		redis.SetLogger(quietRedis{}) // outages are logged once, by the failover
		client := redis.NewClient(o)
		failover := redisstate.NewFailover(a.log, a.cfg.RateLimit, a.metrics.RedisError)
		go failover.Watch(ctx, func(ctx context.Context) error { return client.Ping(ctx).Err() })
		a.state = redisState(client, a.cfg.RateLimit, failover)
		closeAll = func() { client.Close(); store.Close() }
	}
	opts := []bot.BotOption{bot.WithRecorder(store), bot.WithObserver(a.metrics), bot.WithDesks(a.cfg.desks())}
	if a.cfg.RateLimit > 0 {
		opts = append(opts, bot.WithRateLimiter(a.state.rate))
	}
	if err := a.buildBot(kb, norm, opts...); err != nil {
		closeAll()
		return nil, err
	}
	return closeAll, nil
}

// openStore opens the exchange log: PostgreSQL with DATABASE_URL, else
// SQLite in DATA_DIR.
func (a *app) openStore(ctx context.Context) (*sqlstore.Store, error) {
	if a.cfg.DatabaseURL != "" {
		s, err := sqlstore.OpenPostgres(ctx, a.cfg.DatabaseURL)
		if err != nil {
			return nil, fmt.Errorf("exchange log (DATABASE_URL): %w", err)
		}
		return s, nil
	}
	s, err := sqlstore.Open(ctx, a.cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("exchange log (set DATA_DIR to a writable folder): %w", err)
	}
	return s, nil
}

// sharedState is where the bot keeps what replicas must share.
type sharedState struct {
	dedup    func() chanstate.Dedup
	conv     bot.Conversations
	handoffs bot.Handoffs
	rate     bot.RateLimiter
	cursors  chanstate.Cursors
	answers  bot.AnswerCache // nil: each process caches model answers itself
	// sessions keeps the console's signed-out sessions; unlike answers it
	// fails during an outage (nil: this process keeps them), so a revoked
	// session is refused rather than let in again.
	sessions bot.AnswerCache
	tokens   wecom.TokenStore     // nil: each process fetches its own WeCom token
	failover *redisstate.Failover // nil without Redis
}

func memoryState(perMinute int) *sharedState {
	return &sharedState{dedup: func() chanstate.Dedup { return chanstate.NewMemoryDedup() }, conv: bot.NewMemoryConversations(),
		handoffs: bot.NewMemoryHandoffs(), rate: bot.NewMemoryRateLimiter(max(perMinute, 1)), cursors: chanstate.NewMemoryCursors()}
}

func redisState(c *redis.Client, perMinute int, f *redisstate.Failover) *sharedState {
	return &sharedState{
		dedup:    func() chanstate.Dedup { return f.Dedup(redisstate.Dedup{R: c}) },
		conv:     f.Conversations(redisstate.Conversations{R: c}),
		handoffs: f.Handoffs(redisstate.Handoffs{R: c}),
		rate:     f.RateLimiter(redisstate.RateLimiter{R: c, PerMinute: max(perMinute, 1)}),
		cursors:  f.Cursors(redisstate.Cursors{R: c}),
		answers:  f.Answers(redisstate.Answers{R: c}),
		sessions: redisstate.Answers{R: c},
		tokens:   redisstate.Tokens{R: c},
		failover: f,
	}
}

type quietRedis struct{}

func (quietRedis) Printf(context.Context, string, ...any) {}

func cmdAsk(ctx context.Context, a *app, args []string) int {
	fs := newFlagSet("ask", "ask [--json] [--lang zh|en] TEXT...\n\nPrints the answer a user would get.", a.stderr)
	asJSON := fs.Bool("json", false, "print the API's JSON answer")
	lang := fs.String("lang", "", "answer language when the text does not tell (zh or en)")
	if code, done := a.start(fs, args); done {
		return code
	}
	text := strings.Join(fs.Args(), " ")
	if text == "" {
		fs.Usage()
		return exitUsage
	}
	reply := a.bot.Respond(ctx, bot.Message{Channel: "cli", Text: text, Lang: *lang})
	if *asJSON {
		return writeJSONLine(a.stdout, web.NewChatResponse(reply))
	}
	fmt.Fprintln(a.stdout, reply.PlainText())
	return exitOK
}

func cmdChat(ctx context.Context, a *app, args []string) int {
	fs := newFlagSet("chat", "chat\n\nChat with the bot: one message per line; \"exit\" or Ctrl-D ends.", a.stderr)
	// No agent watches a terminal: a request for a person gets "no agent
	// available here".
	if code, done := a.start(fs, args, bot.WithDesks()); done {
		return code
	}
	fmt.Fprintf(a.stdout, "supportbot chat: ask about %s; \"exit\" ends.\n", knowledgeTitles(a.bot.KB()))
	if err := terminal.Chat(ctx, a.bot, a.stdin, a.stdout, "terminal", "> "); err != nil {
		fmt.Fprintln(a.stderr, "supportbot:", err)
		return exitFailure
	}
	return exitOK
}
