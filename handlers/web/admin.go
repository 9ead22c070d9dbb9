package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/supportbot/supportbot/bot"
)

//go:embed templates
var templates embed.FS

// AdminBot is what the console needs of the bot; *bot.Bot is one.
type AdminBot interface {
	Preview(ctx context.Context, text, lang string) bot.Reply
	Handoffs(ctx context.Context) ([]bot.Handoff, error)
	Resolve(ctx context.Context, id string) error
}

// AdminStore is what the console reads from, and writes agents' replies to.
type AdminStore interface {
	Report(ctx context.Context, since time.Time) (bot.Report, error)
	IntentsByDay(ctx context.Context, since time.Time) ([]bot.DayCount, error)
	Transcripts(ctx context.Context, qs []bot.TranscriptQuery) ([][]bot.Line, error)
	AddAgentMessage(ctx context.Context, channel, user, handoffID, text string) (int64, error)
}

// Deliver sends an agent's reply to the user of a handoff on a channel
// that pushes messages (Slack, WeCom). Web users poll for theirs.
type Deliver func(ctx context.Context, h bot.Handoff, text string) error

// KnowledgeStatus is what the console shows about the knowledge in use.
type KnowledgeStatus struct {
	Version   string
	LoadedAt  time.Time
	Sources   []string // "file: where it came from"
	LastError string   // the last refused reload, "" when the last was good
	Questions int
	Prefixes  int
	Intents   int
}

// Admin is the console at /admin: unanswered questions, intents over time,
// helpfulness, the handoff queue (resolve, reply), the knowledge status and
// a "try a question" box. It is off unless Token is set. It sends no
// script: every page is server-rendered HTML with all text escaped.
type Admin struct {
	Token     string
	Bot       AdminBot
	Store     AdminStore
	Deliver   map[string]Deliver // by channel; "web" needs none
	Knowledge func() KnowledgeStatus
	Log       *slog.Logger
	Now       func() time.Time // tests set it
	// Proxies are the reverse proxies whose forwarding headers count.
	Proxies Proxies
	// Revoked keeps the sessions that signed out (shared by the replicas
	// through Redis when set); nil: this process keeps them.
	Revoked Revocations

	// SignIns limits failed sign-ins per client address; nil: the console
	// keeps its own.
	SignIns *SignIns

	revokedOnce sync.Once
	ownSignIns  SignIns
}

const (
	adminCookie   = "supportbot_admin"
	sessionLife   = 12 * time.Hour
	adminMaxBody  = 16 << 10
	maxReplyRunes = 2000
	// maxHandoffsShown bounds the queue on the page (and the transcript
	// queries behind it), however many handoffs are open.
	maxHandoffsShown = 50
	// transcriptBefore is how much of the conversation before a handoff
	// the queue shows, for context.
	transcriptBefore = 30 * time.Minute
)

const adminCSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// Register adds the console's routes to mux.
func (ad *Admin) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /admin", ad.guard(false, ad.dashboard))
	mux.HandleFunc("POST /admin/login", ad.secure(ad.login))
	mux.HandleFunc("GET /admin/login", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/admin", http.StatusSeeOther) // the form is on /admin
	})
	mux.HandleFunc("POST /admin/logout", ad.guard(true, ad.logout))
	mux.HandleFunc("POST /admin/try", ad.guard(true, ad.try))
	mux.HandleFunc("POST /admin/handoffs/{id}/resolve", ad.guard(true, ad.resolve))
	mux.HandleFunc("POST /admin/handoffs/{id}/reply", ad.guard(true, ad.reply))
}

func (ad *Admin) now() time.Time {
	if ad.Now != nil {
		return ad.Now()
	}
	return time.Now()
}

// secure sets the console's headers and refuses when it is off.
func (ad *Admin) secure(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", adminCSP)
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Cache-Control", "no-store")
		if ad.Token == "" {
			http.Error(w, "the admin console is off: set ADMIN_TOKEN", http.StatusNotFound)
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, adminMaxBody)
			if err := r.ParseForm(); err != nil {
				var tooBig *http.MaxBytesError
				if errors.As(err, &tooBig) {
					http.Error(w, "request body is larger than 16 KiB", http.StatusRequestEntityTooLarge)
					return
				}
				http.Error(w, "malformed form", http.StatusBadRequest)
				return
			}
			if !sameOrigin(r) {
				http.Error(w, "cross-site request refused", http.StatusForbidden)
				return
			}
		}
		h(w, r)
	}
}

// sameOrigin refuses requests a browser marks as coming from another
// site: the Sec-Fetch-Site header, or else Origin against Host.
func sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return false
	}
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		u, err := url.Parse(o)
		return err == nil && u.Host == r.Host
	}
	return true
}

// session is an authenticated admin request.
type session struct {
	csrf   string // "" for bearer requests, which browsers never send by themselves
	bearer bool
}

// guard admits requests with the token as a bearer header or a valid
// session cookie; a state-changing cookie request must carry the CSRF
// token of its session. Without either, the login form (401).
func (ad *Admin) guard(post bool, h func(http.ResponseWriter, *http.Request, session)) http.HandlerFunc {
	return ad.secure(func(w http.ResponseWriter, r *http.Request) {
		if got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			addr := ad.Proxies.ClientIP(r)
			if ad.refuseLocked(w, addr) {
				return
			}
			if subtle.ConstantTimeCompare([]byte(got), []byte(ad.Token)) == 1 {
				h(w, r, session{bearer: true})
				return
			}
			ad.signIns().fail(ad.Log, "bearer", addr, ad.now())
			w.Header().Set("WWW-Authenticate", `Bearer realm="supportbot admin"`)
			http.Error(w, "wrong admin token", http.StatusUnauthorized)
			return
		}
		c, err := r.Cookie(adminCookie)
		if err != nil || !ad.validSession(r.Context(), c.Value) {
			if post {
				http.Error(w, "not signed in", http.StatusUnauthorized)
				return
			}
			ad.render(w, r, http.StatusUnauthorized, "login.html", map[string]any{"Insecure": !ad.Proxies.Secure(r)})
			return
		}
		s := session{csrf: ad.mac("csrf", c.Value)}
		if post && subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(s.csrf)) != 1 {
			http.Error(w, "missing or stale form token: reload the page and try again", http.StatusForbidden)
			return
		}
		h(w, r, s)
	})
}

// mac is an HMAC under the admin token, so changing the token ends every
// session, and any replica can check a session another one started.
func (ad *Admin) mac(purpose, value string) string {
	m := hmac.New(sha256.New, []byte(ad.Token))
	m.Write([]byte(purpose + "\x00" + value))
	return hex.EncodeToString(m.Sum(nil))
}

// A session is "expiry.id.mac": the id names it for signing out.
func (ad *Admin) newSession() string {
	v := strconv.FormatInt(ad.now().Add(sessionLife).Unix(), 10) + "." + newSessionID()
	return v + "." + ad.mac("session", v)
}

// parseSession returns a session's id and expiry when its MAC is right.
func (ad *Admin) parseSession(v string) (id string, exp time.Time, ok bool) {
	i := strings.LastIndexByte(v, '.')
	if i < 0 || !hmac.Equal([]byte(v[i+1:]), []byte(ad.mac("session", v[:i]))) {
		return "", time.Time{}, false
	}
	e, id, ok := strings.Cut(v[:i], ".")
	t, err := strconv.ParseInt(e, 10, 64)
	if !ok || err != nil || id == "" {
		return "", time.Time{}, false
	}
	return id, time.Unix(t, 0), true
}

func (ad *Admin) validSession(ctx context.Context, v string) bool {
	id, exp, ok := ad.parseSession(v)
	return ok && ad.now().Before(exp) && !ad.revoked(ctx, id)
}

func (ad *Admin) signIns() *SignIns {
	if ad.SignIns != nil {
		return ad.SignIns
	}
	return &ad.ownSignIns
}

// refuseLocked answers 429 when addr has failed to sign in too often.
func (ad *Admin) refuseLocked(w http.ResponseWriter, addr string) bool {
	until, locked := ad.signIns().locked(addr, ad.now())
	if !locked {
		return false
	}
	w.Header().Set("Retry-After", strconv.Itoa(int(until.Sub(ad.now()).Seconds())+1))
	http.Error(w, "too many failed sign-ins from this address; try again later", http.StatusTooManyRequests)
	return true
}

func (ad *Admin) login(w http.ResponseWriter, r *http.Request) {
	addr := ad.Proxies.ClientIP(r)
	if ad.refuseLocked(w, addr) {
		return
	}
	if !ad.Proxies.Secure(r) {
		// Browsers drop a Secure cookie sent over plain HTTP to anything
		// but localhost: say so rather than loop back to the form.
		ad.render(w, r, http.StatusForbidden, "login.html", map[string]any{"Insecure": true})
		return
	}
	if subtle.ConstantTimeCompare([]byte(r.PostFormValue("token")), []byte(ad.Token)) != 1 {
		ad.signIns().fail(ad.Log, "form", addr, ad.now())
		ad.render(w, r, http.StatusUnauthorized, "login.html", map[string]any{"Error": true})
		return
	}
	ad.signIns().succeed(addr)
	http.SetCookie(w, &http.Cookie{Name: adminCookie, Value: ad.newSession(), Path: "/admin", MaxAge: int(sessionLife / time.Second),
		HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode})
	ad.Log.Info("admin: signed in", "remote", addr)
	http.Redirect(w, r, "/admin", http.StatusSeeOther)
}

// logout ends the session: the cookie is dropped, and the session is
// revoked, so a copy of the cookie no longer works either.
func (ad *Admin) logout(w http.ResponseWriter, r *http.Request, _ session) {
	if c, err := r.Cookie(adminCookie); err == nil {
		if id, exp, ok := ad.parseSession(c.Value); ok {
			ad.revoke(r.Context(), id, exp)
		}
	}
	http.SetCookie(w, &http.Cookie{Name: adminCookie, Value: "", Path: "/admin", MaxAge: -1, HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/admin", http.StatusSeeOther)
}

// secureContext reports whether a browser keeps a Secure cookie from this
// handoffView is an open handoff with its conversation since it opened.
type handoffView struct {
	bot.Handoff
	Lines []bot.Line
}

// tried is the answer to "try a question".
type tried struct {
	Text       string
	Intent     string
	Confidence float64
	Answer     string
	Clarify    []bot.Option
	Generated  bool
}

// page is everything the dashboard shows.
type page struct {
	CSRF         string
	Since        string
	Periods      []string
	Report       bot.Report
	Chart        chart
	Handoffs     []handoffView
	MoreHandoffs int // open beyond those shown
	Knowledge    KnowledgeStatus
	Try          *tried
	Flash        string   // a key of texts.json
	Errors       []string // keys of texts.json
}

var periods = map[string]time.Duration{"1d": 24 * time.Hour, "7d": 7 * 24 * time.Hour, "30d": 30 * 24 * time.Hour}

func (ad *Admin) dashboard(w http.ResponseWriter, r *http.Request, s session) {
	p := ad.load(r.Context(), r.URL.Query().Get("since"), s)
	p.Flash = flashes[r.URL.Query().Get("done")]
	ad.render(w, r, http.StatusOK, "admin.html", p)
}

// flashes are the texts (keys of texts.json) that say a change was made.
var flashes = map[string]string{"resolved": "flash_resolved", "replied": "flash_replied"}

func (ad *Admin) load(ctx context.Context, since string, s session) page {
	if _, ok := periods[since]; !ok {
		since = "7d"
	}
	p := page{CSRF: s.csrf, Since: since, Periods: []string{"1d", "7d", "30d"}}
	from := ad.now().Add(-periods[since])
	var err error
	if p.Report, err = ad.Store.Report(ctx, from); err != nil {
		ad.Log.Error("admin: report", "err", err)
		p.Errors = append(p.Errors, "err_report")
	}
	chartFrom := ad.now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -13)
	if days, err := ad.Store.IntentsByDay(ctx, chartFrom); err != nil {
		ad.Log.Error("admin: intents by day", "err", err)
	} else {
		p.Chart = buildChart(days, chartFrom, 14)
	}
	hs, err := ad.Bot.Handoffs(ctx)
	if err != nil {
		ad.Log.Error("admin: handoffs", "err", err)
		p.Errors = append(p.Errors, "err_handoffs")
	}
	if len(hs) > maxHandoffsShown { // oldest first: those waiting longest
		p.MoreHandoffs = len(hs) - maxHandoffsShown
		hs = hs[:maxHandoffsShown]
	}
	qs := make([]bot.TranscriptQuery, len(hs))
	for i, h := range hs {
		qs[i] = bot.TranscriptQuery{Channel: h.Channel, User: h.User, Since: h.Opened.Add(-transcriptBefore)}
	}
	transcripts, err := ad.Store.Transcripts(ctx, qs)
	if err != nil {
		ad.Log.Error("admin: transcripts", "err", err)
		p.Errors = append(p.Errors, "err_transcripts")
	}
	for i, h := range hs {
		v := handoffView{Handoff: h}
		if i < len(transcripts) {
			v.Lines = transcripts[i]
		}
		p.Handoffs = append(p.Handoffs, v)
	}
	if ad.Knowledge != nil {
		p.Knowledge = ad.Knowledge()
	}
	return p
}

func (ad *Admin) try(w http.ResponseWriter, r *http.Request, s session) {
	text := strings.TrimSpace(r.PostFormValue("text"))
	p := ad.load(r.Context(), r.PostFormValue("since"), s)
	if text != "" {
		if utf8.RuneCountInString(text) > maxReplyRunes {
			text = string([]rune(text)[:maxReplyRunes])
		}
		lang := r.PostFormValue("lang")
		if lang != "en" && lang != "zh" {
			lang = ""
		}
		reply := ad.Bot.Preview(r.Context(), text, lang)
		p.Try = &tried{Text: text, Intent: reply.Intent, Confidence: reply.Confidence, Answer: reply.PlainText(),
			Clarify: reply.Clarify, Generated: reply.Generated}
	}
	ad.render(w, r, http.StatusOK, "admin.html", p)
}

func (ad *Admin) findHandoff(ctx context.Context, id string) (bot.Handoff, bool) {
	hs, err := ad.Bot.Handoffs(ctx)
	if err != nil {
		return bot.Handoff{}, false
	}
	for _, h := range hs {
		if h.ID == id {
			return h, true
		}
	}
	return bot.Handoff{}, false
}

func (ad *Admin) resolve(w http.ResponseWriter, r *http.Request, s session) {
	id := r.PathValue("id")
	if err := ad.Bot.Resolve(r.Context(), id); err != nil {
		http.Error(w, "no open handoff with that id (already resolved, or lapsed)", http.StatusNotFound)
		return
	}
	ad.Log.Info("admin: handoff resolved", "id", id)
	ad.done(w, r, s, "resolved")
}

func (ad *Admin) reply(w http.ResponseWriter, r *http.Request, s session) {
	id := r.PathValue("id")
	text := strings.TrimSpace(r.PostFormValue("text"))
	if text == "" || utf8.RuneCountInString(text) > maxReplyRunes {
		http.Error(w, "a reply must have 1 to 2000 characters", http.StatusBadRequest)
		return
	}
	h, ok := ad.findHandoff(r.Context(), id)
	if !ok {
		http.Error(w, "no open handoff with that id (already resolved, or lapsed)", http.StatusNotFound)
		return
	}
	if h.Channel != "web" {
		deliver := ad.Deliver[h.Channel]
		if deliver == nil {
			http.Error(w, "replies to "+h.Channel+" users cannot be sent from here; answer them in "+h.Channel, http.StatusNotImplemented)
			return
		}
		if err := deliver(r.Context(), h, text); err != nil {
			ad.Log.Error("admin: deliver reply", "channel", h.Channel, "handoff", id, "err", err)
			http.Error(w, "the reply could not be delivered to "+h.Channel+"; try again", http.StatusBadGateway)
			return
		}
	}
	// Web users fetch this; for the others it is the transcript.
	if _, err := ad.Store.AddAgentMessage(r.Context(), h.Channel, h.User, h.ID, text); err != nil {
		ad.Log.Error("admin: store reply", "handoff", id, "err", err)
		if h.Channel == "web" {
			http.Error(w, "the reply could not be stored; try again", http.StatusServiceUnavailable)
			return
		}
	}
	ad.Log.Info("admin: agent replied", "channel", h.Channel, "handoff", id)
	ad.done(w, r, s, "replied")
}

// done answers a state change: JSON for bearer clients, a redirect back
// to the dashboard for the browser.
func (ad *Admin) done(w http.ResponseWriter, r *http.Request, s session, what string) {
	if s.bearer {
		writeJSON(w, http.StatusOK, map[string]any{"id": r.PathValue("id"), what: true})
		return
	}
	http.Redirect(w, r, "/admin?done="+what, http.StatusSeeOther)
}

// render writes a console page in the browser's language.
func (ad *Admin) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Add("Vary", "Accept-Language")
	c := adminTmpl()
	var b strings.Builder
	if err := c.pages[c.lang(r)].ExecuteTemplate(&b, name, data); err != nil {
		ad.Log.Error("admin: render", "page", name, "err", err)
		http.Error(w, "the page could not be rendered", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(status)
	w.Write([]byte(b.String()))
}

// shortID shows enough of a user id to tell users apart.
func shortID(s string) string {
	if utf8.RuneCountInString(s) <= 12 {
		return s
	}
	return string([]rune(s)[:10]) + "…"
}
