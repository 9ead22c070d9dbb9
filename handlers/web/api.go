// Package web serves the bot over HTTP: the JSON chat API and health checks.
package web

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/bot/phone"
	"github.com/supportbot/supportbot/knowledge"
)

// Responder answers one message; *bot.Bot is one.
type Responder interface {
	Respond(ctx context.Context, msg bot.Message) bot.Reply
	// HandoffFailed ends the handoff of r that no agent will see, and
	// returns the answer the user gets instead.
	HandoffFailed(ctx context.Context, r bot.Reply) bot.Reply
	// KB is the knowledge in service: feedback must name its entries.
	KB() *knowledge.KB
	// Text is one of the bot's own messages in lang.
	Text(name, lang string, vars map[string]string) string
}

// Feedback stores votes on answers; a bot.FeedbackStore.
type Feedback = bot.FeedbackStore

// Handoffs is the queue of conversations with a person; *bot.Bot is one.
type Handoffs interface {
	Handoffs(ctx context.Context) ([]bot.Handoff, error)
	Resolve(ctx context.Context, id string) error
}

// MaxBody is the largest request body the API reads.
const MaxBody = 64 << 10

// API is the JSON chat endpoint.
type API struct {
	Bot Responder
	Log *slog.Logger
	// SignIns limits wrong admin tokens per client address, shared with
	// the console; nil: this API keeps its own.
	SignIns *SignIns
	// Handoffs and AdminToken enable GET /api/handoffs and
	// POST /api/handoffs/{id}/resolve, for callers with the token.
	Handoffs   Handoffs
	AdminToken string
	// Feedback, when set, enables POST /api/feedback.
	Feedback Feedback
	// Mailbox, when set, serves agents' replies to web users.
	Mailbox Mailbox
	// FrameAncestors is the CSP frame-ancestors of the chat page (the
	// widget frames it); "" allows any site.
	FrameAncestors string
	// Proxies are the reverse proxies whose forwarding headers count.
	Proxies Proxies
	// ChatsPerMinute bounds the messages one client address sends a
	// minute, whatever user ids it claims; 0 is no bound.
	ChatsPerMinute int

	handoffs, chats, votes windowLimit
	limitsOnce             sync.Once
}

// limits sets the per-address limits up once.
func (a *API) limits() {
	a.limitsOnce.Do(func() {
		a.handoffs.max, a.handoffs.window = handoffsPerWindow, handoffWindow
		a.chats.max, a.chats.window = a.ChatsPerMinute, time.Minute
		a.votes.max, a.votes.window = votesPerMinute, time.Minute
	})
}

// windowLimit bounds what one client address can do in a window: user
// ids are the client's to choose, so without it one script could bury
// real customers in the console's queue, or flood the log.
type windowLimit struct {
	max    int
	window time.Duration

	mu   sync.Mutex
	seen map[string][]time.Time // address -> times within the window
}

// The per-address limits: requests for a person and votes (chat messages
// are the API's ChatsPerMinute).
const (
	handoffsPerWindow = 10
	handoffWindow     = time.Hour
	votesPerMinute    = 30
)

// allow counts one request from addr at now, and reports whether it is
// within the limit; when it is not, retry says when the next one is.
func (l *windowLimit) allow(addr string, now time.Time) (ok bool, retry time.Duration) {
	if l.max <= 0 {
		return true, 0 // no limit
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seen == nil {
		l.seen = map[string][]time.Time{}
	}
	if len(l.seen) > 10000 { // forget quiet addresses
		for k, ts := range l.seen {
			if now.Sub(ts[len(ts)-1]) > l.window {
				delete(l.seen, k)
			}
		}
	}
	ts := l.seen[addr]
	for len(ts) > 0 && now.Sub(ts[0]) > l.window {
		ts = ts[1:]
	}
	if len(ts) >= l.max {
		l.seen[addr] = ts
		return false, l.window - now.Sub(ts[0])
	}
	l.seen[addr] = append(ts, now)
	return true, 0
}

// jsonBody reports whether a request says it sends JSON; anything else
// (a cross-site form's text/plain, say) is refused with 415.
func jsonBody(w http.ResponseWriter, r *http.Request) bool {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err == nil && mt == "application/json" {
		return true
	}
	writeJSON(w, http.StatusUnsupportedMediaType, errorBody{"send the body as Content-Type: application/json"})
	return false
}

// tooMany answers 429 with when to try again.
func tooMany(w http.ResponseWriter, retry time.Duration, v any) {
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int(retry.Seconds()+0.999))))
	writeJSON(w, http.StatusTooManyRequests, v)
}

// Register adds the API's routes to mux.
func (a *API) Register(mux *http.ServeMux) {
	if a.SignIns == nil {
		a.SignIns = &SignIns{}
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("POST /api/chat", a.chat)
	a.registerPage(mux)
	mux.HandleFunc("POST /api/feedback", a.feedback)
	mux.HandleFunc("GET /api/handoffs", a.admin(a.listHandoffs))
	mux.HandleFunc("POST /api/handoffs/{id}/resolve", a.admin(a.resolveHandoff))
}

// admin guards a handler with the admin token (Authorization: Bearer).
func (a *API) admin(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if a.AdminToken == "" || a.Handoffs == nil {
			writeJSON(w, http.StatusNotFound, errorBody{"the handoff API is off: set ADMIN_TOKEN"})
			return
		}
		addr := a.Proxies.ClientIP(r)
		if until, locked := a.SignIns.locked(addr, time.Now()); locked {
			w.Header().Set("Retry-After", strconv.Itoa(int(time.Until(until).Seconds())+1))
			writeJSON(w, http.StatusTooManyRequests, errorBody{"too many failed sign-ins from this address; try again later"})
			return
		}
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(a.AdminToken)) != 1 {
			if ok {
				a.SignIns.fail(a.Log, "api bearer", addr, time.Now())
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="supportbot"`)
			writeJSON(w, http.StatusUnauthorized, errorBody{"missing or wrong admin token"})
			return
		}
		h(w, r)
	}
}

// isIntentID reports whether s can be an answer's id (a rule's, an
// explicit one, or an FAQ question), so nothing else reaches the log: a
// short line of valid text.
func isIntentID(s string) bool {
	return s != "" && len(s) <= maxIntentID && utf8.ValidString(s) && !strings.ContainsFunc(s, unicode.IsControl)
}

// maxIntentID bounds what a client can make the log store as an intent.
const maxIntentID = 128

// feedbackRequest is the body of POST /api/feedback: a vote on the answer
// for intent.
type feedbackRequest struct {
	User    string `json:"user"`
	Intent  string `json:"intent"`
	Helpful *bool  `json:"helpful"`
}

func (a *API) feedback(w http.ResponseWriter, r *http.Request) {
	if a.Feedback == nil {
		writeJSON(w, http.StatusNotFound, errorBody{"feedback is not stored here"})
		return
	}
	a.limits()
	if !jsonBody(w, r) {
		return
	}
	if ok, retry := a.votes.allow(a.Proxies.ClientIP(r), time.Now()); !ok {
		tooMany(w, retry, errorBody{"too many votes from this address; wait a minute"})
		return
	}
	var req feedbackRequest
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 4<<10))
	if tooBig := new(http.MaxBytesError); errors.As(err, &tooBig) {
		writeJSON(w, http.StatusRequestEntityTooLarge, errorBody{"body is larger than 4 KiB"})
		return
	}
	if err == nil {
		err = json.Unmarshal(body, &req)
	}
	if err != nil || req.Helpful == nil || !isIntentID(req.Intent) || !a.knownIntent(req.Intent) {
		writeJSON(w, http.StatusBadRequest, errorBody{`body must be JSON like {"user":"u1","intent":"sms_missing","helpful":true}`})
		return
	}
	if err := a.Feedback.SaveFeedback(r.Context(), bot.Feedback{Channel: "web", User: req.User, Intent: req.Intent, Helpful: *req.Helpful, At: time.Now()}); err != nil {
		a.Log.Error("save feedback", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, errorBody{"feedback could not be stored; try again"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"stored": true})
}

// knownIntent reports whether feedback names an intent the bot answers
// with, so made-up ids do not reach the reports.
func (a *API) knownIntent(id string) bool {
	if id == knowledge.None {
		return true
	}
	_, known := a.Bot.KB().Target(id)
	return known
}

func (a *API) listHandoffs(w http.ResponseWriter, r *http.Request) {
	list, err := a.Handoffs.Handoffs(r.Context())
	if err != nil {
		a.Log.Error("list handoffs", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, errorBody{"handoff queue unavailable"})
		return
	}
	if list == nil {
		list = []bot.Handoff{}
	}
	writeJSON(w, http.StatusOK, list)
}

func (a *API) resolveHandoff(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := a.Handoffs.Resolve(r.Context(), id); err != nil {
		writeJSON(w, http.StatusNotFound, errorBody{"no open handoff " + id})
		return
	}
	a.Log.Info("handoff resolved", "id", id)
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "resolved": true})
}

// ChatRequest is the body of POST /api/chat.
type ChatRequest struct {
	User string `json:"user"`
	Text string `json:"text"`
	// Lang is the language to answer in when the text does not tell (the
	// browser's, say): "zh" or "en".
	Lang string `json:"lang,omitempty"`
	// Request is what a button asks instead of text: "handoff", the "talk
	// to a person" button.
	Request string `json:"request,omitempty"`
}

// ChatResponse is the answer to POST /api/chat.
type ChatResponse struct {
	Reply    string `json:"reply"`    // plain text
	Markdown string `json:"markdown"` // the same as CommonMark
	// Title and Blocks are the same answer structured, for pages that
	// build it as DOM text (the chat page does).
	Title      string         `json:"title,omitempty"`
	Blocks     []BlockJSON    `json:"blocks"`
	Intent     string         `json:"intent"`
	Confidence float64        `json:"confidence"`
	Lang       string         `json:"lang"`
	Numbers    []phone.Number `json:"numbers"`
	Clarify    []Option       `json:"clarify"`
	Source     *Source        `json:"source,omitempty"`
	Handoff    bool           `json:"handoff"`
	// Silent: a person has this conversation (handoff_id); the bot says
	// nothing and reply is empty.
	Silent    bool   `json:"silent,omitempty"`
	HandoffID string `json:"handoff_id,omitempty"`
	Generated bool   `json:"generated,omitempty"`
}

// BlockJSON is a paragraph (text) or a list (items) of an answer.
type BlockJSON struct {
	Text    []SpanJSON `json:"text,omitempty"`
	Items   []ItemJSON `json:"items,omitempty"`
	Ordered bool       `json:"ordered,omitempty"`
	Start   int        `json:"start,omitempty"`
	Note    bool       `json:"note,omitempty"`
}

// ItemJSON is a list item with its sub-bullets.
type ItemJSON struct {
	Text []SpanJSON   `json:"text"`
	Sub  [][]SpanJSON `json:"sub,omitempty"`
}

// SpanJSON is a run of text, a link when URL is set.
type SpanJSON struct {
	Text string `json:"text"`
	URL  string `json:"url,omitempty"`
}

func spans(t knowledge.Text) []SpanJSON {
	out := make([]SpanJSON, len(t))
	for i, s := range t {
		out[i] = SpanJSON{s.Text, s.URL}
	}
	return out
}

func blocksJSON(bs []bot.Block) []BlockJSON {
	out := make([]BlockJSON, 0, len(bs))
	for _, b := range bs {
		j := BlockJSON{Ordered: b.Ordered, Start: b.Start, Note: b.Note}
		if len(b.Items) == 0 {
			j.Text = spans(b.Text)
		}
		for _, it := range b.Items {
			item := ItemJSON{Text: spans(it.Text)}
			for _, s := range it.Sub {
				item.Sub = append(item.Sub, spans(s))
			}
			j.Items = append(j.Items, item)
		}
		out = append(out, j)
	}
	return out
}

// Option is a clarify choice.
type Option struct {
	Intent string `json:"intent"`
	Label  string `json:"label"`
}

// Source names the FAQ entry an answer comes from.
type Source struct {
	Question string `json:"question"`
	Step     int    `json:"step,omitempty"`
}

type errorBody struct {
	Error string `json:"error"`
}

func (a *API) chat(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	a.limits()
	if !jsonBody(w, r) {
		return
	}
	addr := a.Proxies.ClientIP(r)
	if ok, retry := a.chats.allow(addr, start); !ok {
		a.Log.Warn("chat: too many messages from one address", "remote", addr)
		tooMany(w, retry, errorBody{"too many messages from this address; wait a minute"})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			a.Log.Warn("chat: body too large", "limit", MaxBody)
			writeJSON(w, http.StatusRequestEntityTooLarge, errorBody{"request body is larger than 64 KiB"})
			return
		}
		a.Log.Warn("chat: read body", "err", err)
		writeJSON(w, http.StatusBadRequest, errorBody{"could not read the request body"})
		return
	}
	var req ChatRequest
	if err := json.Unmarshal(body, &req); err != nil {
		a.Log.Warn("chat: malformed JSON", "err", err, "bytes", len(body))
		writeJSON(w, http.StatusBadRequest, errorBody{`request body must be JSON like {"user":"u1","text":"收不到短信"}`})
		return
	}
	if req.Lang != "" && req.Lang != "zh" && req.Lang != "en" {
		req.Lang = ""
	}
	msg := bot.Message{Channel: "web", User: req.User, Text: req.Text, Lang: req.Lang,
		// Agents' replies are fetched with the user's id: one too short to
		// be kept secret cannot be reached.
		Unreachable: len(req.User) < MinUserID}
	if req.Request == bot.RequestHandoff {
		msg.Request = bot.RequestHandoff
	}
	reply := a.Bot.Respond(r.Context(), msg)
	if reply.Handoff && reply.HandoffID != "" && !a.allowHandoff(addr) {
		reply = a.Bot.HandoffFailed(r.Context(), reply) // this address asked too often
	}
	if reply.RateLimited {
		tooMany(w, time.Minute, NewChatResponse(reply)) // the polite answer, and the status chat.js expects
	} else {
		writeJSON(w, http.StatusOK, NewChatResponse(reply))
	}
	a.Log.Info("chat", "intent", reply.Intent, "confidence", reply.Confidence, "lang", reply.Lang,
		"duration", time.Since(start))
}

func (a *API) allowHandoff(addr string) bool {
	ok, _ := a.handoffs.allow(addr, time.Now())
	return ok
}

// NewChatResponse converts a reply for the JSON API.
func NewChatResponse(reply bot.Reply) ChatResponse {
	resp := ChatResponse{
		Silent: reply.Silent, HandoffID: reply.HandoffID, Generated: reply.Generated,
		Reply: reply.PlainText(), Markdown: reply.Markdown(), Title: reply.Title, Blocks: blocksJSON(reply.Blocks),
		Intent: reply.Intent, Confidence: reply.Confidence, Lang: reply.Lang,
		Numbers: reply.Numbers, Clarify: []Option{}, Handoff: reply.Handoff,
	}
	// The numbers go back masked, like the reply: API clients log and store
	// what they get.
	resp.Numbers = make([]phone.Number, len(reply.Numbers))
	for i, n := range reply.Numbers {
		n.Input, n.Normalized, n.Error = phone.MaskText(n.Input), n.Masked(), phone.MaskText(n.Error)
		resp.Numbers[i] = n
	}
	for _, o := range reply.Clarify {
		resp.Clarify = append(resp.Clarify, Option{o.Intent, o.Label})
	}
	if reply.Source != nil {
		resp.Source = &Source{Question: reply.Source.Question, Step: reply.Source.Step}
	}
	return resp
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}
