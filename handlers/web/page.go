package web

import (
	"context"
	"embed"
	"io/fs"
	"net/http"
	"strconv"

	"github.com/supportbot/supportbot/bot/sqlstore"
)

//go:embed static
var static embed.FS

// Mailbox holds the messages agents send to users from the admin console;
// *sqlstore.Store is one.
type Mailbox interface {
	AgentMessages(ctx context.Context, channel, user string, after int64) ([]sqlstore.AgentMessage, error)
}

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
	files := http.FileServerFS(sub)
	csp := pageCSP(a.FrameAncestors)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-cache")
		http.ServeFileFS(w, r, sub, "index.html")
	})
	mux.HandleFunc("GET /static/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "public, max-age=300")
		http.StripPrefix("/static", files).ServeHTTP(w, r)
	})
	mux.HandleFunc("GET /widget.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "public, max-age=300")
		http.ServeFileFS(w, r, sub, "widget.js")
	})
	mux.HandleFunc("GET /api/chat/messages", a.messages)
}

// messages returns what agents wrote to a web user after a message id:
// GET /api/chat/messages?user=ID&after=N. The user id is the page's random
// one, and is what entitles the caller to the messages, so short ids
// (guessable) are refused.
func (a *API) messages(w http.ResponseWriter, r *http.Request) {
	user := r.URL.Query().Get("user")
	after, err := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	if r.URL.Query().Get("after") == "" {
		after, err = 0, nil
	}
	if len(user) < 16 || len(user) > 128 || err != nil || after < 0 {
		writeJSON(w, http.StatusBadRequest, errorBody{"user must be the chat page's random id (16 to 128 characters) and after a message id"})
		return
	}
	type out struct {
		Messages []sqlstore.AgentMessage `json:"messages"`
	}
	if a.Mailbox == nil {
		writeJSON(w, http.StatusOK, out{[]sqlstore.AgentMessage{}})
		return
	}
	msgs, err := a.Mailbox.AgentMessages(r.Context(), "web", user, after)
	if err != nil {
		a.Log.Error("agent messages", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, errorBody{"messages unavailable; try again"})
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, out{msgs})
}
