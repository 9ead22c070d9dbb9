package wecom

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/bot/chanstate"
	"github.com/supportbot/supportbot/bot/match"
	"github.com/supportbot/supportbot/knowledge"
)

var (
	botOnce sync.Once
	testBot *bot.Bot
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
		if testBot, err = bot.New(kb, norm); err != nil {
			panic(err)
		}
	})
	return testBot
}

// fakeWeCom stands in for the WeCom server API and the group robot.
type fakeWeCom struct {
	srv *httptest.Server

	mu         sync.Mutex
	tokenCalls int
	expireNext bool // answer the next API call with 42001
	sends      []map[string]any
	updates    []map[string]any // message/update_template_card
	refuseCard bool             // answer template cards with an error
	kfSends    []map[string]any
	robot      []map[string]any
	syncs      []string          // cursors asked for
	kfPages    map[string]string // cursor -> JSON page
	hang       chan struct{}     // when set, message/send waits for it to close
}

func newFakeWeCom(t *testing.T) *fakeWeCom {
	t.Helper()
	f := &fakeWeCom{kfPages: map[string]string{}}
	valid := func(r *http.Request) bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return r.URL.Query().Get("access_token") == fmt.Sprintf("tok%d", f.tokenCalls)
	}
	record := func(list *[]map[string]any, r *http.Request) {
		var m map[string]any
		json.NewDecoder(r.Body).Decode(&m)
		f.mu.Lock()
		*list = append(*list, m)
		f.mu.Unlock()
	}
	expired := func(w http.ResponseWriter) bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.expireNext {
			f.expireNext = false
			io.WriteString(w, `{"errcode":42001,"errmsg":"access_token expired"}`)
			return true
		}
		return false
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /cgi-bin/gettoken", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("corpsecret") == "" {
			io.WriteString(w, `{"errcode":41004,"errmsg":"corpsecret missing"}`)
			return
		}
		f.mu.Lock()
		f.tokenCalls++
		n := f.tokenCalls
		f.mu.Unlock()
		fmt.Fprintf(w, `{"errcode":0,"errmsg":"ok","access_token":"tok%d","expires_in":7200}`, n)
	})
	mux.HandleFunc("POST /cgi-bin/message/send", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		hang := f.hang
		f.mu.Unlock()
		if hang != nil {
			select {
			case <-hang:
			case <-r.Context().Done():
				return
			}
		}
		if expired(w) {
			return
		}
		if !valid(r) {
			io.WriteString(w, `{"errcode":40014,"errmsg":"invalid access_token"}`)
			return
		}
		record(&f.sends, r)
		f.mu.Lock()
		refuse := f.refuseCard && f.sends[len(f.sends)-1]["msgtype"] == "template_card"
		f.mu.Unlock()
		if refuse {
			io.WriteString(w, `{"errcode":40058,"errmsg":"invalid template_card"}`)
			return
		}
		io.WriteString(w, `{"errcode":0,"errmsg":"ok"}`)
	})
	mux.HandleFunc("POST /cgi-bin/message/update_template_card", func(w http.ResponseWriter, r *http.Request) {
		if !valid(r) {
			io.WriteString(w, `{"errcode":40014,"errmsg":"invalid access_token"}`)
			return
		}
		record(&f.updates, r)
		io.WriteString(w, `{"errcode":0,"errmsg":"ok","invaliduser":[]}`)
	})
	mux.HandleFunc("POST /cgi-bin/kf/sync_msg", func(w http.ResponseWriter, r *http.Request) {
		var req map[string]any
		json.NewDecoder(r.Body).Decode(&req)
		cursor, _ := req["cursor"].(string)
		f.mu.Lock()
		f.syncs = append(f.syncs, cursor)
		page, ok := f.kfPages[cursor]
		f.mu.Unlock()
		if !ok {
			page = `{"errcode":0,"errmsg":"ok","next_cursor":"","has_more":0,"msg_list":[]}`
		}
		io.WriteString(w, page)
	})
	mux.HandleFunc("POST /cgi-bin/kf/send_msg", func(w http.ResponseWriter, r *http.Request) {
		record(&f.kfSends, r)
		io.WriteString(w, `{"errcode":0,"errmsg":"ok"}`)
	})
	mux.HandleFunc("POST /robot", func(w http.ResponseWriter, r *http.Request) {
		record(&f.robot, r)
		io.WriteString(w, `{"errcode":0,"errmsg":"ok"}`)
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

type harness struct {
	fake    *fakeWeCom
	adapter *Adapter
	srv     *httptest.Server
	crypto  *Crypto
	cursors *chanstate.MemoryCursors
}

func newHarness(t *testing.T, opts ...func(*Config)) *harness {
	t.Helper()
	fake := newFakeWeCom(t)
	c := vectorCrypto(t)
	cursors := chanstate.NewMemoryCursors()
	cfg := Config{
		CorpID: vCorpID, AgentID: 218, Secret: "appsecret", KfSecret: "kfsecret", RobotWebhook: fake.srv.URL + "/robot", Workers: 2,
	}
	for _, o := range opts {
		o(&cfg)
	}
	a := New(newBot(t), c, NewClient(fake.srv.URL, vCorpID), chanstate.NewMemoryDedup(), cursors, cfg,
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	a.Start(t.Context())
	mux := http.NewServeMux()
	a.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(func() { srv.Close(); a.Close() })
	return &harness{fake: fake, adapter: a, srv: srv, crypto: c, cursors: cursors}
}

// post sends plaintext XML as WeCom would: encrypted and signed.
func (h *harness) post(t *testing.T, plain string) (int, string) {
	t.Helper()
	enc, err := h.crypto.Encrypt([]byte(plain), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return h.postRaw(t, "<xml><ToUserName><![CDATA["+vCorpID+"]]></ToUserName><Encrypt><![CDATA["+enc+"]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>", enc)
}

func (h *harness) postRaw(t *testing.T, body, enc string) (int, string) {
	t.Helper()
	ts, nonce := "1700000000", "12345"
	q := url.Values{"msg_signature": {h.crypto.Signature(ts, nonce, enc)}, "timestamp": {ts}, "nonce": {nonce}}
	resp, err := http.Post(h.srv.URL+"/wecom/callback?"+q.Encode(), "text/xml", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// openReply checks a passive reply's signature and decrypts it.
func (h *harness) openReply(t *testing.T, body string) replyText {
	t.Helper()
	var env struct {
		Encrypt, MsgSignature, TimeStamp, Nonce string
	}
	if err := xml.Unmarshal([]byte(body), &env); err != nil {
		t.Fatalf("reply %q: %v", body, err)
	}
	if err := h.crypto.Verify(env.MsgSignature, env.TimeStamp, env.Nonce, env.Encrypt); err != nil {
		t.Fatalf("reply signature: %v", err)
	}
	plain, err := h.crypto.Decrypt(env.Encrypt)
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		ToUserName, FromUserName, MsgType, Content string
	}
	if err := xml.Unmarshal(plain, &r); err != nil {
		t.Fatal(err)
	}
	return replyText{ToUserName: cdata{r.ToUserName}, FromUserName: cdata{r.FromUserName}, MsgType: cdata{r.MsgType}, Content: cdata{r.Content}}
}

func textMsg(user, content, msgID string) string {
	return "<xml><ToUserName><![CDATA[" + vCorpID + "]]></ToUserName><FromUserName><![CDATA[" + user +
		"]]></FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[" +
		content + "]]></Content><MsgId>" + msgID + "</MsgId><AgentID>218</AgentID></xml>"
}

func TestURLVerificationOverHTTP(t *testing.T) {
	h := newHarness(t)
	q := url.Values{"msg_signature": {vGetSig}, "timestamp": {vGetTS}, "nonce": {vGetNonce}, "echostr": {vGetEcho}}
	resp, err := http.Get(h.srv.URL + "/wecom/callback?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "1616140317555161061" {
		t.Errorf("got %d %q, want the bare plaintext", resp.StatusCode, b)
	}
	q.Set("msg_signature", strings.Repeat("a", 40))
	resp, _ = http.Get(h.srv.URL + "/wecom/callback?" + q.Encode())
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("forged URL check: %d, want 403", resp.StatusCode)
	}
}

func TestOfficialPostGetsAPassiveReply(t *testing.T) {
	h := newHarness(t)
	body := "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt><![CDATA[" + vPostEnc + "]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>"
	q := url.Values{"msg_signature": {vPostSig}, "timestamp": {vPostTS}, "nonce": {vPostNonce}}
	resp, err := http.Post(h.srv.URL+"/wecom/callback?"+q.Encode(), "text/xml", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	r := h.openReply(t, string(b))
	if r.ToUserName.Text != "mycreate" || r.FromUserName.Text != vCorpID || r.MsgType.Text != "text" ||
		!strings.Contains(r.Content.Text, "Hello") {
		t.Errorf("reply = %+v", r)
	}
}

// countingBot counts the messages the bot answers.
type countingBot struct {
	Bot
	n atomic.Int32
}

func (c *countingBot) Respond(ctx context.Context, m bot.Message) bot.Reply {
	c.n.Add(1)
	return c.Bot.Respond(ctx, m)
}

func TestRetriedMessageGetsTheSameReplyAndIsAnsweredOnce(t *testing.T) {
	h := newHarness(t)
	counted := &countingBot{Bot: h.adapter.bot}
	h.adapter.bot = counted
	msg := textMsg("zhangsan", "19212345678 收不到核验短信", "900001")
	_, first := h.post(t, msg)
	r := h.openReply(t, first)
	if !strings.Contains(r.Content.Text, "192****5678") || strings.Contains(r.Content.Text, "19212345678") {
		t.Errorf("answer = %s", r.Content.Text)
	}
	// The first response may never have reached WeCom: each retry gets the
	// same reply, and the bot answers the message once.
	for i := 0; i < 3; i++ {
		code, body := h.post(t, msg)
		if code != 200 {
			t.Fatalf("retry %d: %d", i, code)
		}
		if again := h.openReply(t, body); again.Content.Text != r.Content.Text {
			t.Errorf("retry %d got %q, want the first reply %q", i, again.Content.Text, r.Content.Text)
		}
	}
	if n := counted.n.Load(); n != 1 {
		t.Errorf("the bot answered %d times, want once", n)
	}
}

func TestAgentCommandAsText(t *testing.T) {
	h := newHarness(t)
	for _, text := range []string{"/checknum 13812345678", "查号 13812345678"} {
		_, body := h.post(t, textMsg("agent1", text, "cmd"+text))
		if r := h.openReply(t, body); !strings.Contains(r.Content.Text, "138****5678：号段 138 属于移动") {
			t.Errorf("%s: %s", text, r.Content.Text)
		}
	}
}

func TestBadRequests(t *testing.T) {
	h := newHarness(t)
	enc, _ := h.crypto.Encrypt([]byte(textMsg("u", "hi", "1")), rand.Reader)
	good := "<xml><Encrypt><![CDATA[" + enc + "]]></Encrypt></xml>"
	tests := []struct {
		name string
		body string
		sig  string // the Encrypt value to sign
		want int
	}{
		{"forged signature", good, "other", http.StatusForbidden},
		{"malformed XML", "<xml><Encrypt>", "", http.StatusBadRequest},
		{"no Encrypt", "<xml></xml>", "", http.StatusBadRequest},
		{"bad base64", "<xml><Encrypt>%%%</Encrypt></xml>", "%%%", http.StatusBadRequest},
		{"bad padding", "<xml><Encrypt>" + enc[:len(enc)-24] + "AAAAAAAAAAAAAAAAAAAAAA==</Encrypt></xml>", enc[:len(enc)-24] + "AAAAAAAAAAAAAAAAAAAAAA==", http.StatusBadRequest},
		{"oversized", "<xml><Encrypt>" + strings.Repeat("A", 300<<10) + "</Encrypt></xml>", "", http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code, _ := h.postRaw(t, tt.body, tt.sig); code != tt.want {
				t.Errorf("status %d, want %d", code, tt.want)
			}
		})
	}
	h.adapter.Close()
	if n := len(h.fake.sends); n != 0 {
		t.Errorf("%d messages sent for bad requests", n)
	}
}

func TestLongAnswerIsSentInPartsWithTokenRefresh(t *testing.T) {
	h := newHarness(t)
	var nums []string
	for i := 0; i < 40; i++ {
		nums = append(nums, fmt.Sprintf("1921234%04d", i))
	}
	// A token is cached, then expires on WeCom's side mid-way.
	if _, err := h.adapter.api.token(context.Background(), "appsecret", false); err != nil {
		t.Fatal(err)
	}
	h.fake.mu.Lock()
	h.fake.expireNext = true
	h.fake.mu.Unlock()
	code, body := h.post(t, textMsg("lisi", "/checknum "+strings.Join(nums, " "), "long1"))
	if code != 200 || body != "" {
		t.Fatalf("got %d %q, want an empty 200 and an API send", code, body)
	}
	h.adapter.Close()
	h.fake.mu.Lock()
	defer h.fake.mu.Unlock()
	if len(h.fake.sends) < 2 {
		t.Fatalf("%d sends, want the answer in several parts", len(h.fake.sends))
	}
	for _, s := range h.fake.sends {
		content := s["markdown"].(map[string]any)["content"].(string)
		if len(content) > maxContent || s["touser"] != "lisi" || s["msgtype"] != "markdown" || s["agentid"] != float64(218) {
			t.Errorf("send = %v (%d bytes)", s, len(content))
		}
	}
	if h.fake.tokenCalls != 2 {
		t.Errorf("%d token fetches, want 2 (one refetch after 42001)", h.fake.tokenCalls)
	}
}

func TestKfSyncAnswersCustomers(t *testing.T) {
	h := newHarness(t)
	now := time.Now().Unix()
	h.fake.kfPages[""] = fmt.Sprintf(`{"errcode":0,"next_cursor":"c1","has_more":1,"msg_list":[
		{"msgid":"m1","open_kfid":"wkKF","external_userid":"wmCUST","send_time":%d,"origin":3,"msgtype":"text","text":{"content":"收不到短信咋办"}},
		{"msgid":"m2","open_kfid":"wkKF","external_userid":"wmCUST","send_time":%d,"origin":5,"msgtype":"text","text":{"content":"agent reply"}}]}`, now, now)
	h.fake.kfPages["c1"] = fmt.Sprintf(`{"errcode":0,"next_cursor":"c2","has_more":0,"msg_list":[
		{"msgid":"m3","open_kfid":"wkKF","external_userid":"wmOLD","send_time":%d,"origin":3,"msgtype":"text","text":{"content":"你好"}},
		{"msgid":"m1","open_kfid":"wkKF","external_userid":"wmCUST","send_time":%d,"origin":3,"msgtype":"text","text":{"content":"收不到短信咋办"}},
		{"msgid":"m4","open_kfid":"wkKF","external_userid":"wmCUST2","send_time":%d,"origin":3,"msgtype":"image"}]}`, now-49*3600, now, now)
	event := "<xml><ToUserName><![CDATA[" + vCorpID + "]]></ToUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[kf_msg_or_event]]></Event><Token><![CDATA[ENCApHxnGDNAVNY4AaSJKj4Tb5mwsEMzxhFmHVGcra996NR]]></Token><OpenKfId><![CDATA[wkKF]]></OpenKfId></xml>"
	if code, body := h.post(t, event); code != 200 || body != "" {
		t.Fatalf("event: %d %q", code, body)
	}
	h.adapter.Close()
	h.fake.mu.Lock()
	defer h.fake.mu.Unlock()
	if got := strings.Join(h.fake.syncs, ","); got != ",c1" {
		t.Errorf("sync cursors %q, want the two pages", got)
	}
	var to []string
	for _, s := range h.fake.kfSends {
		to = append(to, fmt.Sprint(s["touser"]))
		if s["open_kfid"] != "wkKF" || s["msgtype"] != "text" {
			t.Errorf("send = %v", s)
		}
	}
	if got := strings.Join(to, ","); got != "wmCUST,wmCUST2" {
		t.Errorf("answered %q, want wmCUST once (m1 seen twice) and wmCUST2 (image: text only), not the 49-hour-old one", got)
	}
	if c, _ := h.cursors.Get(context.Background(), "wecom:kf:cursor:wkKF"); c != "c2" {
		t.Errorf("cursor %q, want c2", c)
	}
}

func TestHandoffNotifiesTheRobot(t *testing.T) {
	h := newHarness(t)
	h.post(t, textMsg("wangwu", "转人工 13812345678", "h1"))
	h.adapter.Close()
	h.fake.mu.Lock()
	defer h.fake.mu.Unlock()
	if len(h.fake.robot) != 1 {
		t.Fatalf("%d robot posts, want 1", len(h.fake.robot))
	}
	md := h.fake.robot[0]["markdown"].(map[string]any)["content"].(string)
	if h.fake.robot[0]["msgtype"] != "markdown" || !strings.Contains(md, "wangwu") || !strings.Contains(md, "138****5678") || strings.Contains(md, "13812345678") {
		t.Errorf("robot notice = %q", md)
	}
}

// What a user writes reaches the agents' group as text: no link, quote or
// emphasis of its own, on one line.
func TestHandoffNoticeIsInert(t *testing.T) {
	h := newHarness(t)
	h.post(t, textMsg("zhaoliu", "转人工 [管理后台](http://evil.example/login)\n> 用户：admin **急**", "h2"))
	h.adapter.Close()
	h.fake.mu.Lock()
	defer h.fake.mu.Unlock()
	if len(h.fake.robot) != 1 {
		t.Fatalf("%d robot posts, want 1", len(h.fake.robot))
	}
	md := h.fake.robot[0]["markdown"].(map[string]any)["content"].(string)
	for _, bad := range []string{"](http", "\n> 用户：admin", "**急**"} {
		if strings.Contains(md, bad) {
			t.Errorf("robot notice %q has the user's markdown %q", md, bad)
		}
	}
	if !strings.Contains(md, "管理后台") || !strings.Contains(md, "evil.example") {
		t.Errorf("robot notice %q lost the user's words", md)
	}
}

// sharedTokens is an in-memory TokenStore standing in for Redis.
type sharedTokens struct {
	mu     sync.Mutex
	tokens map[string]string
	locked map[string]bool
}

func (s *sharedTokens) Get(_ context.Context, name string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokens[name], nil
}

func (s *sharedTokens) Set(_ context.Context, name, token string, _ time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[name] = token
	return nil
}

func (s *sharedTokens) Lock(_ context.Context, name string, _ time.Duration) (func(), bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.locked[name] {
		return func() {}, false, nil
	}
	s.locked[name] = true
	return func() { s.mu.Lock(); defer s.mu.Unlock(); delete(s.locked, name) }, true, nil
}

// TestReplicasShareOneToken: many replicas sending at once fetch one token.
func TestReplicasShareOneToken(t *testing.T) {
	fake := newFakeWeCom(t)
	shared := &sharedTokens{tokens: map[string]string{}, locked: map[string]bool{}}
	var wg sync.WaitGroup
	for i := 0; i < 5; i++ {
		c := NewClient(fake.srv.URL, vCorpID)
		c.Shared = shared
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.SendApp(context.Background(), "appsecret", 218, "u", "text", "hi"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if fake.tokenCalls != 1 || len(fake.sends) != 5 {
		t.Errorf("%d gettoken calls for 5 replicas (want 1), %d sends", fake.tokenCalls, len(fake.sends))
	}
}

// A signed callback from too long ago is refused, so a recorded request
// replayed later is not answered again; message ids are remembered for
// as long as a callback can be fresh.
func TestStaleCallbacksAreRefused(t *testing.T) {
	h := newHarness(t)
	now := time.Unix(1700000000, 0) // the harness signs with this timestamp
	h.adapter.cfg.MaxClockSkew = 5 * time.Minute
	h.adapter.now = func() time.Time { return now }
	if code, _ := h.post(t, textMsg("zhangsan", "你好", "f1")); code != http.StatusOK {
		t.Fatalf("a fresh callback: %d", code)
	}
	now = now.Add(911 * time.Second) // the same request, replayed
	if code, _ := h.post(t, textMsg("zhangsan", "你好", "f1")); code != http.StatusForbidden {
		t.Errorf("a replay 911 s later: %d, want 403", code)
	}
	now = time.Unix(1000000000, 0).Add(-time.Hour)
	if code, _ := h.post(t, textMsg("zhangsan", "你好", "f2")); code != http.StatusForbidden {
		t.Errorf("a callback from 2001: %d, want 403", code)
	}
	a := New(nil, h.crypto, nil, nil, nil, Config{MaxClockSkew: time.Hour}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	defer a.Close()
	if a.cfg.DedupTTL < 2*time.Hour {
		t.Errorf("message ids are kept %v, less than the two hours a callback can be fresh", a.cfg.DedupTTL)
	}
}
