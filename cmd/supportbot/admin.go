package main

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"strings"
	"time"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/bot/sqlstore"
	"github.com/supportbot/supportbot/handlers/web"
)

// adminStore gives the admin console the exchange log, with the report
// grouped and graded as `supportbot report` does.
type adminStore struct {
	*sqlstore.Store
	a *app
}

func (s adminStore) Report(ctx context.Context, since time.Time) (bot.Report, error) {
	kb := s.a.bot.KB()
	group := func(t string) string { return strings.ReplaceAll(s.a.norm.Normalize(t), " ", "") }
	return s.Store.Report(ctx, since, group, s.a.bot.Nearest, kb.Rules.Settings.Threshold+0.15, 20)
}

// knowledgeStatus describes the knowledge in use for the console.
func (a *app) knowledgeStatus() web.KnowledgeStatus {
	kb := a.bot.KB()
	st := web.KnowledgeStatus{Version: kb.Version, LoadedAt: kb.LoadedAt,
		Questions: len(kb.ZH.Entries), Prefixes: len(kb.ZH.Prefixes), Intents: len(kb.Rules.Intents)}
	for _, src := range kb.Sources {
		st.Sources = append(st.Sources, src.Name+": "+src.From)
	}
	if e, _ := a.lastReloadErr.Load().(string); e != "" {
		st.LastError = e
	}
	return st
}

// browsable is an address a browser on this machine can open.
func browsable(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// startDebug serves Go's profiler on addr, apart from the public mux.
func startDebug(addr string, log *slog.Logger) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	go func() {
		log.Info("profiler", "addr", "http://"+addr+"/debug/pprof/")
		if err := http.ListenAndServe(addr, mux); err != nil {
			log.Error("profiler", "addr", addr, "err", err)
		}
	}()
}

// apiClient is the HTTP client for the platforms' APIs: it keeps enough
// idle connections for the answer workers (net/http's default keeps two
// per host, so busy workers would open a connection per answer), and its
// write buffer holds a whole answer: with the default 4 KiB, a typical
// chat.postMessage (6 KB of form-encoded blocks) went out over HTTP/1.1 in
// two write system calls, headers and the body's head first, then the
// rest. (HTTP/2, which Slack's API offers over TLS, keeps its own buffer.)
func apiClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 128
	t.MaxIdleConnsPerHost = 64
	t.WriteBufferSize = 16 << 10
	return &http.Client{Timeout: 30 * time.Second, Transport: t}
}
