package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/supportbot/supportbot/bot/statetest"
)

// TestTwoReplicasShareRedis runs two servers on one real Redis and one
// real PostgreSQL: a Slack event delivered to both is answered once; a
// clarify started on A is continued on B; a handoff on A silences B; one
// report covers both.
func TestTwoReplicasShareRedis(t *testing.T) {
	t.Parallel()
	redisURL := statetest.StartRedis(t)
	pgURL := statetest.StartPostgres(t)
	var mu sync.Mutex
	posts := 0
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/auth.test":
			io.WriteString(w, `{"ok":true,"user_id":"UBOT","team":"T"}`)
		case "/api/chat.postMessage":
			mu.Lock()
			posts++
			mu.Unlock()
			io.WriteString(w, `{"ok":true,"channel":"D1","ts":"1.2"}`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer fake.Close()
	env := func() map[string]string {
		return map[string]string{"REDIS_URL": redisURL, "DATABASE_URL": pgURL, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "sekrit",
			"ADMIN_TOKEN":   adminToken, // web users' handoffs need the console
			"SLACK_API_URL": fake.URL + "/api/"}
	}
	a, b := startServer(t, env()), startServer(t, env())

	// One Slack event (and its retry) to both replicas: one answer.
	body := `{"type":"event_callback","event_id":"EvShared","event":{"type":"message","channel":"D1","channel_type":"im","user":"U1","text":"收不到短信咋办","ts":"1.1"}}`
	for i, s := range []*server{a, b, a} {
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		mac := hmac.New(sha256.New, []byte("sekrit"))
		io.WriteString(mac, "v0:"+ts+":"+body)
		req, _ := http.NewRequest("POST", s.base+"/slack/events", strings.NewReader(body))
		req.Header.Set("X-Slack-Request-Timestamp", ts)
		req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
		if i > 0 {
			req.Header.Set("X-Slack-Retry-Num", strconv.Itoa(i))
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("delivery %d: %v %v", i, err, resp)
		}
		resp.Body.Close()
	}
	a.stop()
	b.stop()
	mu.Lock()
	if posts != 1 {
		t.Errorf("%d answers posted for one event, want 1", posts)
	}
	mu.Unlock()

	// Conversations and handoffs cross replicas.
	a, b = startServer(t, env()), startServer(t, env())
	r := a.chat("alice", "短信是要重发，还是被拦截了")
	if r.Intent != "clarify" {
		t.Fatalf("clarify on A: %+v", r)
	}
	if r2 := b.chat("alice", "2"); r2.Intent != r.Clarify[1].Intent {
		t.Errorf("choice on B: %s, want %s", r2.Intent, r.Clarify[1].Intent)
	}
	if h := a.chat(bob, "转人工"); h.HandoffID == "" {
		t.Fatalf("handoff on A: %+v", h)
	}
	if r := b.chat(bob, "收不到短信"); !r.Silent {
		t.Errorf("B answered during A's handoff: %+v", r)
	}
	if _, body := b.get("/readyz"); !strings.HasPrefix(body, "ready") || strings.Contains(body, "degraded") {
		t.Errorf("readyz on B: %q", body)
	}
	a.stop()
	b.stop()
	// One report for the fleet: the Slack answer, and the chats on A and B.
	rep := runOK(t, map[string]string{"DATABASE_URL": pgURL}, "", "report", "--json", "--since", "1h")
	if !strings.Contains(rep.stdout, `"messages":5`) || !strings.Contains(rep.stdout, `"handoffs":1`) {
		t.Errorf("fleet report: %s", rep.stdout)
	}
}
