package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// TestFallbackModel checks ask uses the configured model and classify
// never does.
func TestFallbackModel(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"请按第 3 步申请短信重发。"},"finish_reason":"stop"}]}`)
	}))
	defer fake.Close()
	env := map[string]string{"OPENAI_BASE_URL": fake.URL + "/v1", "OPENAI_MODEL": "local", "LLM_TIMEOUT": "2s"}
	const q = "核验短信里的链接打不开怎么办"

	r := runOK(t, env, q+"\n收不到短信\n", "classify")
	if calls.Load() != 0 || !strings.Contains(r.stdout, `"intent":"none"`) {
		t.Fatalf("classify called the model %d times; output %s", calls.Load(), r.stdout)
	}
	r = runOK(t, env, "", "ask", q)
	if calls.Load() != 1 || !strings.Contains(r.stdout, "请按第 3 步申请短信重发") || !strings.Contains(r.stdout, "AI") {
		t.Errorf("ask: %d calls, output:\n%s", calls.Load(), r.stdout)
	}
	if _, err := loadConfig(func(k string) string { return map[string]string{"OPENAI_BASE_URL": "x", "LLM_TIMEOUT": "8"}[k] }); err == nil ||
		!strings.Contains(err.Error(), "LLM_TIMEOUT must be a duration") {
		t.Errorf("bad LLM_TIMEOUT: %v", err)
	}
}
