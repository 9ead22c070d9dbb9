package slack

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	goslack "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/bot/chanstate"
	"github.com/supportbot/supportbot/bot/match"
	"github.com/supportbot/supportbot/knowledge"
)

const secret = "8f742231b10e8888abcd99yyyzzz85a5"

func TestVerifyOfficialVector(t *testing.T) {
	body := "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	const want = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
	if got := sign(secret, "1531420618", []byte(body)); got != want {
		t.Fatalf("sign = %s, want %s", got, want)
	}
	h := http.Header{}
	h.Set("X-Slack-Signature", want)
	h.Set("X-Slack-Request-Timestamp", "1531420618")
	at := time.Unix(1531420618, 0)
	tests := []struct {
		name string
		now  time.Time
		body string
		want error
	}{
		{"accepted at its time", at, body, nil},
		{"accepted 4 minutes later", at.Add(4 * time.Minute), body, nil},
		{"stale 6 minutes later", at.Add(6 * time.Minute), body, errStale},
		{"refused 6 minutes early", at.Add(-6 * time.Minute), body, errStale},
		{"refused with a changed body", at, body + "x", errBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := verify(h, []byte(tt.body), secret, tt.now); got != tt.want {
				t.Errorf("verify = %v, want %v", got, tt.want)
			}
		})
	}
}

// fakeSlack is an httptest stand-in for the Slack Web API and for
// response_url, recording what the bot sends.
type fakeSlack struct {
	srv *httptest.Server

	mu       sync.Mutex
	posts    []url.Values
	hooks    []map[string]any
	views    []goslack.PublishViewContextRequest
	failures []int  // status codes to answer chat.postMessage with before succeeding
	retry    string // Retry-After of a 429 (default "0")
	postedAt []time.Time
	posted   chan struct{}
	gate     chan struct{} // when set, chat.postMessage waits for it to close
}

func newFakeSlack(t testing.TB) *fakeSlack {
	t.Helper()
	f := &fakeSlack{posted: make(chan struct{}, 100)}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/auth.test", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"ok":true,"user_id":"UBOT","team":"Test","bot_id":"BBOT"}`)
	})
	mux.HandleFunc("POST /api/chat.postMessage", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		f.mu.Lock()
		gate := f.gate
		f.mu.Unlock()
		if gate != nil {
			<-gate
		}
		f.mu.Lock()
		if len(f.failures) > 0 {
			code := f.failures[0]
			f.failures = f.failures[1:]
			f.mu.Unlock()
			if code == http.StatusTooManyRequests {
				w.Header().Set("Retry-After", cmp.Or(f.retry, "0"))
			}
			w.WriteHeader(code)
			io.WriteString(w, `{"ok":false,"error":"fake failure"}`)
			return
		}
		f.posts = append(f.posts, r.PostForm)
		f.postedAt = append(f.postedAt, time.Now())
		f.mu.Unlock()
		fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":"1700000000.000100"}`, r.PostForm.Get("channel"))
		f.notify()
	})
	mux.HandleFunc("/api/chat.getPermalink", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		fmt.Fprintf(w, `{"ok":true,"channel":%q,"permalink":"https://test.slack.com/archives/%s/p%s"}`,
			r.Form.Get("channel"), r.Form.Get("channel"), strings.ReplaceAll(r.Form.Get("message_ts"), ".", ""))
	})
	mux.HandleFunc("POST /api/views.publish", func(w http.ResponseWriter, r *http.Request) {
		var req goslack.PublishViewContextRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || r.Header.Get("Authorization") != "Bearer xoxb-test" {
			io.WriteString(w, `{"ok":false,"error":"invalid_arguments"}`)
			return
		}
		f.mu.Lock()
		f.views = append(f.views, req)
		f.mu.Unlock()
		io.WriteString(w, `{"ok":true,"view":{"id":"V1","type":"home"}}`)
		f.notify()
	})
	mux.HandleFunc("POST /hook/", func(w http.ResponseWriter, r *http.Request) {
		var m map[string]any
		json.NewDecoder(r.Body).Decode(&m)
		f.mu.Lock()
		f.hooks = append(f.hooks, m)
		f.mu.Unlock()
		io.WriteString(w, "ok")
		f.notify()
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// notify tells wait about a post without ever blocking the handler.
func (f *fakeSlack) notify() {
	select {
	case f.posted <- struct{}{}:
	default:
	}
}

func (f *fakeSlack) Posts() []url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]url.Values(nil), f.posts...)
}

func (f *fakeSlack) Views() []goslack.PublishViewContextRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]goslack.PublishViewContextRequest(nil), f.views...)
}

func (f *fakeSlack) Hooks() []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]map[string]any(nil), f.hooks...)
}

// wait waits for n posts or hooks.
func (f *fakeSlack) wait(t *testing.T, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		select {
		case <-f.posted:
		case <-time.After(5 * time.Second):
			t.Fatalf("timed out waiting for post %d of %d", i+1, n)
		}
	}
}

var (
	botOnce sync.Once
	testBot *bot.Bot
)

// desksFor is where agents see Slack's handoffs with cfg, as the server
// says (cmd/supportbot's desks).
func desksFor(cfg Config) bot.BotOption {
	if cfg.AgentChannel != "" || cfg.Console {
		return bot.WithDesks(bot.Desks{"slack"})
	}
	return bot.WithDesks()
}

// botFor is the shared test bot, or for a workspace where no agent sees
// handoffs, one that answers so.
func botFor(t testing.TB, cfg Config) *bot.Bot {
	if cfg.AgentChannel != "" || cfg.Console {
		return newBot(t)
	}
	noDeskOnce.Do(func() {
		kb, err := knowledge.Default()
		if err != nil {
			panic(err)
		}
		norm, err := match.NewNormalizer()
		if err != nil {
			panic(err)
		}
		if noDeskBot, err = bot.New(kb, norm, bot.WithDesks()); err != nil {
			panic(err)
		}
	})
	return noDeskBot
}

var (
	noDeskOnce sync.Once
	noDeskBot  *bot.Bot
)

func newBot(t testing.TB) *bot.Bot {
	t.Helper()
	botOnce.Do(func() {
		kb, err := knowledge.Default()
		if err != nil {
			panic(err)
		}
		norm, err := match.NewNormalizer()
		if err != nil {
			panic(err)
		}
		testBot, err = bot.New(kb, norm)
		if err != nil {
			panic(err)
		}
	})
	return testBot
}

type harness struct {
	fake     *fakeSlack
	adapter  *Adapter
	server   *httptest.Server
	feedback *bot.MemoryFeedback
}

func newHarness(t testing.TB, agentChannel string, opts ...func(*Config)) *harness {
	t.Helper()
	fake := newFakeSlack(t)
	client := goslack.New("xoxb-test", goslack.OptionAPIURL(fake.srv.URL+"/api/"))
	fb := bot.NewMemoryFeedback(100)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := Config{SigningSecret: secret, AgentChannel: agentChannel, Workers: 2}
	for _, o := range opts {
		o(&cfg)
	}
	a := New(botFor(t, cfg), client, chanstate.NewMemoryDedup(), fb, cfg, log)
	a.Start(t.Context())
	// Wait for auth.test so the bot knows its own user id.
	for i := 0; i < 200; i++ {
		a.mu.RLock()
		id := a.botUserID
		a.mu.RUnlock()
		if id != "" {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	mux := http.NewServeMux()
	a.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(func() { srv.Close(); a.Close() })
	return &harness{fake: fake, adapter: a, server: srv, feedback: fb}
}

// send posts a signed request, returning the status and body.
func (h *harness) send(t testing.TB, path, contentType, body string, header map[string]string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", h.server.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", sign(secret, ts, []byte(body)))
	for k, v := range header {
		if k == "Transfer-Encoding" { // a body of unknown length
			req.ContentLength, req.Body = -1, io.NopCloser(strings.NewReader(body))
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func eventBody(eventID, inner string) string {
	return `{"token":"x","team_id":"T1","api_app_id":"A1","type":"event_callback","event_id":"` + eventID +
		`","event_time":1700000000,"event":` + inner + `}`
}

func dm(text string) string {
	return `{"type":"message","channel":"D1","channel_type":"im","user":"U1","text":` + strconv.Quote(text) + `,"ts":"1700000000.000001"}`
}

func TestSignedRequestsOnly(t *testing.T) {
	h := newHarness(t, "")
	body := eventBody("Ev1", dm("收不到短信"))
	now := time.Now().Unix()
	tests := []struct {
		name   string
		header map[string]string
		want   int
	}{
		{"signed is accepted", nil, http.StatusOK},
		{"unsigned is refused", map[string]string{"X-Slack-Signature": ""}, http.StatusUnauthorized},
		{"forged is refused", map[string]string{"X-Slack-Signature": "v0=" + strings.Repeat("0", 64)}, http.StatusUnauthorized},
		{"truncated is refused", map[string]string{"X-Slack-Signature": "v0=abc"}, http.StatusUnauthorized},
		{"not hex is refused", map[string]string{"X-Slack-Signature": "v0=" + strings.Repeat("zz", 32)}, http.StatusUnauthorized},
		{"stale is refused", map[string]string{"X-Slack-Request-Timestamp": strconv.FormatInt(now-600, 10),
			"X-Slack-Signature": sign(secret, strconv.FormatInt(now-600, 10), []byte(body))}, http.StatusUnauthorized},
		{"wrong secret is refused", map[string]string{"X-Slack-Signature": sign("other", strconv.FormatInt(now, 10), []byte(body))}, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, _ := h.send(t, "/slack/events", "application/json", body, tt.header); got != tt.want {
				t.Errorf("status %d, want %d", got, tt.want)
			}
		})
	}
}

func TestMalformedAndHugeBodies(t *testing.T) {
	h := newHarness(t, "")
	if got, _ := h.send(t, "/slack/events", "application/json", `{"type":`, nil); got != http.StatusBadRequest {
		t.Errorf("malformed JSON: status %d, want 400", got)
	}
	if got, _ := h.send(t, "/slack/interactive", "application/x-www-form-urlencoded", "payload=%7Bnot-json", nil); got != http.StatusBadRequest {
		t.Errorf("malformed payload: status %d, want 400", got)
	}
	huge := eventBody("Ev9", dm(strings.Repeat("a", 2<<20)))
	if got, _ := h.send(t, "/slack/events", "application/json", huge, nil); got != http.StatusRequestEntityTooLarge {
		t.Errorf("huge body: status %d, want 413", got)
	}
	// Without a declared length (chunked), the limit holds as well, and a
	// body within it is read whole.
	chunked := map[string]string{"Transfer-Encoding": "chunked"}
	if got, _ := h.send(t, "/slack/events", "application/json", huge, chunked); got != http.StatusRequestEntityTooLarge {
		t.Errorf("huge chunked body: status %d, want 413", got)
	}
	challenge := `{"token":"x","challenge":"` + strings.Repeat("c", 3000) + `","type":"url_verification"}`
	if got, body := h.send(t, "/slack/events", "application/json", challenge, chunked); got != http.StatusOK || body != strings.Repeat("c", 3000) {
		t.Errorf("chunked body: got %d %.20q, want 200 and the challenge", got, body)
	}
}

// TestBodyLimits checks the body size limit at its edge, below and above
// the 64 KiB up to which a body of declared length is read in one piece.
func TestBodyLimits(t *testing.T) {
	// challenge is a URL verification of exactly n bytes.
	challenge := func(n int) (body, want string) {
		head, tail := `{"type":"url_verification","challenge":"`, `"}`
		want = strings.Repeat("c", n-len(head)-len(tail))
		return head + want + tail, want
	}
	small := newHarness(t, "", func(c *Config) { c.MaxBody = 1000 })
	big := newHarness(t, "")
	tests := []struct {
		name    string
		h       *harness
		size    int
		chunked bool
		want    int
	}{
		{"at a small limit", small, 1000, false, http.StatusOK},
		{"past a small limit", small, 1001, false, http.StatusRequestEntityTooLarge},
		{"chunked, at a small limit", small, 1000, true, http.StatusOK},
		{"chunked, past a small limit", small, 1001, true, http.StatusRequestEntityTooLarge},
		{"64 KiB", big, 64 << 10, false, http.StatusOK},
		{"past 64 KiB", big, 64<<10 + 1, false, http.StatusOK},
		{"at the default limit", big, 1 << 20, false, http.StatusOK},
		{"past the default limit", big, 1<<20 + 1, false, http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, want := challenge(tt.size)
			var hdr map[string]string
			if tt.chunked {
				hdr = map[string]string{"Transfer-Encoding": "chunked"}
			}
			code, got := tt.h.send(t, "/slack/events", "application/json", body, hdr)
			if code != tt.want || code == http.StatusOK && got != want {
				t.Errorf("status %d (body of %d bytes back), want %d", code, len(got), tt.want)
			}
		})
	}
}

func TestURLVerification(t *testing.T) {
	h := newHarness(t, "")
	code, body := h.send(t, "/slack/events", "application/json", `{"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`, nil)
	if code != http.StatusOK || body != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
		t.Errorf("got %d %q, want the bare challenge", code, body)
	}
}

func TestDirectMessageIsAnsweredOnceDespiteRetries(t *testing.T) {
	h := newHarness(t, "")
	body := eventBody("Ev2", dm("收不到管局短信"))
	for i := 0; i < 3; i++ {
		hdr := map[string]string{}
		if i > 0 {
			hdr["X-Slack-Retry-Num"] = strconv.Itoa(i)
			hdr["X-Slack-Retry-Reason"] = "http_timeout"
		}
		if code, _ := h.send(t, "/slack/events", "application/json", body, hdr); code != http.StatusOK {
			t.Fatalf("delivery %d: status %d", i, code)
		}
	}
	h.adapter.Close() // finishes the queued answers
	posts := h.fake.Posts()
	if len(posts) != 1 {
		t.Fatalf("%d posts, want 1", len(posts))
	}
	p := posts[0]
	if p.Get("channel") != "D1" || !strings.Contains(p.Get("text"), "短信重发") {
		t.Errorf("post to %s: %s", p.Get("channel"), p.Get("text"))
	}
	blocks := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">").Replace(p.Get("blocks"))
	for _, want := range []string{"<https://cloud.tencent.com/document/product/243/13435#resend|短信重发>", actionHelpful, actionNotHelpful, actionHandoff} {
		if !strings.Contains(blocks, want) {
			t.Errorf("blocks lack %q: %s", want, blocks)
		}
	}
}

func TestIgnoredMessages(t *testing.T) {
	h := newHarness(t, "")
	for i, inner := range []string{
		`{"type":"message","channel":"D1","channel_type":"im","user":"U1","bot_id":"B9","text":"收不到短信","ts":"1.1"}`,
		`{"type":"message","channel":"D1","channel_type":"im","user":"UBOT","text":"收不到短信","ts":"1.2"}`,
		`{"type":"message","subtype":"message_changed","channel":"D1","channel_type":"im","user":"U1","text":"收不到短信","ts":"1.3"}`,
		`{"type":"message","subtype":"bot_message","channel":"D1","channel_type":"im","text":"收不到短信","ts":"1.4"}`,
		`{"type":"message","channel":"C1","channel_type":"channel","user":"U1","text":"收不到短信","ts":"1.5"}`,
		// Other event types, some with fields of other shapes.
		`{"type":"user_change","user":{"id":"U1","name":"x"},"event_ts":"1.6"}`,
		`{"type":"reaction_added","user":"U1","reaction":"thumbsup","item":{"type":"message","channel":"D1","ts":"1.1"}}`,
		// A message whose fields cannot be read.
		`{"type":"message","channel":"D1","channel_type":"im","user":{"id":"U1"},"text":"收不到短信","ts":"1.7"}`,
	} {
		if code, _ := h.send(t, "/slack/events", "application/json", eventBody("EvI"+strconv.Itoa(i), inner), nil); code != http.StatusOK {
			t.Fatalf("event %d: status %d", i, code)
		}
	}
	h.adapter.Close()
	if posts := h.fake.Posts(); len(posts) != 0 {
		t.Errorf("answered %d ignored messages: %v", len(posts), posts)
	}
}

func TestMentionIsAnsweredInItsThread(t *testing.T) {
	h := newHarness(t, "")
	inner := `{"type":"app_mention","channel":"C1","user":"U1","text":"<@UBOT> 19212345678 收不到核验短信","ts":"1700000000.000200"}`
	h.send(t, "/slack/events", "application/json", eventBody("Ev3", inner), nil)
	h.fake.wait(t, 1)
	p := h.fake.Posts()[0]
	if p.Get("channel") != "C1" || p.Get("thread_ts") != "1700000000.000200" {
		t.Errorf("posted to %s thread %q, want C1 thread 1700000000.000200", p.Get("channel"), p.Get("thread_ts"))
	}
	if text := p.Get("text"); !strings.Contains(text, "192****5678") || strings.Contains(text, "19212345678") {
		t.Errorf("answer should have the masked number only: %s", text)
	}
}

func TestSlashCommands(t *testing.T) {
	h := newHarness(t, "")
	cmd := func(command, text string) commandResponse {
		t.Helper()
		form := url.Values{"command": {command}, "text": {text}, "user_id": {"U1"}, "channel_id": {"C1"},
			"response_url": {h.fake.srv.URL + "/hook/1"}, "trigger_id": {"1.2.3"}}
		code, body := h.send(t, "/slack/commands", "application/x-www-form-urlencoded", form.Encode(), nil)
		if code != http.StatusOK {
			t.Fatalf("%s %s: status %d", command, text, code)
		}
		var r commandResponse
		var raw map[string]json.RawMessage
		if err := json.Unmarshal([]byte(body), &raw); err != nil {
			t.Fatalf("%s: %v in %s", command, err, body)
		}
		json.Unmarshal(raw["response_type"], &r.ResponseType)
		json.Unmarshal(raw["text"], &r.Text)
		if b, ok := raw["blocks"]; ok {
			r.Blocks = []goslack.Block{goslack.NewDividerBlock()} // presence only
			r.Text += "\n" + string(b)
		}
		return r
	}
	tests := []struct {
		name, command, text string
		want                []string
	}{
		{"supported number", "/checknum", "+86 138-1234-5678", []string{"138****5678", "属于移动", `"type":"section"`}},
		{"unsupported prefix", "/checknum", "192", []string{"号段 192 不在"}},
		{"invalid number", "/checknum", "12ab", []string{"请只输入数字"}},
		{"missing number", "/checknum", "", []string{"Usage", "/checknum 13812345678"}},
		{"faq preview with a post button", "/faq", "收不到短信咋办", []string{"短信重发", actionPost, "sms_missing"}},
		{"faq without a question", "/faq", " ", []string{"Usage"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := cmd(tt.command, tt.text)
			if r.ResponseType != "ephemeral" {
				t.Errorf("response_type %q, want ephemeral", r.ResponseType)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.Text, w) {
					t.Errorf("response lacks %q:\n%s", w, r.Text)
				}
			}
		})
	}
}

func interaction(actionID, value, responseURL string) string {
	p := map[string]any{
		"type":         "block_actions",
		"user":         map[string]any{"id": "U1"},
		"channel":      map[string]any{"id": "C1"},
		"container":    map[string]any{"type": "message", "channel_id": "C1", "message_ts": "1700000000.000300"},
		"message":      map[string]any{"ts": "1700000000.000300", "thread_ts": "1700000000.000200"},
		"response_url": responseURL,
		"actions":      []any{map[string]any{"action_id": actionID, "block_id": "b", "value": value, "type": "button"}},
	}
	b, _ := json.Marshal(p)
	return url.Values{"payload": {string(b)}}.Encode()
}

func TestButtons(t *testing.T) {
	t.Run("feedback is stored and thanked", func(t *testing.T) {
		h := newHarness(t, "")
		for _, id := range []string{actionHelpful, actionNotHelpful} {
			if code, _ := h.send(t, "/slack/interactive", "application/x-www-form-urlencoded", interaction(id, "sms_missing|zh", h.fake.srv.URL+"/hook/f"), nil); code != http.StatusOK {
				t.Fatalf("status %d", code)
			}
		}
		h.adapter.Close()
		// Both clicks are stored on the worker pool, so their order is not fixed.
		fb := h.feedback.All()
		votes := map[bool]int{}
		for _, f := range fb {
			if f.Intent != "sms_missing" || f.Channel != "slack" || f.User != "U1" {
				t.Errorf("feedback %+v", f)
			}
			votes[f.Helpful]++
		}
		if len(fb) != 2 || votes[true] != 1 || votes[false] != 1 {
			t.Errorf("feedback = %+v", fb)
		}
		if hooks := h.fake.Hooks(); len(hooks) != 2 || hooks[0]["text"] != "谢谢您的反馈！" || hooks[1]["text"] != "谢谢您的反馈！" {
			t.Errorf("hooks = %v", hooks)
		}
	})
	t.Run("talk to a person notifies the agent channel", func(t *testing.T) {
		h := newHarness(t, "CAGENTS1")
		h.send(t, "/slack/interactive", "application/x-www-form-urlencoded", interaction(actionHandoff, "en", h.fake.srv.URL+"/hook/h"), nil)
		h.adapter.Close()
		posts := h.fake.Posts()
		if len(posts) != 1 || posts[0].Get("channel") != "CAGENTS1" ||
			!strings.Contains(posts[0].Get("text"), "<@U1>") ||
			!strings.Contains(posts[0].Get("text"), "https://test.slack.com/archives/C1/p1700000000000200") {
			t.Errorf("agent notice = %v", posts)
		}
		if hooks := h.fake.Hooks(); len(hooks) != 1 || !strings.Contains(fmt.Sprint(hooks[0]["text"]), "agent has been notified") {
			t.Errorf("user ack = %v", hooks)
		}
	})
	t.Run("talk to a person without an agent channel says so", func(t *testing.T) {
		h := newHarness(t, "")
		h.send(t, "/slack/interactive", "application/x-www-form-urlencoded", interaction(actionHandoff, "zh", h.fake.srv.URL+"/hook/h"), nil)
		h.adapter.Close()
		if hooks := h.fake.Hooks(); len(hooks) != 1 || !strings.Contains(fmt.Sprint(hooks[0]["text"]), "没有配置人工客服") {
			t.Errorf("user ack = %v", hooks)
		}
	})
	t.Run("post to channel posts the answer in_channel, then removes the preview", func(t *testing.T) {
		h := newHarness(t, "")
		h.send(t, "/slack/interactive", "application/x-www-form-urlencoded", interaction(actionPost, "收不到短信咋办", h.fake.srv.URL+"/hook/p"), nil)
		h.adapter.Close()
		hooks := h.fake.Hooks()
		if len(hooks) != 2 || hooks[0]["response_type"] != "in_channel" || hooks[0]["delete_original"] != false ||
			!strings.Contains(fmt.Sprint(hooks[0]["text"]), "短信重发") || hooks[1]["delete_original"] != true {
			t.Errorf("hooks = %v", hooks)
		}
	})
	t.Run("a clarify option answers in the thread", func(t *testing.T) {
		h := newHarness(t, "")
		h.send(t, "/slack/interactive", "application/x-www-form-urlencoded", interaction(actionClarify+"2", "sms_missing.blocked|zh", h.fake.srv.URL+"/hook/c"), nil)
		h.adapter.Close()
		hooks := h.fake.Hooks()
		if len(hooks) != 1 || hooks[0]["thread_ts"] != "1700000000.000300" || hooks[0]["response_type"] != "in_channel" ||
			!strings.Contains(fmt.Sprint(hooks[0]["text"]), "手机管家") {
			t.Errorf("hooks = %v", hooks)
		}
	})
}

func TestRateLimitAndServerErrorsAreRetried(t *testing.T) {
	h := newHarness(t, "")
	h.fake.mu.Lock()
	h.fake.failures = []int{http.StatusTooManyRequests, http.StatusInternalServerError}
	h.fake.mu.Unlock()
	h.send(t, "/slack/events", "application/json", eventBody("Ev4", dm("你好")), nil)
	h.adapter.Close()
	if posts := h.fake.Posts(); len(posts) != 1 {
		t.Errorf("%d posts after a 429 and a 500, want 1", len(posts))
	}
}

func TestRateLimitIsWaitedOutNotCountedAsTries(t *testing.T) {
	h := newHarness(t, "")
	h.fake.mu.Lock()
	h.fake.failures = []int{429, 429, 429, 429, 429, 429} // more than a few tries
	h.fake.mu.Unlock()
	h.send(t, "/slack/events", "application/json", eventBody("Ev5", dm("你好")), nil)
	h.adapter.Close()
	if posts := h.fake.Posts(); len(posts) != 1 {
		t.Errorf("%d posts after six 429s, want the answer", len(posts))
	}
	if c := h.adapter.pool.Counts(); c.Failed != 0 {
		t.Errorf("counts %+v", c)
	}
}

func TestRateLimitPausesEveryWorker(t *testing.T) {
	h := newHarness(t, "", func(c *Config) { c.Workers = 4 })
	h.fake.mu.Lock()
	h.fake.failures, h.fake.retry = []int{429}, "1"
	h.fake.mu.Unlock()
	h.send(t, "/slack/events", "application/json", eventBody("EvP0", dm("你好")), nil)
	for i := 0; i < 500; i++ { // until the 429 is out
		h.fake.mu.Lock()
		n := len(h.fake.failures)
		h.fake.mu.Unlock()
		if n == 0 {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	limited := time.Now()
	for i := 1; i < 4; i++ { // answers of other workers, during the pause
		h.send(t, "/slack/events", "application/json", eventBody(fmt.Sprint("EvP", i), dm("你好")), nil)
	}
	h.adapter.Close()
	h.fake.mu.Lock()
	defer h.fake.mu.Unlock()
	if len(h.fake.postedAt) != 4 {
		t.Fatalf("%d answers posted, want 4", len(h.fake.postedAt))
	}
	for i, at := range h.fake.postedAt {
		if d := at.Sub(limited); d < 900*time.Millisecond {
			t.Errorf("answer %d posted %v after a 429 with Retry-After: 1", i, d)
		}
	}
}

func TestAnswerPastItsDeadlineIsCountedAsFailed(t *testing.T) {
	h := newHarness(t, "", func(c *Config) { c.PostDeadline = 300 * time.Millisecond })
	h.fake.mu.Lock()
	h.fake.failures, h.fake.retry = []int{429}, "2"
	h.fake.mu.Unlock()
	h.send(t, "/slack/events", "application/json", eventBody("EvD", dm("你好")), nil)
	h.adapter.Close()
	if posts, c := h.fake.Posts(), h.adapter.pool.Counts(); len(posts) != 0 || c.Failed != 1 {
		t.Errorf("%d posts, counts %+v; want the answer given up and counted", len(posts), c)
	}
}

type fakeAcker struct {
	mu   sync.Mutex
	acks []string
	last []any
}

var _ Acker = (*fakeAcker)(nil)

func (f *fakeAcker) Ack(req socketmode.Request, payload ...any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.acks = append(f.acks, req.EnvelopeID)
	f.last = payload
	return nil
}

func TestSocketModeDispatch(t *testing.T) {
	h := newHarness(t, "")
	ack := &fakeAcker{}
	msg := &slackevents.MessageEvent{Type: "message", Channel: "D2", ChannelType: "im", User: "U2", Text: "核验短信被拦截了吗", TimeStamp: "1.000001"}
	ev := slackevents.EventsAPIEvent{
		Type:       slackevents.CallbackEvent,
		Data:       &slackevents.EventsAPICallbackEvent{Type: "event_callback", EventID: "EvS1"},
		InnerEvent: slackevents.EventsAPIInnerEvent{Type: "message", Data: msg},
	}
	ctx := context.Background()
	// The same envelope twice, as after a reconnect: answered once.
	h.adapter.socketEvent(ctx, socketmode.Event{Type: socketmode.EventTypeEventsAPI, Data: ev, Request: &socketmode.Request{EnvelopeID: "env1"}}, ack)
	h.adapter.socketEvent(ctx, socketmode.Event{Type: socketmode.EventTypeEventsAPI, Data: ev, Request: &socketmode.Request{EnvelopeID: "env2"}}, ack)
	h.adapter.socketEvent(ctx, socketmode.Event{Type: socketmode.EventTypeSlashCommand,
		Data: goslack.SlashCommand{Command: "/checknum", Text: "170", UserID: "U2"}, Request: &socketmode.Request{EnvelopeID: "env3"}}, ack)
	ack.mu.Lock()
	last := ack.last
	ack.mu.Unlock()
	if len(last) != 1 || !strings.Contains(last[0].(commandResponse).Text, "号段 170 属于联通") {
		t.Errorf("slash command ack payload = %v", last)
	}
	cb := goslack.InteractionCallback{Type: goslack.InteractionTypeBlockActions, User: goslack.User{ID: "U2"},
		ResponseURL:    h.fake.srv.URL + "/hook/s",
		ActionCallback: goslack.ActionCallbacks{BlockActions: []*goslack.BlockAction{{ActionID: actionHelpful, Value: "sms_missing.blocked|zh"}}}}
	h.adapter.socketEvent(ctx, socketmode.Event{Type: socketmode.EventTypeInteractive, Data: cb, Request: &socketmode.Request{EnvelopeID: "env4"}}, ack)
	h.adapter.Close()
	if got := strings.Join(ack.acks, ","); got != "env1,env2,env3,env4" {
		t.Errorf("acks = %s", got)
	}
	posts := h.fake.Posts()
	if len(posts) != 1 || posts[0].Get("channel") != "D2" || !strings.Contains(posts[0].Get("text"), "手机管家") {
		t.Errorf("posts = %v", posts)
	}
	if fb := h.feedback.All(); len(fb) != 1 || fb[0].Intent != "sms_missing.blocked" {
		t.Errorf("feedback = %v", fb)
	}
}

func TestMrkdwnEscapesAndLinks(t *testing.T) {
	r := newBot(t).Respond(context.Background(), bot.Message{Text: "换手机了要重发短信"})
	got := mrkdwn(r)
	if !strings.HasPrefix(got, "*没有收到管局发送的核验短信怎么办？*") || !strings.Contains(got, "<https://cloud.tencent.com/document/product/243/13435#resend|短信重发>") {
		t.Errorf("mrkdwn:\n%s", got)
	}
	if got := escape("<script>&"); got != "&lt;script&gt;&amp;" {
		t.Errorf("escape = %q", got)
	}
}

func TestAskingForAPersonNotifiesAgents(t *testing.T) {
	h := newHarness(t, "CAGENTS1")
	h.send(t, "/slack/events", "application/json", eventBody("Ev5", dm("转人工，我的号码13812345678 &amp; &lt;急&gt;")), nil)
	h.adapter.Close()
	posts := h.fake.Posts()
	if len(posts) != 2 {
		t.Fatalf("%d posts, want the agent notice and the answer", len(posts))
	}
	notice, answer := posts[0], posts[1]
	if notice.Get("channel") != "CAGENTS1" || !strings.Contains(notice.Get("text"), "138****5678 &amp; &lt;急&gt;") ||
		strings.Contains(notice.Get("text"), "13812345678") || !strings.Contains(notice.Get("text"), "direct message") {
		t.Errorf("notice = %v", notice)
	}
	if answer.Get("channel") != "D1" || !strings.Contains(answer.Get("text"), "人工客服") {
		t.Errorf("answer = %v", answer)
	}
}

func TestAskingForAPersonWithoutAgentChannelIsHonest(t *testing.T) {
	h := newHarness(t, "")
	h.send(t, "/slack/events", "application/json", eventBody("Ev6", dm("转人工")), nil)
	h.adapter.Close()
	posts := h.fake.Posts()
	if len(posts) != 1 || !strings.Contains(posts[0].Get("text"), "没有配置人工客服") {
		t.Errorf("posts = %v", posts)
	}
}

// When the answer queue is full, an event is refused with 503 and not
// remembered, so Slack's retry of it is answered; nothing is lost.
func TestFullQueueRefusesAndRetryIsAnswered(t *testing.T) {
	h := newHarness(t, "", func(c *Config) { c.Workers, c.Queue = 1, 1 })
	gate := make(chan struct{})
	h.fake.mu.Lock()
	h.fake.gate = gate
	h.fake.mu.Unlock()
	if code, _ := h.send(t, "/slack/events", "application/json", eventBody("EvQ1", dm("收不到短信")), nil); code != 200 {
		t.Fatalf("first event: %d", code)
	}
	for i := 0; h.adapter.pool.Len() > 0 && i < 200; i++ { // the worker takes it and waits on Slack
		time.Sleep(5 * time.Millisecond)
	}
	if code, _ := h.send(t, "/slack/events", "application/json", eventBody("EvQ2", dm("短信被拦截了")), nil); code != 200 {
		t.Fatalf("second event (queued): %d", code)
	}
	third := eventBody("EvQ3", dm("怎么重发短信"))
	if code, _ := h.send(t, "/slack/events", "application/json", third, nil); code != http.StatusServiceUnavailable {
		t.Fatalf("third event with a full queue: %d, want 503", code)
	}
	close(gate)
	h.fake.wait(t, 2)
	if code, _ := h.send(t, "/slack/events", "application/json", third, map[string]string{"X-Slack-Retry-Num": "1"}); code != 200 {
		t.Fatalf("the retry: %d", code)
	}
	h.fake.wait(t, 1)
	if n := len(h.fake.Posts()); n != 3 {
		t.Errorf("%d answers posted, want 3", n)
	}
}

// handoffAdapter is an adapter over a bot that keeps conversations and a
// handoff queue (the shared test bot keeps neither), posting to a fake.
func handoffAdapter(t *testing.T, cfg Config) (*bot.Bot, *Adapter, *fakeSlack) {
	t.Helper()
	kb, err := knowledge.Default()
	if err != nil {
		t.Fatal(err)
	}
	norm, err := match.NewNormalizer()
	if err != nil {
		t.Fatal(err)
	}
	b, err := bot.New(kb, norm, bot.WithConversations(bot.NewMemoryConversations(), time.Hour),
		bot.WithHandoffs(bot.NewMemoryHandoffs(), time.Hour), desksFor(cfg))
	if err != nil {
		t.Fatal(err)
	}
	fake := newFakeSlack(t)
	client := goslack.New("xoxb-test", goslack.OptionAPIURL(fake.srv.URL+"/api/"))
	a := New(b, client, chanstate.NewMemoryDedup(), bot.NewMemoryFeedback(10), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	t.Cleanup(a.Close)
	return b, a, fake
}

// A handoff nobody was told of is ended at once: the user is told, and the
// bot keeps answering them instead of going silent.
func TestHandoffNobodyWasToldOfEnds(t *testing.T) {
	b, a, fake := handoffAdapter(t, Config{SigningSecret: secret, Workers: 1})
	ctx := context.Background()
	for _, text := range []string{"转人工", "收不到短信"} {
		if err := a.answer(ctx, incomingMsg{channel: "D1", user: "U1", text: text, ts: "1.1"}); err != nil {
			t.Fatal(err)
		}
	}
	if hs, _ := b.Handoffs(ctx); len(hs) != 0 {
		t.Errorf("open handoffs: %+v", hs)
	}
	posts := fake.Posts()
	if len(posts) != 2 || !strings.Contains(posts[0].Get("text"), "没有配置人工客服") || !strings.Contains(posts[1].Get("text"), "没有收到管局发送的核验短信") {
		t.Errorf("posts = %v", posts)
	}
}

// With the admin console on, agents see the handoff there (and reply to
// the user from it), so it stays open without an agent channel.
func TestHandoffStaysOpenForTheConsole(t *testing.T) {
	b, a, fake := handoffAdapter(t, Config{SigningSecret: secret, Workers: 1, Console: true})
	ctx := context.Background()
	if err := a.answer(ctx, incomingMsg{channel: "D1", user: "U1", text: "转人工", ts: "1.1"}); err != nil {
		t.Fatal(err)
	}
	hs, _ := b.Handoffs(ctx)
	if len(hs) != 1 || hs[0].Thread != "D1:" {
		t.Fatalf("open handoffs: %+v", hs)
	}
	if err := a.DeliverAgentReply(ctx, hs[0], "您好 <b>"); err != nil {
		t.Fatal(err)
	}
	posts := fake.Posts()
	if len(posts) != 2 || posts[1].Get("channel") != "D1" || !strings.Contains(posts[1].Get("text"), "您好 &lt;b&gt;") {
		t.Errorf("posts = %v", posts)
	}
}

func TestParseCommandAgreesWithTheSDK(t *testing.T) {
	for _, body := range []string{
		"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c",
		"command=%2Fchecknum&text=%2B86+138-1234-5678&user_id=U1&text=second&is_enterprise_install=true&enterprise_id=E1",
		"command=%2Ffaq&text=%E6%94%B6%E4%B8%8D%E5%88%B0%E7%9F%AD%E4%BF%A1&&unknown=1&api_app_id=A1",
		"",
		"text=%zz",
		"te%zzxt=1",
	} {
		r := httptest.NewRequest("POST", "/slack/commands", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		want, wantErr := goslack.SlashCommandParse(r)
		got, err := parseCommand(body)
		if (err != nil) != (wantErr != nil) {
			t.Errorf("%q: error %v, the SDK's %v", body, err, wantErr)
			continue
		}
		if err == nil && got != want {
			t.Errorf("%q:\n got %+v\nwant %+v", body, got, want)
		}
	}
}

// A signed command or button press sent again within the signature's
// window (the same request, recorded and replayed) is taken once.
func TestReplayedRequestsAreTakenOnce(t *testing.T) {
	h := newHarness(t, "CAGENTS1")
	body := interaction(actionHelpful, "sms_missing|zh", h.fake.srv.URL+"/hook/f")
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	replay := func(path, body string) int {
		req, _ := http.NewRequest("POST", h.server.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Slack-Request-Timestamp", ts)
		req.Header.Set("X-Slack-Signature", sign(secret, ts, []byte(body)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for range 20 {
		if code := replay("/slack/interactive", body); code != http.StatusOK {
			t.Fatalf("status %d", code)
		}
	}
	handoff := interaction(actionHandoff, "zh|收不到短信", h.fake.srv.URL+"/hook/h")
	for range 5 {
		replay("/slack/interactive", handoff)
	}
	h.adapter.Close()
	if fb := h.feedback.All(); len(fb) != 1 {
		t.Errorf("%d votes stored for one press sent 20 times, want 1", len(fb))
	}
	if posts := h.fake.Posts(); len(posts) != 1 {
		t.Errorf("%d agent notices for one press sent 5 times, want 1", len(posts))
	}
}

// Only agents resolve handoffs: a configured agent, or anyone acting in
// the agent channel; not any user of the workspace.
func TestOnlyAgentsResolve(t *testing.T) {
	h := newHarness(t, "CAGENTS1", func(c *Config) { c.AgentIDs = []string{"UAGENT"} })
	resolve := func(user, channel string) string {
		form := url.Values{"command": {"/resolve"}, "text": {"h-123"}, "user_id": {user}, "channel_id": {channel},
			"response_url": {h.fake.srv.URL + "/hook/r"}, "trigger_id": {"1.2.3"}}
		_, body := h.send(t, "/slack/commands", "application/x-www-form-urlencoded", form.Encode(), nil)
		return body
	}
	if body := resolve("U1", "C1"); !strings.Contains(body, "Only agents") {
		t.Errorf("a user in another channel: %s", body)
	}
	for _, who := range [][2]string{{"U1", "CAGENTS1"}, {"UAGENT", "C1"}} {
		if body := resolve(who[0], who[1]); strings.Contains(body, "Only agents") {
			t.Errorf("%s in %s was refused: %s", who[0], who[1], body)
		}
	}
	// The button too: pressed outside the agent channel, by a user.
	h.send(t, "/slack/interactive", "application/x-www-form-urlencoded", interaction(actionResolve, "h-123", h.fake.srv.URL+"/hook/b"), nil)
	h.adapter.Close()
	if hooks := h.fake.Hooks(); len(hooks) != 1 || !strings.Contains(fmt.Sprint(hooks[0]["text"]), "Only agents") {
		t.Errorf("resolve button outside the agent channel: %v", hooks)
	}
}

// TestSocketModeStateIsTold: a Socket Mode connection that fails (here a
// malformed socket URL) is logged as not connected and /readyz's question
// says so; only a real connection is "connected".
func TestSocketModeStateIsTold(t *testing.T) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/apps.connections.open":
			io.WriteString(w, `{"ok":true,"url":"not a socket url"}`)
		default:
			io.WriteString(w, `{"ok":true,"user_id":"UBOT","team":"Test"}`)
		}
	}))
	defer api.Close()
	var logs syncLog
	client := goslack.New("xoxb-test", goslack.OptionAPIURL(api.URL+"/api/"), goslack.OptionAppLevelToken("xapp-test"))
	a := New(newBot(t), client, chanstate.NewMemoryDedup(), bot.NewMemoryFeedback(10), Config{Workers: 1},
		slog.New(slog.NewTextHandler(&logs, nil)))
	defer a.Close()
	if a.SocketDown() {
		t.Error("down before Socket Mode is in use")
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { a.RunSocketMode(ctx, socketmode.New(client)); close(done) }()
	for i := 0; i < 200 && !strings.Contains(logs.String(), "not connected"); i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if !a.SocketDown() || !strings.Contains(logs.String(), "slack: socket mode not connected") ||
		strings.Contains(logs.String(), "socket mode connected") {
		t.Errorf("down %v, log:\n%s", a.SocketDown(), logs.String())
	}
	cancel()
	<-done
	a.socketEvent(t.Context(), socketmode.Event{Type: socketmode.EventTypeConnected}, nil)
	if a.SocketDown() {
		t.Error("down after the client said connected")
	}
}

type syncLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncLog) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncLog) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
