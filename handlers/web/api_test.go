package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/bot/match"
	"github.com/supportbot/supportbot/bot/phone"
	"github.com/supportbot/supportbot/knowledge"
)

// newServer serves the API over a real bot built from the embedded knowledge.
func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	kb, err := knowledge.Default()
	if err != nil {
		t.Fatalf("knowledge.Default: %v", err)
	}
	norm, err := match.NewNormalizer()
	if err != nil {
		t.Fatalf("match.NewNormalizer: %v", err)
	}
	b, err := bot.New(kb, norm)
	if err != nil {
		t.Fatalf("bot.New: %v", err)
	}
	mux := http.NewServeMux()
	api := &API{Bot: b, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	api.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// post sends body to POST /api/chat and returns the status and raw body.
func post(t *testing.T, srv *httptest.Server, body string) (int, []byte) {
	t.Helper()
	resp, err := srv.Client().Post(srv.URL+"/api/chat", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatalf("POST /api/chat: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	return resp.StatusCode, b
}

// chat posts req and decodes a 200 answer.
func chat(t *testing.T, srv *httptest.Server, req ChatRequest) ChatResponse {
	t.Helper()
	body, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	status, raw := post(t, srv, string(body))
	if status != http.StatusOK {
		t.Fatalf("POST /api/chat %s: status %d, want 200; body %s", body, status, raw)
	}
	var resp ChatResponse
	if err := json.Unmarshal(raw, &resp); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return resp
}

func TestHealthz(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	resp, err := srv.Client().Get(srv.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Errorf("status = %d, want 200", resp.StatusCode)
	}
	if got := strings.TrimSpace(string(body)); got != "ok" {
		t.Errorf("body = %q, want %q", got, "ok")
	}
}

func TestChat(t *testing.T) {
	t.Parallel()
	srv := newServer(t)

	t.Run("chinese question gets the FAQ answer with every field", func(t *testing.T) {
		t.Parallel()
		status, raw := post(t, srv, `{"user":"u1","text":"收不到短信咋办"}`)
		if status != http.StatusOK {
			t.Fatalf("status = %d, want 200; body %s", status, raw)
		}
		// Decode into a map first: the contract is the JSON, and a nil slice
		// would decode into a Go struct just as happily as [].
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(raw, &fields); err != nil {
			t.Fatalf("decode %s: %v", raw, err)
		}
		for _, name := range []string{"reply", "markdown", "intent", "confidence", "lang", "numbers", "clarify", "handoff"} {
			if _, ok := fields[name]; !ok {
				t.Errorf("response has no %q field: %s", name, raw)
			}
		}
		for _, name := range []string{"numbers", "clarify"} {
			if got := strings.TrimSpace(string(fields[name])); !strings.HasPrefix(got, "[") {
				t.Errorf("%s = %s, want a JSON array", name, got)
			}
		}
		if got := string(fields["numbers"]); got != "[]" {
			t.Errorf("numbers = %s, want []", got)
		}

		var resp ChatResponse
		if err := json.Unmarshal(raw, &resp); err != nil {
			t.Fatal(err)
		}
		if resp.Intent != "sms_missing" {
			t.Errorf("intent = %q, want sms_missing", resp.Intent)
		}
		if resp.Lang != "zh" {
			t.Errorf("lang = %q, want zh", resp.Lang)
		}
		if resp.Confidence <= 0 || resp.Confidence > 1 {
			t.Errorf("confidence = %v, want in (0, 1]", resp.Confidence)
		}
		if !strings.Contains(resp.Reply, "短信重发") {
			t.Errorf("reply does not mention 短信重发:\n%s", resp.Reply)
		}
		if !strings.Contains(resp.Markdown, "[短信重发](") {
			t.Errorf("markdown has no 短信重发 link:\n%s", resp.Markdown)
		}
		if resp.Handoff {
			t.Error("handoff = true, want false")
		}
	})

	t.Run("english question gets an english answer", func(t *testing.T) {
		t.Parallel()
		resp := chat(t, srv, ChatRequest{User: "u2", Text: "I never received the MIIT verification SMS"})
		if resp.Lang != "en" {
			t.Errorf("lang = %q, want en", resp.Lang)
		}
		if resp.Intent != "sms_missing" {
			t.Errorf("intent = %q, want sms_missing", resp.Intent)
		}
		if !strings.Contains(resp.Reply, "SMS resend") {
			t.Errorf("reply is not the English FAQ answer:\n%s", resp.Reply)
		}
		if strings.ContainsFunc(resp.Reply, func(r rune) bool { return r >= 0x4E00 && r <= 0x9FFF }) {
			t.Errorf("english reply has Chinese characters:\n%s", resp.Reply)
		}
	})

	t.Run("number in the message is checked and masked", func(t *testing.T) {
		t.Parallel()
		const full = "19212345678"
		resp := chat(t, srv, ChatRequest{User: "u3", Text: full + " 收不到核验短信"})
		if resp.Intent != "sms_missing.prefix" {
			t.Errorf("intent = %q, want sms_missing.prefix", resp.Intent)
		}
		want := []phone.Number{{Input: "192****5678", Valid: true, Normalized: "192****5678", Prefix: "192", Supported: false}}
		if diff := cmp.Diff(want, resp.Numbers); diff != "" {
			t.Errorf("numbers mismatch (-want +got):\n%s", diff)
		}
		if !strings.Contains(resp.Reply, "192****5678") {
			t.Errorf("reply does not show the masked number 192****5678:\n%s", resp.Reply)
		}
		for name, text := range map[string]string{"reply": resp.Reply, "markdown": resp.Markdown} {
			if strings.Contains(text, full) {
				t.Errorf("%s shows the full number %s:\n%s", name, full, text)
			}
		}
	})

	t.Run("empty text gets a polite reply", func(t *testing.T) {
		t.Parallel()
		resp := chat(t, srv, ChatRequest{User: "u4", Text: "  "})
		if resp.Intent != knowledge.None {
			t.Errorf("intent = %q, want %q", resp.Intent, knowledge.None)
		}
		if strings.TrimSpace(resp.Reply) == "" {
			t.Error("reply is empty, want a message asking for a question")
		}
	})

	t.Run("html is answered as data", func(t *testing.T) {
		t.Parallel()
		resp := chat(t, srv, ChatRequest{User: "u5", Text: "<script>alert(1)</script>"})
		if resp.Intent != knowledge.None {
			t.Errorf("intent = %q, want %q", resp.Intent, knowledge.None)
		}
		if strings.TrimSpace(resp.Reply) == "" {
			t.Error("reply is empty")
		}
		if strings.Contains(resp.Reply, "<script>") || strings.Contains(resp.Markdown, "<script>") {
			t.Errorf("answer echoes the script tag:\nreply %s\nmarkdown %s", resp.Reply, resp.Markdown)
		}
	})
}

func TestChatRejects(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	tests := []struct {
		name   string
		body   string
		status int
	}{
		{"malformed json is a bad request", `{"user":"u1","text":`, http.StatusBadRequest},
		{"not json is a bad request", `收不到短信`, http.StatusBadRequest},
		{"body over 64 KiB is too large", `{"user":"u1","text":"` + strings.Repeat("a", MaxBody) + `"}`, http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			status, raw := post(t, srv, tt.body)
			if status != tt.status {
				t.Errorf("status = %d, want %d; body %s", status, tt.status, raw)
			}
			var e struct {
				Error string `json:"error"`
			}
			if err := json.Unmarshal(raw, &e); err != nil {
				t.Fatalf("error body %q is not JSON: %v", raw, err)
			}
			if e.Error == "" {
				t.Errorf(`body %s has no "error" message`, raw)
			}
		})
	}
}

func TestChatWrongMethod(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	resp, err := srv.Client().Get(srv.URL + "/api/chat")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /api/chat: status = %d, want 405", resp.StatusCode)
	}
	if got := resp.Header.Get("Allow"); !strings.Contains(got, http.MethodPost) {
		t.Errorf("Allow = %q, want it to list POST", got)
	}
}

func TestNewChatResponseNeverNullSlices(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(NewChatResponse(bot.Reply{Intent: knowledge.None, Lang: "zh"}))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]json.RawMessage
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"numbers", "clarify"} {
		if s := string(got[name]); s != "[]" {
			t.Errorf("%s = %s, want []", name, s)
		}
	}
	if _, ok := got["source"]; ok {
		t.Errorf("source is present for a reply without one: %s", b)
	}
}

// Without the admin console nobody would see a web user's handoff: the user
// is told so and the bot keeps answering.
func TestHandoffWithoutConsole(t *testing.T) {
	s := newSite(t, "")
	r := chat(t, s.srv, ChatRequest{User: "w-no-console-user-1", Text: "转人工"})
	if r.Handoff || r.HandoffID != "" || !strings.Contains(r.Reply, "还没有配置人工客服") {
		t.Fatalf("handoff without a console: %+v", r)
	}
	if r := chat(t, s.srv, ChatRequest{User: "w-no-console-user-1", Text: "收不到短信"}); r.Silent || r.Intent != "sms_missing" {
		t.Fatalf("the bot went silent: %+v", r)
	}
}

func TestFeedbackNamesAKnownIntent(t *testing.T) {
	s := newSite(t, "")
	for body, want := range map[string]int{
		`{"user":"u1","intent":"sms_missing.blocked","helpful":true}`:                        http.StatusOK,
		`{"user":"u1","intent":"none","helpful":false}`:                                      http.StatusOK,
		`{"user":"u1","intent":"bogus","helpful":true}`:                                      http.StatusBadRequest,
		`{"user":"u1","intent":"sms_missing"}`:                                               http.StatusBadRequest,
		`{"user":"u1","intent":"没有收到管局发送的核验短信怎么办","helpful":true}`:                           http.StatusBadRequest, // a question with an explicit id goes by the id
		`{"user":"` + strings.Repeat("u", 5000) + `","intent":"sms_missing","helpful":true}`: http.StatusRequestEntityTooLarge,
	} {
		resp, err := s.srv.Client().Post(s.srv.URL+"/api/feedback", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s: %d, want %d", body, resp.StatusCode, want)
		}
	}
}

// One address cannot open handoffs without end: past the limit, requests
// for a person are answered as if no agent were available.
func TestHandoffsPerAddressAreLimited(t *testing.T) {
	s := newSite(t, testToken)
	taken := 0
	for i := range handoffsPerWindow + 3 {
		r := chat(t, s.srv, ChatRequest{User: fmt.Sprintf("w-flood-user-%08d", i), Text: "转人工"})
		if r.Handoff {
			taken++
		}
	}
	if taken != handoffsPerWindow {
		t.Errorf("%d handoffs taken from one address, want %d", taken, handoffsPerWindow)
	}
	if hs, _ := s.bot.Handoffs(context.Background()); len(hs) != handoffsPerWindow {
		t.Errorf("%d handoffs open, want %d", len(hs), handoffsPerWindow)
	}
}

func TestClientIP(t *testing.T) {
	lan, err := ParseProxies("10.0.0.0/8, 192.168.1.5")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		proxies Proxies
		remote  string
		xff     []string
		want    string
	}{
		{nil, "203.0.113.7:5000", nil, "203.0.113.7"},
		{nil, "203.0.113.7:5000", []string{"1.2.3.4"}, "203.0.113.7"}, // a client cannot claim another address
		{nil, "127.0.0.1:5000", []string{"9.9.9.9", "198.51.100.3"}, "198.51.100.3"},
		{nil, "10.0.0.5:5000", []string{"9.9.9.9"}, "10.0.0.5"}, // a private peer is no proxy unless configured
		{lan, "10.0.0.5:5000", []string{"9.9.9.9, 198.51.100.2"}, "198.51.100.2"},
		{lan, "192.168.1.5:5000", []string{"198.51.100.4"}, "198.51.100.4"},
		{lan, "192.168.1.6:5000", []string{"198.51.100.4"}, "192.168.1.6"},
		{lan, "127.0.0.1:5000", []string{"198.51.100.4"}, "127.0.0.1"}, // configured: loopback is not implied
		{lan, "10.0.0.5:5000", []string{"garbage"}, "10.0.0.5"},
	} {
		r := httptest.NewRequest("POST", "/api/chat", nil)
		r.RemoteAddr = c.remote
		for _, v := range c.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := c.proxies.ClientIP(r); got != c.want {
			t.Errorf("ClientIP(%s, %v) with %v = %s, want %s", c.remote, c.xff, c.proxies, got, c.want)
		}
	}
	r := httptest.NewRequest("POST", "http://bot.example/admin/login", nil)
	r.RemoteAddr = "203.0.113.7:5000"
	r.Header.Set("X-Forwarded-Proto", "https")
	if Proxies(nil).Secure(r) {
		t.Error("a client's own X-Forwarded-Proto counts as HTTPS")
	}
	if _, err := ParseProxies("10.0.0.0/33"); err == nil {
		t.Error("a bad network parsed")
	}
}

// isIntentID accepts every form an answer's id has: a rule's, an explicit
// id of the FAQ (digits and dashes included: an id such as step2 was once
// refused here, so it could get no feedback), and an FAQ question with its
// step; up to a length, and no control characters or invalid UTF-8.
func TestIsIntentID(t *testing.T) {
	for _, c := range []struct {
		id   string
		want bool
	}{
		{"sms_missing", true}, {"sms_missing.resend", true}, {"step2", true}, {"forgot-password", true},
		{"没有收到管局发送的核验短信怎么办", true}, {"VPN 连不上怎么办.2", true},
		{"", false}, {"a.b\n", false}, {"a\x00b", false}, {"\xff", false},
		{"a" + strings.Repeat("b", maxIntentID-1), true}, {"a" + strings.Repeat("b", maxIntentID), false},
	} {
		if got := isIntentID(c.id); got != c.want {
			t.Errorf("isIntentID(%q) = %v, want %v", c.id, got, c.want)
		}
	}
}

// The API's abuse limits: JSON only (no cross-site text/plain form),
// messages per client address whatever user ids it claims, votes per
// address, and 429 with Retry-After for a limited reply.
func TestAbuseLimits(t *testing.T) {
	kb, _ := knowledge.Default()
	norm, _ := match.NewNormalizer()
	b, err := bot.New(kb, norm, bot.WithRateLimiter(bot.NewMemoryRateLimiter(2)))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	api := &API{Bot: b, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Feedback: bot.NewMemoryFeedback(1000), ChatsPerMinute: 5}
	api.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	send := func(path, contentType, body string) *http.Response {
		resp, err := srv.Client().Post(srv.URL+path, contentType, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if r := send("/api/chat", "text/plain", `{"user":"u1","text":"转人工"}`); r.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("a text/plain chat: %d, want 415", r.StatusCode)
	}
	if r := send("/api/feedback", "text/plain", `{"user":"u1","intent":"sms_missing","helpful":true}`); r.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("a text/plain vote: %d, want 415", r.StatusCode)
	}
	// The user's own limit (2 a minute): the third is refused with 429.
	var last *http.Response
	for range 3 {
		last = send("/api/chat", "application/json", `{"user":"same-user-1","text":"收不到短信"}`)
	}
	if last.StatusCode != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" {
		t.Errorf("a user over the limit: %d, Retry-After %q; want 429 with Retry-After", last.StatusCode, last.Header.Get("Retry-After"))
	}
	// The address's limit (5 a minute), whatever ids it rotates through.
	for i := range 3 {
		last = send("/api/chat", "application/json", fmt.Sprintf(`{"user":"rotating-%d","text":"收不到短信"}`, i))
	}
	if last.StatusCode != http.StatusTooManyRequests {
		t.Errorf("an address past 5 messages with new user ids: %d, want 429", last.StatusCode)
	}
	codes := map[int]int{}
	for i := range votesPerMinute + 5 {
		codes[send("/api/feedback", "application/json", fmt.Sprintf(`{"user":"v%d","intent":"sms_missing","helpful":true}`, i)).StatusCode]++
	}
	if codes[http.StatusOK] != votesPerMinute || codes[http.StatusTooManyRequests] != 5 {
		t.Errorf("votes: %v, want %d stored and 5 refused", codes, votesPerMinute)
	}
}

// TestPageTextsFollowTheFAQ: the page's title, greeting and hint are the
// FAQ's in service, in the language asked for.
func TestPageTextsFollowTheFAQ(t *testing.T) {
	srv := newServer(t)
	for lang, want := range map[string][]string{"zh": {"ICP 备案管局短信核验", "您好", "例如"}, "en": {"ICP filing: MIIT SMS verification", "Hello", "e.g."}} {
		resp, err := http.Get(srv.URL + "/api/page?lang=" + lang)
		if err != nil {
			t.Fatal(err)
		}
		var p PageTexts
		json.NewDecoder(resp.Body).Decode(&p)
		resp.Body.Close()
		if p.Title != want[0] || !strings.Contains(p.Welcome, want[1]) || !strings.Contains(p.Placeholder, want[2]) {
			t.Errorf("%s: %+v", lang, p)
		}
	}
}
