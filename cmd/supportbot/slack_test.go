package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestSlackConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		want string // substring of the error; "" for none
	}{
		{"off without variables", nil, ""},
		{"http mode", map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}, ""},
		{"socket mode", map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}, ""},
		{"wrong bot token", map[string]string{"SLACK_BOT_TOKEN": "xoxp-1", "SLACK_SIGNING_SECRET": "s"}, "SLACK_BOT_TOKEN must start with xoxb-"},
		{"wrong app token", map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xoxb-2"}, "SLACK_APP_TOKEN must start with xapp-"},
		{"neither secret nor app token", map[string]string{"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET is required"},
		{"secret without token", map[string]string{"SLACK_SIGNING_SECRET": "s"}, "SLACK_BOT_TOKEN is not set"},
		{"bad agent channel", map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "SLACK_AGENT_CHANNEL": "#support"}, "SLACK_AGENT_CHANNEL must be a channel id"},
		{"bad api url", map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "SLACK_API_URL": "slack.com"}, "SLACK_API_URL must be"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadConfig(func(k string) string { return tt.env[k] })
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("error %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

// TestServeWithSlack runs the server with Slack on, pointed at a fake Slack
// API, and checks a signed DM is answered through the real SDK client.
func TestServeWithSlack(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var posts []string
	posted := make(chan struct{}, 10)
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		switch r.URL.Path {
		case "/api/auth.test":
			io.WriteString(w, `{"ok":true,"user_id":"UBOT","team":"Test"}`)
		case "/api/chat.postMessage":
			mu.Lock()
			posts = append(posts, r.PostForm.Get("channel")+": "+r.PostForm.Get("text"))
			mu.Unlock()
			io.WriteString(w, `{"ok":true,"channel":"D1","ts":"1.2"}`)
			posted <- struct{}{}
		default:
			http.NotFound(w, r)
		}
	}))
	defer fake.Close()
	cfg, err := loadConfig(func(k string) string {
		return map[string]string{"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "sekrit", "SLACK_API_URL": fake.URL + "/api"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	a := &app{cfg: cfg, stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard,
		log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := a.loadBot(); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan int, 1)
	go func() { done <- serve(ctx, a, ln) }()

	body := `{"type":"event_callback","event_id":"Ev1","event":{"type":"message","channel":"D1","channel_type":"im","user":"U1","text":"收不到短信咋办","ts":"1.1"}}`
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	mac := hmac.New(sha256.New, []byte("sekrit"))
	io.WriteString(mac, "v0:"+ts+":"+body)
	req, _ := http.NewRequest("POST", "http://"+ln.Addr().String()+"/slack/events", strings.NewReader(body))
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("event: status %d", resp.StatusCode)
	}
	select {
	case <-posted:
	case <-time.After(5 * time.Second):
		t.Fatal("no answer posted to the fake Slack API")
	}
	cancel()
	if code := <-done; code != exitOK {
		t.Errorf("serve returned %d", code)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(posts) != 1 || !strings.HasPrefix(posts[0], "D1: ") || !strings.Contains(posts[0], "短信重发") {
		t.Errorf("posts = %q", posts)
	}
}
