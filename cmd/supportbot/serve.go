package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"syscall"
	"time"

	goslack "github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
	"github.com/supportbot/supportbot/bot/chanstate"
	slackchan "github.com/supportbot/supportbot/handlers/slack"
	"github.com/supportbot/supportbot/handlers/web"
	"github.com/supportbot/supportbot/handlers/wecom"
)

// closeGrace is how long the channels may take to send the answers they
// took, once the server has stopped taking requests.
const closeGrace = 10 * time.Second

// serving is what serve sets up: the routes, and the channels in service.
type serving struct {
	a     *app
	mux   *http.ServeMux
	admin *web.Admin
	slack *slackchan.Adapter // nil: Slack is off
	wecom *wecom.Adapter     // nil: WeCom is off
	// What the log says of each channel.
	slackMode, wecomMode string
	// Socket Mode runs until stopSocket; sockets waits for it.
	socketCtx  context.Context
	stopSocket context.CancelFunc
	sockets    sync.WaitGroup
}

// serve runs the HTTP server on ln, and the channels that are configured,
// until ctx ends; then it stops taking requests and finishes the answers
// already taken.
func serve(ctx context.Context, a *app, ln net.Listener) int {
	s := &serving{a: a, mux: http.NewServeMux(), slackMode: "off", wecomMode: "off"}
	s.socketCtx, s.stopSocket = context.WithCancel(context.Background())
	defer s.stopSocket()
	s.routeWeb()
	s.routeHealth()
	stopBackground := s.startBackground()
	defer stopBackground()
	s.startSlack()
	if err := s.startWeCom(); err != nil {
		a.log.Error("wecom: callback settings", "err", err)
		return exitFailure
	}
	s.countChannels()
	s.logSettings(ln)
	s.startDebug()
	code := s.run(ctx, ln)
	s.closeChannels()
	a.log.Info("stopped")
	return code
}

// routeWeb adds the chat API and page, and the admin console when there is
// an exchange log to show.
func (s *serving) routeWeb() {
	a := s.a
	api := &web.API{Bot: a.bot, Log: a.log, Handoffs: a.bot, AdminToken: a.cfg.AdminToken, Feedback: a.feedback,
		FrameAncestors: a.cfg.FrameAncestors, Proxies: a.cfg.Proxies,
		// One address may send what ten users may: an office behind one.
		ChatsPerMinute: 10 * a.cfg.RateLimit, SignIns: &web.SignIns{}}
	if a.store != nil {
		api.Mailbox = a.store
	}
	api.Register(s.mux)
	s.admin = &web.Admin{Token: a.cfg.AdminToken, Bot: a.bot, Log: a.log, Knowledge: a.knowledgeStatus, Deliver: map[string]web.Deliver{},
		Proxies: a.cfg.Proxies, Revoked: a.state.sessions, SignIns: api.SignIns}
	if a.store != nil {
		s.admin.Store = adminStore{a.store, a}
		s.admin.Register(s.mux)
	}
}

// routeHealth adds /readyz (the exchange log answers and can be written;
// degraded while Redis or Slack's socket is down) and /metrics.
func (s *serving) routeHealth() {
	a := s.a
	s.mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if a.store != nil {
			ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
			defer cancel()
			if err := a.store.Ping(ctx); err != nil {
				http.Error(w, "exchange log unavailable", http.StatusServiceUnavailable)
				return
			}
			if err := a.store.Healthy(); err != nil {
				http.Error(w, "exchange log cannot be written", http.StatusServiceUnavailable)
				return
			}
		}
		if a.state != nil && a.state.failover != nil && a.state.failover.Down() {
			io.WriteString(w, "ready, degraded: redis unreachable, using local state\n")
			return
		}
		if s.slack != nil && s.slack.SocketDown() {
			io.WriteString(w, "ready, degraded: slack socket mode not connected\n")
			return
		}
		io.WriteString(w, "ready\n")
	})
	if a.metrics != nil {
		s.mux.Handle("GET /metrics", a.metrics.Handler())
	}
}

// dedup is a channel's dedup set, its hits counted.
func (s *serving) dedup() chanstate.Dedup {
	if s.a.metrics != nil {
		return s.a.metrics.CountDedup(s.a.state.dedup())
	}
	return s.a.state.dedup()
}

// startBackground starts the knowledge's hot reload (on file changes and
// SIGHUP) and the exchange log's pruning; the returned func stops them.
func (s *serving) startBackground() (stop func()) {
	a := s.a
	background, cancel := context.WithCancel(context.Background())
	var bg sync.WaitGroup
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP) // before serving, so a SIGHUP never ends the process
	w := a.watchKBDir()
	bg.Go(func() { a.watchKnowledge(background, hup, w) })
	if a.store != nil {
		bg.Go(func() { a.prune(background) })
	}
	return func() {
		cancel()
		bg.Wait()
		signal.Stop(hup)
		if w != nil {
			w.Close()
		}
	}
}

// startSlack starts the Slack channel when it is configured: over Socket
// Mode with SLACK_APP_TOKEN, over HTTP with SLACK_SIGNING_SECRET, or both.
func (s *serving) startSlack() {
	a, sc := s.a, s.a.cfg.Slack
	if !sc.Enabled() {
		return
	}
	client := goslack.New(sc.BotToken, goslack.OptionAPIURL(sc.APIURL), goslack.OptionAppLevelToken(sc.AppToken),
		goslack.OptionHTTPClient(apiClient()))
	cfg := slackchan.Config{SigningSecret: sc.SigningSecret, AgentChannel: sc.AgentChannel, AgentIDs: sc.AgentIDs, Console: a.cfg.AdminToken != ""}
	if a.store != nil && !sc.NoInbox {
		// Acknowledged events are kept in the exchange log's database
		// until answered, sealed under the workspace's secrets.
		cfg.Inbox, cfg.InboxSecret = a.store, []byte(sc.SigningSecret+"\x00"+sc.BotToken)
	}
	s.slack = slackchan.New(a.bot, client, s.dedup(), a.feedback, cfg, a.log)
	s.slack.Start(s.socketCtx)
	s.admin.Deliver["slack"] = s.slack.DeliverAgentReply
	if a.metrics != nil {
		a.metrics.CountWork("slack", s.slack.WorkCounts)
	}
	if sc.AppToken != "" {
		s.slackMode = "socket mode"
		sm := socketmode.New(client)
		s.sockets.Go(func() {
			if err := s.slack.RunSocketMode(s.socketCtx, sm); err != nil && s.socketCtx.Err() == nil {
				a.log.Error("slack: socket mode stopped", "err", err)
			}
		})
	}
	if sc.SigningSecret != "" {
		s.slack.Register(s.mux)
		if s.slackMode == "off" {
			s.slackMode = "POST /slack/events, /slack/commands, /slack/interactive"
		} else {
			s.slackMode += " and HTTP"
		}
	}
}

// startWeCom starts the WeCom channel (the app's callback, and 微信客服
// with its secret) when it is configured.
func (s *serving) startWeCom() error {
	a, wc := s.a, s.a.cfg.WeCom
	if !wc.Enabled() {
		return nil
	}
	crypto, err := wecom.NewCrypto(wc.Token, wc.AESKey, wc.CorpID)
	if err != nil {
		return err
	}
	api := wecom.NewClient(wc.APIURL, wc.CorpID)
	if a.state.tokens != nil {
		api.Shared = a.state.tokens
	}
	cfg := wecom.Config{CorpID: wc.CorpID, AgentID: wc.AgentID, Secret: wc.Secret, KfSecret: wc.KfSecret, RobotWebhook: wc.RobotWebhook,
		MaxClockSkew: wc.MaxClockSkew, Replies: a.state.answers, Console: a.cfg.AdminToken != "", Feedback: a.feedback}
	if a.store != nil {
		// Model and long answers, sent after the empty 200, are kept in
		// the exchange log's database until sent, sealed under the app's
		// secrets.
		cfg.Inbox, cfg.InboxSecret = a.store, []byte(wc.AESKey+"\x00"+wc.Secret)
	}
	s.wecom = wecom.New(a.bot, crypto, api, s.dedup(), a.state.cursors, cfg, a.log)
	s.wecom.Start(s.socketCtx)
	s.admin.Deliver["wecom"] = s.wecom.DeliverAgentReply
	if a.metrics != nil {
		a.metrics.CountWork("wecom", s.wecom.WorkCounts)
	}
	if wc.KfSecret != "" {
		s.admin.Deliver["wechat-kf"] = s.wecom.DeliverAgentReply
	}
	s.wecom.Register(s.mux)
	s.wecomMode = "GET/POST /wecom/callback"
	if wc.KfSecret != "" {
		s.wecomMode += " with 微信客服"
	}
	return nil
}

// countChannels has the metrics show every channel in service from the
// start, at 0.
func (s *serving) countChannels() {
	a := s.a
	if a.metrics == nil {
		return
	}
	channels := []string{"web"}
	if a.cfg.Slack.Enabled() {
		channels = append(channels, "slack")
	}
	if a.cfg.WeCom.Enabled() {
		channels = append(channels, "wecom")
		if a.cfg.WeCom.KfSecret != "" {
			channels = append(channels, "wechat-kf")
		}
	}
	a.metrics.Channels(channels...)
}

// logSettings says what is in service: the knowledge, its files, the
// settings and the channels.
func (s *serving) logSettings(ln net.Listener) {
	a := s.a
	kb := a.bot.KB()
	a.log.Info("serving", "addr", ln.Addr().String(), "knowledge", kb.Version, "questions", len(kb.ZH.Entries),
		"prefixes", len(kb.ZH.Prefixes), "intents", len(kb.Rules.Intents))
	sources := []any{}
	for _, src := range kb.Sources {
		sources = append(sources, src.Name, src.From)
	}
	a.log.Info("knowledge files", sources...)
	adminAPI := "off (set ADMIN_TOKEN)"
	if a.cfg.AdminToken != "" {
		adminAPI = "on: /admin"
	}
	shared := "in this process"
	if a.cfg.RedisURL != "" {
		shared = "redis"
	}
	logStore := "sqlite in " + a.cfg.DataDir
	if a.cfg.DatabaseURL != "" {
		logStore = "postgres"
	}
	a.log.Info("settings", "exchange_log", logStore, "kb_dir", a.cfg.KBDir, "admin_api", adminAPI, "shared_state", shared,
		"rate_limit_per_min", a.cfg.RateLimit)
	model := "off"
	if a.cfg.LLM.Enabled() {
		model = a.cfg.LLM.Model + " at " + a.cfg.LLM.BaseURL
	}
	a.log.Info("channels", "web", "chat page at http://"+browsable(ln.Addr())+"/ and POST /api/chat", "slack", s.slackMode, "wecom", s.wecomMode, "fallback_model", model)
}

// startDebug serves pprof on DEBUG_ADDR when set; otherwise the heap is not
// sampled at all.
func (s *serving) startDebug() {
	if s.a.cfg.DebugAddr != "" {
		startDebug(s.a.cfg.DebugAddr, s.a.log)
		return
	}
	// Nobody can read a heap profile: stop sampling allocations, which
	// costs a stack walk per sample and keeps its buckets in memory.
	runtime.MemProfileRate = 0
}

// run serves HTTP on ln until ctx ends (or serving fails), then stops
// taking requests, within 10 seconds, and Socket Mode with them.
func (s *serving) run(ctx context.Context, ln net.Listener) int {
	srv := &http.Server{
		Handler:           s.mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.a.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	code := exitOK
	select {
	case err := <-errc:
		s.a.log.Error("serve", "err", err)
		code = exitFailure
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && code == exitOK {
		s.a.log.Error("shutdown", "err", err)
		code = exitFailure
	}
	s.stopSocket()
	s.sockets.Wait()
	return code
}

// closeChannels sends the answers already taken, for at most closeGrace
// (and 3 s more for those under way then): with the HTTP server's
// shutdown, within Kubernetes' 30 seconds. What Slack's adapter could not
// answer stays in its inbox for the next start.
func (s *serving) closeChannels() {
	var closing sync.WaitGroup
	if s.slack != nil {
		closing.Go(func() { s.slack.CloseWithin(closeGrace) })
	}
	if s.wecom != nil {
		closing.Go(func() { s.wecom.CloseWithin(closeGrace) })
	}
	closing.Wait()
}
