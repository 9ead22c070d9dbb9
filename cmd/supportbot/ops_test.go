package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/supportbot/supportbot/knowledge"
)

// server is a running `serve` with the exchange log, metrics and hot
// reload, on a loopback port.
type server struct {
	t    *testing.T
	base string
	app  *app
	logs *syncBuffer
	stop func() int
}

type syncBuffer struct {
	mu chan struct{}
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu <- struct{}{}
	defer func() { <-s.mu }()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu <- struct{}{}
	defer func() { <-s.mu }()
	return s.b.String()
}

func startServer(t *testing.T, env map[string]string) *server {
	t.Helper()
	if env["DATA_DIR"] == "" {
		env["DATA_DIR"] = t.TempDir()
	}
	cfg, err := loadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{mu: make(chan struct{}, 1)}
	a := &app{cfg: cfg, stdin: strings.NewReader(""), stdout: io.Discard, stderr: logs,
		log: slog.New(slog.NewTextHandler(logs, nil))}
	closeStore, err := a.openServing(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- serve(ctx, a, ln) }()
	s := &server{t: t, base: "http://" + ln.Addr().String(), app: a, logs: logs}
	var stopped bool
	var code int
	s.stop = func() int {
		if !stopped {
			cancel()
			code = <-done
			closeStore()
			stopped = true
		}
		return code
	}
	t.Cleanup(func() { s.stop() })
	// serve sets up the watcher and signals before it serves: wait for it.
	for i := 0; ; i++ {
		resp, err := http.Get(s.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		if i == 100 {
			t.Fatalf("server did not come up: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return s
}

type chatResp struct {
	Reply     string `json:"reply"`
	Intent    string `json:"intent"`
	Silent    bool   `json:"silent"`
	HandoffID string `json:"handoff_id"`
	Clarify   []struct {
		Intent string `json:"intent"`
	} `json:"clarify"`
}

func (s *server) chat(user, text string) chatResp {
	s.t.Helper()
	b, _ := json.Marshal(map[string]string{"user": user, "text": text})
	resp, err := http.Post(s.base+"/api/chat", "application/json", bytes.NewReader(b))
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	var r chatResp
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		s.t.Fatal(err)
	}
	return r
}

func (s *server) get(path string, header ...string) (int, string) {
	s.t.Helper()
	req, _ := http.NewRequest("GET", s.base+path, nil)
	if len(header) == 2 {
		req.Header.Set(header[0], header[1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

const adminToken = "0123456789abcdef0123"

func TestOperationsThroughTheServer(t *testing.T) {
	t.Parallel()
	dataDir := t.TempDir()
	s := startServer(t, map[string]string{"DATA_DIR": dataDir, "ADMIN_TOKEN": adminToken, "RATE_LIMIT_PER_MIN": "6"})

	// Clarify, then choose by number.
	r := s.chat("alice", "短信是要重发，还是被拦截了")
	if r.Intent != "clarify" || len(r.Clarify) != 2 {
		t.Fatalf("clarify: %+v", r)
	}
	if r2 := s.chat("alice", "1"); r2.Intent != r.Clarify[0].Intent {
		t.Errorf("choice 1: %s, want %s", r2.Intent, r.Clarify[0].Intent)
	}
	// Asked for the number, then given it; then "still nothing".
	if r := s.chat("dave", "我的号码能收到工信部的短信吗"); !strings.Contains(r.Reply, "请发送您的手机号码") {
		t.Errorf("ask number: %+v", r)
	}
	if r := s.chat("dave", "19212345678"); r.Intent != "sms_missing.prefix" || !strings.Contains(r.Reply, "192****5678") {
		t.Errorf("number given: %+v", r)
	}
	if r := s.chat("dave", "还是收不到"); r.Intent != "sms_missing.phone_mismatch" {
		t.Errorf("still nothing: %+v", r)
	}
	// Handoff: silent until resolved through the API.
	h := s.chat(bob, "转人工")
	if h.HandoffID == "" {
		t.Fatalf("handoff: %+v", h)
	}
	if r := s.chat(bob, "收不到短信"); !r.Silent || r.Reply != "" {
		t.Errorf("during handoff: %+v", r)
	}
	if code, _ := s.get("/api/handoffs"); code != http.StatusUnauthorized {
		t.Errorf("handoff list without token: %d", code)
	}
	code, body := s.get("/api/handoffs", "Authorization", "Bearer "+adminToken)
	if code != 200 || !strings.Contains(body, h.HandoffID) {
		t.Errorf("handoff list: %d %s", code, body)
	}
	req, _ := http.NewRequest("POST", s.base+"/api/handoffs/"+h.HandoffID+"/resolve", nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("resolve: %v %v", err, resp)
	}
	resp.Body.Close()
	if r := s.chat(bob, "收不到短信"); r.Silent || r.Intent != "sms_missing" {
		t.Errorf("after resolve: %+v", r)
	}
	// Rate limit: carol's 7th message in a minute is refused politely.
	var last chatResp
	for i := 0; i < 7; i++ {
		last = s.chat("carol", "你好")
	}
	if !strings.Contains(last.Reply, "稍等") {
		t.Errorf("7th message: %+v", last)
	}
	// Health, readiness and metrics.
	if code, _ := s.get("/readyz"); code != 200 {
		t.Errorf("readyz %d", code)
	}
	_, metrics := s.get("/metrics")
	for _, want := range []string{`supportbot_messages_total{channel="web",intent="clarify"} 1`, `supportbot_handoffs_total{channel="web"} 1`,
		`supportbot_rate_limited_total{channel="web"} 1`, "supportbot_answer_seconds_bucket",
		`supportbot_work_refused_total{channel="slack"} 0`, `supportbot_work_failed_total{channel="wecom"} 0`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// A user whose id is too short to fetch an agent's replies is told at
	// once that no agent is available: no handoff for the report.
	if r := s.chat("eve", "转人工"); r.HandoffID != "" || !strings.Contains(r.Reply, "没有配置人工客服") {
		t.Errorf("handoff nobody could answer: %+v", r)
	}
	// Feedback from the web is stored and reported.
	for _, body := range []string{`{"user":"alice","intent":"sms_missing.resend","helpful":true}`, `{"user":"bob","intent":"sms_missing","helpful":false}`} {
		resp, err := http.Post(s.base+"/api/feedback", "application/json", strings.NewReader(body))
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("feedback: %v %v", err, resp)
		}
		resp.Body.Close()
	}
	if resp, _ := http.Post(s.base+"/api/feedback", "application/json", strings.NewReader(`{"intent":"x"}`)); resp.StatusCode != 400 {
		t.Errorf("feedback without a vote: %d", resp.StatusCode)
	}
	if code := s.stop(); code != exitOK {
		t.Errorf("serve exited %d", code)
	}
	// The report reads the log the server wrote.
	rep := runOK(t, map[string]string{"DATA_DIR": dataDir}, "", "report", "--json", "--since", "1h")
	var report struct {
		Messages       int     `json:"messages"`
		Handoffs       int     `json:"handoffs"`
		HelpfulPercent float64 `json:"helpful_percent"`
		Intents        []struct {
			Intent string `json:"intent"`
			Count  int    `json:"count"`
		} `json:"intents"`
	}
	if err := json.Unmarshal([]byte(rep.stdout), &report); err != nil {
		t.Fatalf("report: %v\n%s", err, rep.stdout)
	}
	if report.Messages != 16 || report.Handoffs != 1 || report.HelpfulPercent != 50 {
		t.Errorf("report: %+v", report)
	}
	text := runOK(t, map[string]string{"DATA_DIR": dataDir}, "", "report").stdout
	if !strings.Contains(text, "intents by volume") || strings.Contains(text, "\x00") {
		t.Errorf("text report:\n%s", text)
	}
}

// Every series the docs advertise is on /metrics from the start, at 0, so
// that rates and alerts over it work before its first event.
func TestMetricsAdvertisedFromTheStart(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{})
	code, body := s.get("/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d", code)
	}
	samples := map[string]string{} // series, name and labels, to its value
	names := map[string]bool{}
	for _, line := range strings.Split(body, "\n") {
		series, value, ok := strings.Cut(line, " ")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		samples[series] = value
		name, _, _ := strings.Cut(series, "{")
		names[name] = true
	}
	var advertised []string
	for _, doc := range []string{"README.md", "docs/operations.md"} {
		b, err := os.ReadFile(filepath.Join("..", "..", doc))
		if err != nil {
			t.Fatal(err)
		}
		advertised = append(advertised, regexp.MustCompile(`supportbot_[a-z_]+`).FindAllString(string(b), -1)...)
	}
	if len(advertised) < 10 {
		t.Fatalf("the docs name %d series, want them all: %v", len(advertised), advertised)
	}
	for _, name := range advertised {
		if !names[name] && !names[name+"_count"] { // a histogram: _bucket, _sum, _count
			t.Errorf("/metrics has no %s", name)
		}
	}
	for _, series := range []string{`supportbot_rate_limited_total{channel="web"}`, `supportbot_knowledge_reloads_total{result="ok"}`,
		`supportbot_knowledge_reloads_total{result="refused"}`, `supportbot_handoffs_total{channel="web"}`,
		`supportbot_messages_total{channel="web",intent="none"}`, `supportbot_answer_seconds_count{channel="web"}`} {
		if v, ok := samples[series]; v != "0" {
			t.Errorf("%s = %q (present %v), want 0", series, v, ok)
		}
	}
	for _, name := range []string{"go_goroutines", "process_start_time_seconds"} {
		if !names[name] {
			t.Errorf("/metrics has no %s", name)
		}
	}
}

func TestHotReload(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if _, err := knowledge.Export(dir); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, map[string]string{"KB_DIR": dir, "ADMIN_TOKEN": adminToken})
	zh := filepath.Join(dir, knowledge.FileZH)
	orig, _ := os.ReadFile(zh)
	waitFor := func(what string, cond func() bool) { t.Helper(); waitForLog(t, s, what, cond) }
	// A broken edit is refused with file:line and the old knowledge stays.
	broken := strings.Replace(string(orig), "<td>130</td>", "<td>13x</td>", 1)
	os.WriteFile(zh, []byte(broken), 0o644)
	waitFor("the refusal", func() bool { return strings.Contains(s.logs.String(), "faq.zh.md:20: prefix") })
	if r := s.chat("u", "收不到短信"); r.Intent != "sms_missing" || !strings.Contains(r.Reply, "130、131") {
		t.Errorf("old knowledge not in service: %+v", r)
	}
	// The console shows the refused edit.
	if code, page := s.get("/admin", "Authorization", "Bearer "+adminToken); code != 200 || !strings.Contains(page, "faq.zh.md:20: prefix") {
		t.Errorf("admin console: %d, the refused edit is not shown", code)
	}
	// A good edit goes into service.
	edited := strings.Replace(string(orig), "查看是否信息被手机管家识别为垃圾/骚扰短信导致被拦截。", "请检查手机安全软件是否拦截了核验短信。", 1)
	os.WriteFile(zh, []byte(edited), 0o644)
	waitFor("the reload", func() bool {
		return strings.Contains(s.chat("u2", "短信被拦截了").Reply, "请检查手机安全软件")
	})
	if _, page := s.get("/admin", "Authorization", "Bearer "+adminToken); !strings.Contains(page, "<dt>last reload</dt><dd>ok</dd>") {
		t.Errorf("admin console after a good reload does not say ok")
	}
	// SIGHUP reloads too.
	before := strings.Count(s.logs.String(), "knowledge: reloaded")
	syscall.Kill(os.Getpid(), syscall.SIGHUP)
	waitFor("the SIGHUP reload", func() bool { return strings.Count(s.logs.String(), "knowledge: reloaded") > before })
}

// The chat page and the console are on the served mux, with the real
// exchange log behind the console.
func TestWebPageAndConsole(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{"ADMIN_TOKEN": adminToken})
	if code, page := s.get("/"); code != 200 || !strings.Contains(page, "/static/chat.js") {
		t.Fatalf("GET /: %d", code)
	}
	if code, _ := s.get("/admin"); code != http.StatusUnauthorized {
		t.Errorf("GET /admin signed out: %d", code)
	}
	s.chat("w-console-test-user-1", "怎么申请SSL证书")
	var page string
	for i := 0; i < 100; i++ {
		_, page = s.get("/admin", "Authorization", "Bearer "+adminToken)
		if strings.Contains(page, "怎么申请SSL证书") {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	kb := s.app.bot.KB()
	for _, want := range []string{"怎么申请SSL证书", "<code>" + kb.Version + "</code>", "faq.zh.md: built-in", "2 questions, 49 prefixes"} {
		if !strings.Contains(page, want) {
			t.Errorf("console lacks %q", want)
		}
	}
}

// bob is a web user whose id, like the chat page's, is long enough to
// fetch an agent's replies, so his request for a person is taken.
const bob = "web-user-bob-000001"

// waitForLog waits for cond, and fails showing the server's log.
func waitForLog(t *testing.T, s *server, what string, cond func() bool) {
	t.Helper()
	for range 100 {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s; log:\n%s", what, s.logs.String())
}

// Moving the FAQ files away while serving is refused like a broken edit:
// the built-in FAQ does not quietly take their place. So is a link that
// channels should not send.
func TestReloadRefusesVanishedFilesAndBadLinks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	faq := "### 打印机怎么添加？\n\n在“设置 > 打印机”里点“添加”。\n"
	if err := os.WriteFile(filepath.Join(dir, "devices.zh.md"), []byte(faq), 0o644); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, map[string]string{"KB_DIR": dir})
	waitFor := func(what string, cond func() bool) { t.Helper(); waitForLog(t, s, what, cond) }
	if r := s.chat("u", "打印机怎么添加？"); !strings.Contains(r.Reply, "设置 > 打印机") {
		t.Fatalf("the folder's FAQ is not in service: %+v", r)
	}
	bad := strings.Replace(faq, "点“添加”", "点[这里](javascript:alert(1))", 1)
	os.WriteFile(filepath.Join(dir, "devices.zh.md"), []byte(bad), 0o644)
	waitFor("the link's refusal", func() bool { return strings.Contains(s.logs.String(), `link \"javascript:alert(1)\"`) })
	if err := os.Rename(filepath.Join(dir, "devices.zh.md"), filepath.Join(dir, "devices.zh.md.bak")); err != nil {
		t.Fatal(err)
	}
	waitFor("the refusal", func() bool { return strings.Contains(s.logs.String(), "KB_DIR has no FAQ files") })
	if r := s.chat("u2", "打印机怎么添加？"); !strings.Contains(r.Reply, "设置 > 打印机") {
		t.Errorf("the previous knowledge is not in service: %+v", r)
	}
}
