// Command benchtool is the load tests' helper (bench/run.sh): a fake Slack
// Web API that counts the answers it receives, a generator of signed
// Events API requests for wrk, and a start-to-ready timer.
//
//	benchtool fakeslack -addr 127.0.0.1:18092
//	benchtool events -n 200000 -secret S > events.txt
//	benchtool ready -url http://127.0.0.1:18090/healthz -- supportbot serve
//	benchtool control -addr 127.0.0.1:18094
//	benchtool pagefault -mb 16
package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: benchtool fakeslack|events|ready|control|pagefault ...")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "fakeslack":
		err = fakeSlack(os.Args[2:])
	case "events":
		err = events(os.Args[2:])
	case "ready":
		err = ready(os.Args[2:])
	case "control":
		err = control(os.Args[2:])
	case "pagefault":
		err = pagefault(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtool:", err)
		os.Exit(1)
	}
}

// fakeSlack answers the Web API methods the bot calls and counts the
// messages posted. GET /stats gives the count and the times of the first
// and last post since the last POST /reset.
func fakeSlack(args []string) error {
	fs := flag.NewFlagSet("fakeslack", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:18092", "listen address")
	fs.Parse(args)
	var (
		mu          sync.Mutex
		posts       int
		first, last time.Time
	)
	ok := func(w http.ResponseWriter, v map[string]any) {
		v["ok"] = true
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(v)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/auth.test", func(w http.ResponseWriter, r *http.Request) {
		ok(w, map[string]any{"user_id": "UBOT", "bot_id": "BBOT", "team": "bench", "team_id": "T1", "user": "supportbot"})
	})
	mux.HandleFunc("POST /api/chat.postMessage", func(w http.ResponseWriter, r *http.Request) {
		// The body is read, not parsed: the fake shares the CPUs with the
		// bot under test, so it does as little as a counter can.
		io.Copy(io.Discard, r.Body)
		now := time.Now()
		mu.Lock()
		posts++
		if posts == 1 {
			first = now
		}
		last = now
		n := posts
		mu.Unlock()
		ok(w, map[string]any{"channel": "D1", "ts": strconv.Itoa(n) + ".000100"})
	})
	mux.HandleFunc("POST /api/", func(w http.ResponseWriter, r *http.Request) { ok(w, map[string]any{}) })
	mux.HandleFunc("POST /reset", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		posts, first, last = 0, time.Time{}, time.Time{}
		mu.Unlock()
	})
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		secs := last.Sub(first).Seconds()
		fmt.Fprintf(w, "%d %.3f\n", posts, secs)
	})
	srv := &http.Server{Addr: *addr, Handler: mux}
	return srv.ListenAndServe()
}

// events writes n signed Events API DMs with distinct event ids (one in
// eight in traditional characters, as some users write), one per
// line as "timestamp TAB signature TAB body", for wrk's Lua script.
func events(args []string) error {
	fs := flag.NewFlagSet("events", flag.ExitOnError)
	n := fs.Int("n", 100000, "requests")
	secret := fs.String("secret", "", "signing secret")
	users := fs.Int("users", 1000, "distinct users")
	prefix := fs.String("prefix", "Ev", "event id prefix (distinct per round)")
	fs.Parse(args)
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	w := os.Stdout
	for i := 0; i < *n; i++ {
		text := "收不到管局短信"
		if i%8 == 7 { // one in eight written in traditional characters, answered in them
			text = "收不到管局簡訊"
		}
		body := fmt.Sprintf(`{"type":"event_callback","event_id":"%s%d","event":{"type":"message","channel":"D%d","channel_type":"im","user":"U%d","text":"%s","ts":"%d.000200"}}`,
			*prefix, i, i%*users, i%*users, text, 1700000000+i)
		m := hmac.New(sha256.New, []byte(*secret))
		m.Write([]byte("v0:" + ts + ":" + body))
		fmt.Fprintf(w, "%s\tv0=%s\t%s\n", ts, hex.EncodeToString(m.Sum(nil)), body)
	}
	return nil
}

// ready starts a command and prints the milliseconds until url answers
// 200, then stops the command.
func ready(args []string) error {
	fs := flag.NewFlagSet("ready", flag.ExitOnError)
	url := fs.String("url", "http://127.0.0.1:18090/healthz", "URL to poll")
	fs.Parse(args)
	if fs.NArg() == 0 {
		return fmt.Errorf("ready: no command")
	}
	cmd := exec.Command(fs.Arg(0), fs.Args()[1:]...)
	cmd.Env = os.Environ()
	client := &http.Client{Timeout: 100 * time.Millisecond}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() }()
	for time.Since(start) < 10*time.Second {
		resp, err := client.Get(*url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				fmt.Printf("%.1f\n", float64(time.Since(start).Microseconds())/1000)
				return nil
			}
		}
		time.Sleep(500 * time.Microsecond)
	}
	return fmt.Errorf("ready: %s did not answer within 10 s", *url)
}

// control is the load test's yardstick: a minimal net/http server that
// reads the body and answers a fixed JSON object. Under the same load as
// the bot, it shows what the machine, the kernel and wrk alone allow.
//
// With -answers (the fake Slack API's base URL), it also posts one answer
// for every Events API request it acknowledges, as the bot does: a fixed
// form-encoded chat.postMessage the size of the bot's answer to a DM
// (about 6 KB), sent by a few workers over kept-alive connections. That is
// the floor for the acks' latency while answers are being produced: the
// same system calls and network traffic per event, and none of the bot's
// own work (verifying, classifying, composing, recording).
func control(args []string) error {
	fs := flag.NewFlagSet("control", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:18094", "listen address")
	answers := fs.String("answers", "", "fake Slack API base URL: post an answer per event")
	fs.Parse(args)
	reply := []byte(`{"response_type":"ephemeral","text":"ok"}` + "\n")
	var queue chan struct{}
	if *answers != "" {
		endpoint, err := url.JoinPath(*answers, "chat.postMessage")
		if err != nil {
			return fmt.Errorf("-answers: %w", err)
		}
		queue = make(chan struct{}, 4096)
		post := answerBody()
		client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 8, WriteBufferSize: 16 << 10}}
		for range 4 {
			go func() {
				for range queue {
					resp, err := client.Post(endpoint, "application/x-www-form-urlencoded", bytes.NewReader(post))
					if err != nil {
						fmt.Fprintln(os.Stderr, "control: post:", err)
						continue
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}()
		}
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if queue != nil && r.URL.Path == "/slack/events" {
			select {
			case queue <- struct{}{}:
			default: // full: the bot would answer 503; the yardstick just skips it
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(reply)
	})
	return http.ListenAndServe(*addr, h)
}

// answerBody is a chat.postMessage form the size and shape of the bot's
// answer to "收不到管局短信": a 700-byte text and 1.5 KB of blocks, in
// Chinese, so about 6.5 KB once form-encoded (the bot's: 6.3 KB).
func answerBody() []byte {
	line := "如果您未收到短信，请您按如下操作进行排查：查看是否信息被手机管家识别为垃圾短信。\n"
	blocks, _ := json.Marshal([]map[string]any{
		{"type": "section", "text": map[string]any{"type": "mrkdwn", "text": strings.Repeat(line, 10)}},
		{"type": "actions", "block_id": "answer_actions", "elements": []map[string]any{
			{"type": "button", "text": map[string]any{"type": "plain_text", "text": "👍 有帮助"}, "action_id": "feedback_helpful", "value": "sms_missing|zh"},
			{"type": "button", "text": map[string]any{"type": "plain_text", "text": "转人工"}, "action_id": "handoff", "value": "zh|收不到管局短信"},
		}},
	})
	return []byte(url.Values{"token": {"xoxb-bench"}, "channel": {"D1"}, "text": {strings.Repeat(line, 6)}, "blocks": {string(blocks)}}.Encode())
}

// pagefault prints what the first touch of a page of fresh memory costs
// here (a page fault), against a second touch of the same pages: the
// start-up's cost is mostly the memory it allocates when this is high.
func pagefault(args []string) error {
	fs := flag.NewFlagSet("pagefault", flag.ExitOnError)
	mb := fs.Int("mb", 16, "megabytes to touch")
	fs.Parse(args)
	const page = 4096
	b := make([]byte, *mb<<20) // fresh from the OS: not touched yet
	touch := func(v byte) time.Duration {
		start := time.Now()
		for i := 0; i < len(b); i += page {
			b[i] = v
		}
		return time.Since(start)
	}
	first, second := touch(1), touch(2)
	pages := len(b) / page
	fmt.Printf("%d pages: first touch %v (%.2f µs a page), second %v (%.3f µs a page)\n", pages,
		first.Round(time.Microsecond), float64(first.Nanoseconds())/float64(pages)/1000,
		second.Round(time.Microsecond), float64(second.Nanoseconds())/float64(pages)/1000)
	return nil
}
