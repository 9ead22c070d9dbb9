package web

import (
	"context"
	"embed"
	"io/fs"
	"net/http"
	"strconv"

	"github.com/supportbot/supportbot/bot"
)

//go:embed static
var static embed.FS

// Mailbox holds the messages agents send to users from the admin console;
// The exchange log (bot/sqlstore) is one.
type Mailbox interface {
	AgentMessages(ctx context.Context, channel, user string, after int64) (msgs []bot.AgentMessage, last int64, err error)
}

// staticFiles are the files under /static/.
var staticFiles = map[string]bool{"chat.js": true, "chat.css": true, "admin.css": true}

// pageCSP keeps the chat page to its own scripts, styles and API. The page
// may be framed by any site (the widget's iframe) unless FrameAncestors
// says otherwise.
func pageCSP(frameAncestors string) string {
	if frameAncestors == "" {
		frameAncestors = "*"
	}
	return "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
		"base-uri 'none'; form-action 'self'; frame-ancestors " + frameAncestors
}

// registerPage adds the chat page, its files, the widget script and the
// agent-message poll.
func (a *API) registerPage(mux *http.ServeMux) {
	sub, _ := fs.Sub(static, "static")
	csp := pageCSP(a.FrameAncestors)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-cache")
		http.ServeFileFS(w, r, sub, "index.html")
	})
	mux.HandleFunc("GET /static/{file}", func(w http.ResponseWriter, r *http.Request) {
		// Only the page's own files: not the page itself, not a listing,
		// so the page is served with its headers at / alone.
		name := r.PathValue("file")
		if !staticFiles[name] {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "public, max-age=300")
		http.ServeFileFS(w, r, sub, name)
	})
	mux.HandleFunc("GET /widget.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "public, max-age=300")
		http.ServeFileFS(w, r, sub, "widget.js")
	})
	mux.HandleFunc("GET /api/chat/messages", a.messages)
	mux.HandleFunc("GET /api/page", a.page)
}

// PageTexts are the chat page's words that depend on the FAQ in service.
type PageTexts struct {
	Title       string `json:"title"`       // the FAQ's title, when it has one file with a "# " title
	Welcome     string `json:"welcome"`     // the greeting: what the bot answers
	Placeholder string `json:"placeholder"` // the input's hint, with one of the FAQ's questions
}

// page answers GET /api/page?lang=zh|en with the page's words for the FAQ
// in service, so the page fits whatever FAQ the operator serves.
func (a *API) page(w http.ResponseWriter, r *http.Request) {
	lang := r.URL.Query().Get("lang")
	if lang != "en" {
		lang = "zh"
	}
	kb := a.Bot.KB()
	t := PageTexts{Title: a.Bot.Text("chat_title", lang, nil), Welcome: a.Bot.Text("greeting", lang, nil),
		Placeholder: a.Bot.Text("chat_placeholder", lang, nil)}
	if top := kb.Topics; len(top) == 1 && top[0].Title != top[0].Name && (lang == "zh" || top[0].English) {
		t.Title = top[0].Title
		if lang == "en" {
			t.Title = top[0].TitleEN
		}
	}
	w.Header().Set("Cache-Control", "no-cache")
	writeJSON(w, http.StatusOK, t)
}

// UserHeader carries the web user's id on GET /api/chat/messages: the id
// is what entitles the caller to the messages, so it is kept out of URLs
// (and so out of access logs).
const UserHeader = "X-Chat-User"

// MinUserID is the shortest user id that can fetch agents' replies: the id
// is the credential, so guessable ones are refused.
const MinUserID = 16

// messages returns what agents wrote to a web user after a message id:
// GET /api/chat/messages?after=N with the user's id in X-Chat-User. The
// answer also names the user's last message id, so a page that remembers
// a later one (the log was reset) starts again.
func (a *API) messages(w http.ResponseWriter, r *http.Request) {
	user := r.Header.Get(UserHeader)
	after, err := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	if r.URL.Query().Get("after") == "" {
		after, err = 0, nil
	}
	if len(user) < MinUserID || len(user) > 128 || err != nil || after < 0 {
		writeJSON(w, http.StatusBadRequest, errorBody{"send the chat page's random user id (16 to 128 characters) in X-Chat-User, and after=a message id"})
		return
	}
	type out struct {
		Messages []bot.AgentMessage `json:"messages"`
		Last     int64              `json:"last"`
	}
	w.Header().Set("Cache-Control", "no-store")
	if a.Mailbox == nil {
		writeJSON(w, http.StatusOK, out{[]bot.AgentMessage{}, 0})
		return
	}
	msgs, last, err := a.Mailbox.AgentMessages(r.Context(), "web", user, after)
	if err != nil {
		a.Log.Error("agent messages", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, errorBody{"messages unavailable; try again"})
		return
	}
	writeJSON(w, http.StatusOK, out{msgs, last})
}
