package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestWeComConfig(t *testing.T) {
	t.Parallel()
	ok := map[string]string{"WECOM_CORP_ID": "wx5823bf96d3bd56c7", "WECOM_TOKEN": "QDG6eK",
		"WECOM_AES_KEY": "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "WECOM_AGENT_ID": "218", "WECOM_SECRET": "s"}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range ok {
			m[a] = b
		}
		m[k] = v
		return m
	}
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"complete", ok, ""},
		{"short AES key", with("WECOM_AES_KEY", "abc"), "43-character"},
		{"AES key not base64", with("WECOM_AES_KEY", strings.Repeat("!", 43)), "WECOM_AES_KEY"},
		{"agent id not a number", with("WECOM_AGENT_ID", "app"), "WECOM_AGENT_ID must be"},
		{"no secret", with("WECOM_SECRET", ""), "WECOM_SECRET is required"},
		{"no token", with("WECOM_TOKEN", ""), "WECOM_TOKEN and WECOM_AES_KEY are required"},
		{"variables without corp id", map[string]string{"WECOM_TOKEN": "x"}, "WECOM_CORP_ID is not set"},
		{"bad robot url", with("WECOM_ROBOT_WEBHOOK", "robot"), "WECOM_ROBOT_WEBHOOK must be"},
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

// TestServeWithWeCom serves Tencent's official sample callback through the
// whole program and checks the URL check is answered.
func TestServeWithWeCom(t *testing.T) {
	t.Parallel()
	cfg, err := loadConfig(func(k string) string {
		return map[string]string{"WECOM_CORP_ID": "wx5823bf96d3bd56c7", "WECOM_TOKEN": "QDG6eK",
			"WECOM_AES_KEY": "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "WECOM_AGENT_ID": "218", "WECOM_SECRET": "s",
			"WECOM_API_URL": "http://127.0.0.1:9"}[k]
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
	q := url.Values{"msg_signature": {"5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3"}, "timestamp": {"1409659589"}, "nonce": {"263014780"},
		"echostr": {"P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="}}
	resp, err := http.Get("http://" + ln.Addr().String() + "/wecom/callback?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "1616140317555161061" {
		t.Errorf("URL check answered %q", b)
	}
	cancel()
	if code := <-done; code != exitOK {
		t.Errorf("serve returned %d", code)
	}
}
