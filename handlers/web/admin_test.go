package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/bot/match"
	"github.com/supportbot/supportbot/bot/sqlstore"
	"github.com/supportbot/supportbot/knowledge"
)

const testToken = "test-admin-token-0123456789"

// testStore is the console's store over a real SQLite exchange log.
type testStore struct{ *sqlstore.Store }

func (s testStore) Report(ctx context.Context, since time.Time) (bot.Report, error) {
	return s.Store.Report(ctx, since, strings.TrimSpace, nil, 0.65, 20)
}

// site is the chat API, page and console as the server wires them: a real
// bot with conversations, a handoff queue and a SQLite exchange log.
type site struct {
	srv       *httptest.Server
	admin     *Admin
	store     *sqlstore.Store
	bot       *bot.Bot
	mu        sync.Mutex
	delivered []string     // "channel user text" sent through Deliver
	embeds    atomic.Int32 // chat pages served into the widget's frame
}

func newSite(t *testing.T, token string) *site {
	t.Helper()
	kb, err := knowledge.Default()
	if err != nil {
		t.Fatal(err)
	}
	norm, err := match.NewNormalizer()
	if err != nil {
		t.Fatal(err)
	}
	store, err := sqlstore.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	b, err := bot.New(kb, norm, bot.WithConversations(bot.NewMemoryConversations(), time.Hour),
		bot.WithHandoffs(bot.NewMemoryHandoffs(), time.Hour), bot.WithRecorder(store), webDesks(token))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s := &site{store: store, bot: b}
	mux := http.NewServeMux()
	api := &API{Bot: b, Log: log, Handoffs: b, AdminToken: token, Feedback: store, Mailbox: store}
	api.Register(mux)
	s.admin = &Admin{Token: token, Bot: b, Store: testStore{store}, Log: log, SignIns: api.SignIns,
		Knowledge: func() KnowledgeStatus {
			return KnowledgeStatus{Version: kb.Version, LoadedAt: kb.LoadedAt, Questions: len(kb.ZH.Entries), Prefixes: len(kb.ZH.Prefixes),
				Intents: len(kb.Rules.Intents), Sources: []string{"faq.zh.md: built-in", "faq.en.md: built-in", "intents.yaml: built-in"}}
		},
		Deliver: map[string]Deliver{"slack": func(_ context.Context, h bot.Handoff, text string) error {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.delivered = append(s.delivered, h.Channel+" "+h.User+" "+text)
			if strings.Contains(text, "fail") {
				return errors.New("slack said no")
			}
			return nil
		}}}
	s.admin.Register(mux)
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" && r.URL.Query().Get("embed") == "1" {
			s.embeds.Add(1)
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// browser is a client with cookies that does not follow redirects.
func (s *site) browser(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	c := *s.srv.Client()
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

func do(t *testing.T, c *http.Client, method, u string, form url.Values, header ...string) (*http.Response, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)

// login signs c in through the form and returns the page's CSRF token.
func (s *site) login(t *testing.T, c *http.Client) string {
	t.Helper()
	resp, _ := do(t, c, "POST", s.srv.URL+"/admin/login", url.Values{"token": {testToken}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	// httptest serves plain HTTP; the cookie is Secure, which browsers
	// accept from localhost but Go's jar does not: hand it over.
	u, _ := url.Parse(s.srv.URL)
	c.Jar.SetCookies(u, resp.Cookies())
	_, page := do(t, c, "GET", s.srv.URL+"/admin", nil)
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF token on the dashboard:\n%s", page)
	}
	return m[1]
}

func TestAdminIsOffWithoutToken(t *testing.T) {
	s := newSite(t, "")
	resp, body := do(t, s.srv.Client(), "GET", s.srv.URL+"/admin", nil)
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "ADMIN_TOKEN") {
		t.Fatalf("GET /admin without a token configured: %d %q", resp.StatusCode, body)
	}
}

func TestAdminSignIn(t *testing.T) {
	s := newSite(t, testToken)
	c := s.browser(t)
	resp, body := do(t, c, "GET", s.srv.URL+"/admin", nil)
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, `action="/admin/login"`) {
		t.Fatalf("GET /admin signed out: %d, want 401 with the login form", resp.StatusCode)
	}
	for _, h := range []string{"Content-Security-Policy", "X-Frame-Options"} {
		if resp.Header.Get(h) == "" {
			t.Errorf("console page without %s", h)
		}
	}
	if resp, _ := do(t, c, "GET", s.srv.URL+"/admin", nil, "Authorization", "Bearer wrong-token-0123456789"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong bearer: %d", resp.StatusCode)
	}
	if resp, _ := do(t, c, "GET", s.srv.URL+"/admin", nil, "Authorization", "Bearer "+testToken); resp.StatusCode != http.StatusOK {
		t.Errorf("right bearer: %d", resp.StatusCode)
	}
	resp, body = do(t, c, "POST", s.srv.URL+"/admin/login", url.Values{"token": {"nope"}})
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "not right") {
		t.Errorf("wrong token in the form: %d", resp.StatusCode)
	}
	resp, _ = do(t, c, "POST", s.srv.URL+"/admin/login", url.Values{"token": {testToken}})
	cookies := resp.Cookies()
	if resp.StatusCode != http.StatusSeeOther || len(cookies) != 1 {
		t.Fatalf("login: %d %v", resp.StatusCode, cookies)
	}
	ck := cookies[0]
	if !ck.Secure || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || strings.Contains(ck.Value, testToken) {
		t.Errorf("session cookie %+v: want Secure, HttpOnly, SameSite=Strict and not the token itself", ck)
	}
	csrf := s.login(t, c)

	// Over plain HTTP to another host the cookie would be dropped: the
	// form says so.
	req, _ := http.NewRequest("POST", s.srv.URL+"/admin/login", strings.NewReader(url.Values{"token": {testToken}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Host = "bot.example.com"
	if resp, err := c.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("login over plain HTTP to a public host: %v %v, want 403", resp.StatusCode, err)
	} else {
		resp.Body.Close()
	}

	// A state change needs the session's CSRF token.
	if resp, _ := do(t, c, "POST", s.srv.URL+"/admin/try", url.Values{"text": {"hi"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("POST without the CSRF token: %d, want 403", resp.StatusCode)
	}
	if resp, _ := do(t, c, "POST", s.srv.URL+"/admin/try", url.Values{"text": {"hi"}, "csrf": {strings.Repeat("0", 64)}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("POST with a wrong CSRF token: %d, want 403", resp.StatusCode)
	}
	if resp, _ := do(t, c, "POST", s.srv.URL+"/admin/try", url.Values{"text": {"hi"}, "csrf": {csrf}}, "Origin", "https://evil.example"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site POST: %d, want 403", resp.StatusCode)
	}
	resp, body = do(t, c, "POST", s.srv.URL+"/admin/try", url.Values{"text": {"192能收到管局短信吗"}, "csrf": {csrf}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `<code id="try-intent">sms_missing.prefix</code>`) || !strings.Contains(body, "192") {
		t.Errorf("try a question: %d\n%s", resp.StatusCode, body)
	}

	// A forged or expired session is no session.
	u, _ := url.Parse(s.srv.URL + "/admin")
	forged := s.browser(t)
	forged.Jar.SetCookies(u, []*http.Cookie{{Name: adminCookie, Value: "99999999999.deadbeef"}})
	if resp, _ := do(t, forged, "GET", s.srv.URL+"/admin", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("forged session: %d", resp.StatusCode)
	}
	s.admin.Now = func() time.Time { return time.Now().Add(sessionLife + time.Minute) }
	if resp, _ := do(t, c, "GET", s.srv.URL+"/admin", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("expired session: %d", resp.StatusCode)
	}
	s.admin.Now = nil

	// Signing out ends the session in the browser, and a copy of its
	// cookie no longer works.
	copied := s.browser(t)
	copied.Jar.SetCookies(u, c.Jar.Cookies(u))
	if resp, _ := do(t, copied, "GET", s.srv.URL+"/admin", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("copied cookie before logout: %d", resp.StatusCode)
	}
	resp, _ = do(t, c, "POST", s.srv.URL+"/admin/logout", url.Values{"csrf": {csrf}})
	if resp.StatusCode != http.StatusSeeOther || len(resp.Cookies()) != 1 || resp.Cookies()[0].MaxAge >= 0 {
		t.Errorf("logout: %d %v", resp.StatusCode, resp.Cookies())
	}
	if resp, _ := do(t, copied, "GET", s.srv.URL+"/admin", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("the old cookie after logout: %d, want 401", resp.StatusCode)
	}
}

func TestAdminFailedSignInsAreLimitedAndLogged(t *testing.T) {
	s := newSite(t, testToken)
	var logs syncBuf
	s.admin.Log = slog.New(slog.NewTextHandler(&logs, nil))
	c := s.browser(t)
	for i := range maxFailures {
		resp, _ := do(t, c, "GET", s.srv.URL+"/admin", nil, "Authorization", fmt.Sprint("Bearer wrong-", i))
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong bearer %d: %d", i, resp.StatusCode)
		}
	}
	// Past the limit, the address is refused, the right token and the
	// form included, and the flood is logged once.
	for range 50 {
		resp, _ := do(t, c, "GET", s.srv.URL+"/admin", nil, "Authorization", "Bearer wrong")
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
			t.Fatalf("after %d failures: %d, want 429 with Retry-After", maxFailures, resp.StatusCode)
		}
	}
	if resp, _ := do(t, c, "POST", s.srv.URL+"/admin/login", url.Values{"token": {testToken}}); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("form while refused: %d", resp.StatusCode)
	}
	if got := strings.Count(logs.String(), "failed sign-in"); got != maxFailures {
		t.Errorf("%d log lines for %d failures and 51 refusals, want %d:\n%s", got, maxFailures, maxFailures, logs.String())
	}
	// The JSON admin API counts and refuses with the console.
	if resp, _ := do(t, c, "GET", s.srv.URL+"/api/handoffs", nil, "Authorization", "Bearer "+testToken); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("the JSON API while the address is refused: %d, want 429", resp.StatusCode)
	}
	// When the window has passed, the right token works again.
	s.admin.Now = func() time.Time { return time.Now().Add(failureWindow) }
	if resp, _ := do(t, c, "GET", s.srv.URL+"/admin", nil, "Authorization", "Bearer "+testToken); resp.StatusCode != http.StatusOK {
		t.Errorf("after the window: %d", resp.StatusCode)
	}
}

func TestAdminBodyLimit(t *testing.T) {
	s := newSite(t, testToken)
	big := url.Values{"text": {strings.Repeat("x", adminMaxBody+1)}}
	resp, _ := do(t, s.srv.Client(), "POST", s.srv.URL+"/admin/try", big, "Authorization", "Bearer "+testToken)
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized form: %d, want 413", resp.StatusCode)
	}
}

// The whole handoff loop for a web user: ask for a person, the console
// shows the conversation, the agent replies, the user's page fetches the
// reply, the agent resolves and the bot answers again.
func TestAdminHandoffReplyReachesWebUser(t *testing.T) {
	s := newSite(t, testToken)
	user := "w-00112233445566778899"
	xss := `<script>alert(1)</script>`
	for _, text := range []string{xss, "我要转人工 13812345678"} {
		r := chat(t, s.srv, ChatRequest{User: user, Text: text})
		if text != xss && !r.Handoff {
			t.Fatalf("%q: no handoff: %+v", text, r)
		}
	}
	if r := chat(t, s.srv, ChatRequest{User: user, Text: "还在吗"}); !r.Silent {
		t.Fatalf("during the handoff the bot should be silent: %+v", r)
	}
	c := s.browser(t)
	csrf := s.login(t, c)
	var page string
	for i := 0; i < 100; i++ { // the exchange log is written in batches
		_, page = do(t, c, "GET", s.srv.URL+"/admin", nil)
		if strings.Contains(page, "还在吗") {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if strings.Contains(page, xss) || !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("the console must show user text escaped")
	}
	if strings.Contains(page, "13812345678") || !strings.Contains(page, "138****5678") {
		t.Errorf("the console must show phone numbers masked")
	}
	if !strings.Contains(page, "还在吗") {
		t.Fatalf("the handoff's conversation is not in the console:\n%s", page)
	}
	hs, _ := s.bot.Handoffs(context.Background())
	if len(hs) != 1 {
		t.Fatalf("handoffs: %+v", hs)
	}
	id := hs[0].ID
	if resp, _ := do(t, c, "POST", s.srv.URL+"/admin/handoffs/"+id+"/reply", url.Values{"text": {""}, "csrf": {csrf}}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("empty reply: %d", resp.StatusCode)
	}
	resp, _ := do(t, c, "POST", s.srv.URL+"/admin/handoffs/"+id+"/reply", url.Values{"text": {"您好，<b>请稍等</b>"}, "csrf": {csrf}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin?done=replied" {
		t.Fatalf("reply: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, body := do(t, s.srv.Client(), "GET", s.srv.URL+"/api/chat/messages?after=0", nil, UserHeader, user)
	if !strings.Contains(body, `"text":"您好，<b>请稍等</b>"`) {
		t.Fatalf("the web user does not get the agent's reply: %s", body)
	}
	_, body = do(t, s.srv.Client(), "GET", s.srv.URL+"/api/chat/messages?after=1", nil, UserHeader, user)
	if body != "{\"messages\":[],\"last\":1}\n" {
		t.Errorf("after the last message: %s", body)
	}
	if resp, _ := do(t, s.srv.Client(), "GET", s.srv.URL+"/api/chat/messages", nil, UserHeader, "u1"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a short (guessable) user id must be refused: %d", resp.StatusCode)
	}
	resp, _ = do(t, c, "POST", s.srv.URL+"/admin/handoffs/"+id+"/resolve", url.Values{"csrf": {csrf}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("resolve: %d", resp.StatusCode)
	}
	if r := chat(t, s.srv, ChatRequest{User: user, Text: "收不到短信"}); r.Silent || r.Intent != "sms_missing" {
		t.Fatalf("after resolve the bot answers again: %+v", r)
	}
	if resp, _ := do(t, c, "POST", s.srv.URL+"/admin/handoffs/"+id+"/resolve", url.Values{"csrf": {csrf}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("resolving twice: %d", resp.StatusCode)
	}
}

// Replies to users of other channels go through that channel's Deliver.
func TestAdminReplyThroughChannel(t *testing.T) {
	s := newSite(t, testToken)
	ctx := context.Background()
	s.bot.Respond(ctx, bot.Message{Channel: "slack", User: "U1", Thread: "D1:", Text: "转人工"})
	s.bot.Respond(ctx, bot.Message{Channel: "terminal", User: "T1", Text: "转人工"})
	hs, _ := s.bot.Handoffs(ctx)
	if len(hs) != 2 {
		t.Fatalf("handoffs: %+v", hs)
	}
	bearer := []string{"Authorization", "Bearer " + testToken}
	for _, h := range hs {
		resp, body := do(t, s.srv.Client(), "POST", s.srv.URL+"/admin/handoffs/"+h.ID+"/reply", url.Values{"text": {"hello"}}, bearer...)
		switch h.Channel {
		case "slack":
			if resp.StatusCode != http.StatusOK {
				t.Errorf("reply to slack: %d %s", resp.StatusCode, body)
			}
			resp, _ = do(t, s.srv.Client(), "POST", s.srv.URL+"/admin/handoffs/"+h.ID+"/reply", url.Values{"text": {"fail"}}, bearer...)
			if resp.StatusCode != http.StatusBadGateway {
				t.Errorf("failed delivery: %d, want 502", resp.StatusCode)
			}
		case "terminal":
			if resp.StatusCode != http.StatusNotImplemented {
				t.Errorf("reply to a channel without delivery: %d", resp.StatusCode)
			}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.delivered) != 2 || s.delivered[0] != "slack U1 hello" {
		t.Errorf("delivered: %q", s.delivered)
	}
}

func TestAdminDashboard(t *testing.T) {
	s := newSite(t, testToken)
	ok := s.admin.Knowledge
	s.admin.Knowledge = func() KnowledgeStatus { k := ok(); k.LastError = "faq.zh.md:3: <bad> edit"; return k }
	for _, text := range []string{"收不到短信", "怎么申请SSL证书", "怎么申请SSL证书"} {
		chat(t, s.srv, ChatRequest{User: "w-dashboard-user-01", Text: text})
	}
	var page string
	for i := 0; i < 100; i++ {
		_, page = do(t, s.srv.Client(), "GET", s.srv.URL+"/admin?since=1d", nil, "Authorization", "Bearer "+testToken)
		if strings.Contains(page, `<b id="messages">3</b>`) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, want := range []string{`<b id="messages">3</b>`, "<td>2</td><td class=\"q\">怎么申请SSL证书</td>", "<rect ", "sms_missing (1)",
		"faq.zh.md:3: &lt;bad&gt; edit", `aria-current="page">1d</a>`} {
		if !strings.Contains(page, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
}

func TestBuildChart(t *testing.T) {
	from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	counts := []bot.DayCount{{Day: from, Intent: "a", Count: 10}, {Day: from.AddDate(0, 0, 1), Intent: "a", Count: 5},
		{Day: from.AddDate(0, 0, 1), Intent: "b", Count: 5}, {Day: from.AddDate(0, 0, 30), Intent: "a", Count: 99}}
	for i := 0; i < 6; i++ {
		counts = append(counts, bot.DayCount{Day: from, Intent: string(rune('c' + i)), Count: 1})
	}
	c := buildChart(counts, from, 14)
	if len(c.Bars) != 14 || c.Max != 16 {
		t.Fatalf("bars %d, max %d", len(c.Bars), c.Max)
	}
	if len(c.Legend) != 6 || c.Legend[0].Name != "a" || c.Legend[5].Name != "other" || c.Legend[5].Count != 3 || c.Legend[0].Count != 15 {
		t.Errorf("legend %+v", c.Legend)
	}
	// Day 0 (16) fills the plot; day 1 (10) is 10/16 of it.
	h := func(b bar) int {
		n := 0
		for _, s := range b.Segs {
			n += s.H
		}
		return n
	}
	if h(c.Bars[0]) < 205 || h(c.Bars[0]) > 212 || h(c.Bars[1]) < 129 || h(c.Bars[1]) > 133 {
		t.Errorf("bar heights %d, %d", h(c.Bars[0]), h(c.Bars[1]))
	}
	if len(c.Bars[2].Segs) != 0 {
		t.Errorf("an empty day has segments")
	}
}

func TestChatPage(t *testing.T) {
	s := newSite(t, "")
	resp, body := do(t, s.srv.Client(), "GET", s.srv.URL+"/", nil)
	csp := resp.Header.Get("Content-Security-Policy")
	if resp.StatusCode != 200 || !strings.Contains(body, `<script src="/static/chat.js"`) || !strings.Contains(csp, "script-src 'self'") {
		t.Fatalf("GET /: %d, CSP %q", resp.StatusCode, csp)
	}
	for path, ctype := range map[string]string{"/static/chat.js": "javascript", "/static/chat.css": "text/css", "/widget.js": "javascript", "/static/admin.css": "text/css"} {
		resp, body := do(t, s.srv.Client(), "GET", s.srv.URL+path, nil)
		if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), ctype) || len(body) < 100 {
			t.Errorf("GET %s: %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
	for _, path := range []string{"/nope", "/static/", "/static/index.html", "/static/widget.js"} {
		if resp, _ := do(t, s.srv.Client(), "GET", s.srv.URL+path, nil); resp.StatusCode != 404 {
			t.Errorf("GET %s: %d, want 404 (the page is served at / only, with its headers)", path, resp.StatusCode)
		}
	}
	// The page builds answers from the structured blocks.
	r := chat(t, s.srv, ChatRequest{User: "w-page-user-000001", Text: "收不到管局短信"})
	if r.Title == "" || len(r.Blocks) < 2 || len(r.Blocks[1].Items) != 4 || !r.Blocks[1].Ordered {
		t.Fatalf("blocks: %+v", r.Blocks)
	}
	link := false
	for _, it := range r.Blocks[1].Items {
		for _, sp := range it.Text {
			link = link || strings.HasPrefix(sp.URL, "https://")
		}
	}
	if !link {
		t.Errorf("step 3's link is missing from the blocks")
	}
}

// syncBuf is a log sink the server and the test can share.
type syncBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// webDesks is where agents see handoffs: with the console on, the web
// chat's, Slack's (delivered by the tests' fake) and the terminal's (which
// the console cannot reply to: the tests of that case need one).
func webDesks(token string) bot.BotOption {
	if token == "" {
		return bot.WithDesks()
	}
	return bot.WithDesks(bot.Desks{"web", "slack", "terminal"})
}

func TestAPIWrongTokensAreLimited(t *testing.T) {
	s := newSite(t, testToken)
	c := s.browser(t)
	for i := range maxFailures {
		if resp, _ := do(t, c, "GET", s.srv.URL+"/api/handoffs", nil, "Authorization", fmt.Sprint("Bearer wrong-", i)); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong token %d: %d", i, resp.StatusCode)
		}
	}
	if resp, _ := do(t, c, "POST", s.srv.URL+"/api/handoffs/x/resolve", nil, "Authorization", "Bearer "+testToken); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("after %d wrong tokens: %d, want 429", maxFailures, resp.StatusCode)
	}
	if resp, _ := do(t, c, "GET", s.srv.URL+"/admin", nil, "Authorization", "Bearer "+testToken); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("the console after the API's wrong tokens: %d, want 429", resp.StatusCode)
	}
}
