// Command faults runs the bot through the faults it must survive, on
// loopback, and counts per run: events tried, acknowledged, answered,
// answered twice, and lost (acknowledged, never answered).
//
//	go build -o /tmp/supportbot ./cmd/supportbot
//	go run ./bench/faults -bot /tmp/supportbot [-run sigterm,sigkill,429,redis]
//
// sigterm: 1,200 events against a Slack API that takes 500 ms a call, SIGTERM
// after 2 s, then a restart on the same data; sigkill: the same with
// SIGKILL; 429: 100 events while the first 120 calls get 429 with
// Retry-After: 3; redis: 400 events, each retried by "Slack" 1 s later, while
// Redis is stopped for 10 s (needs redis-server); redis-pause: the same
// with Redis frozen (SIGSTOP) for 10 s; fuzz: 20,000 mutated
// bodies (signed and not) to every route that takes one, where "answered"
// counts the 4xx and 2xx, "twice" the 5xx, and "lost" is 1 if the bot died. Each run is bounded (at
// most about a minute) and uses only loopback ports and a temporary folder.
package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

const secret = "faults-signing-secret"

func main() {
	botPath := flag.String("bot", "/tmp/supportbot", "the supportbot binary")
	runs := flag.String("run", "sigterm,sigkill,429,redis,redis-pause,fuzz", "runs, comma-separated")
	flag.Parse()
	fmt.Printf("%-8s %6s %6s %8s %6s %5s\n", "run", "tried", "acked", "answered", "twice", "lost")
	for _, name := range strings.Split(*runs, ",") {
		r, err := run(name, *botPath)
		if err != nil {
			fmt.Fprintf(os.Stderr, "faults: %s: %v\n", name, err)
			os.Exit(1)
		}
		fmt.Printf("%-8s %6d %6d %8d %6d %5d\n", name, r.tried, r.acked, r.answered, r.twice, r.lost)
	}
}

type result struct{ tried, acked, answered, twice, lost int }

// fakeSlack is the Web API: it counts the answers per conversation (each
// event has a conversation of its own), and can be slow or rate limit.
type fakeSlack struct {
	delay     time.Duration
	limitLeft atomic.Int32 // calls still to answer 429
	mu        sync.Mutex
	answers   map[string]int
}

func (f *fakeSlack) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/api/auth.test":
		io.WriteString(w, `{"ok":true,"user_id":"UBOT","bot_id":"BBOT","team":"faults"}`)
	case "/api/chat.postMessage":
		r.ParseForm()
		if f.limitLeft.Add(-1) >= 0 {
			w.Header().Set("Retry-After", "3")
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, `{"ok":false,"error":"ratelimited"}`)
			return
		}
		time.Sleep(f.delay)
		f.mu.Lock()
		f.answers[r.PostForm.Get("channel")]++
		f.mu.Unlock()
		fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":"1.1"}`, r.PostForm.Get("channel"))
	default:
		io.WriteString(w, `{"ok":true}`)
	}
}

func (f *fakeSlack) count(acked map[string]bool) (answered, twice, lost int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for ch, n := range f.answers {
		answered++
		if n > 1 {
			twice++
		}
		_ = ch
	}
	for ch := range acked {
		if f.answers[ch] == 0 {
			lost++
		}
	}
	return
}

func (f *fakeSlack) answeredAll(acked map[string]bool) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for ch := range acked {
		if f.answers[ch] == 0 {
			return false
		}
	}
	return true
}

func freePort() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// bot is one supportbot process.
type bot struct {
	cmd  *exec.Cmd
	addr string
}

func startBot(path, dataDir, slackURL string, extra ...string) (*bot, error) {
	addr := freePort()
	cmd := exec.Command(path)
	cmd.Env = append(os.Environ(), "LISTEN_ADDR="+addr, "DATA_DIR="+dataDir, "SLACK_BOT_TOKEN=xoxb-faults",
		"SLACK_SIGNING_SECRET="+secret, "SLACK_API_URL="+slackURL+"/api/", "LOG_LEVEL=warn", "RATE_LIMIT_PER_MIN=0")
	cmd.Env = append(cmd.Env, extra...)
	logf, _ := os.Create(filepath.Join(dataDir, "bot-"+strconv.FormatInt(time.Now().UnixNano(), 36)+".log"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	for i := 0; i < 200; i++ {
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			return &bot{cmd, addr}, nil
		}
		time.Sleep(25 * time.Millisecond)
	}
	cmd.Process.Kill()
	return nil, fmt.Errorf("the bot did not start (log in %s)", dataDir)
}

func (b *bot) stop(sig syscall.Signal) {
	b.cmd.Process.Signal(sig)
	b.cmd.Wait()
}

var client = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}

// send posts one signed event; true when acknowledged (200).
func (b *bot) send(id string, retry int) bool {
	body := fmt.Sprintf(`{"type":"event_callback","event_id":"%s","event":{"type":"message","channel":"%s","channel_type":"im","user":"U%s","text":"收不到管局短信","ts":"1700000000.000200"}}`, id, id, id)
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("v0:" + ts + ":" + body))
	req, _ := http.NewRequest("POST", "http://"+b.addr+"/slack/events", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(m.Sum(nil)))
	if retry > 0 {
		req.Header.Set("X-Slack-Retry-Num", strconv.Itoa(retry))
	}
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// burst sends n events from 16 connections, with ids prefix0..; it
// returns the acknowledged ones.
func (b *bot) burst(prefix string, n int, pace time.Duration) map[string]bool {
	acked := map[string]bool{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	ids := make(chan string)
	for range 16 {
		wg.Go(func() {
			for id := range ids {
				if b.send(id, 0) {
					mu.Lock()
					acked[id] = true
					mu.Unlock()
				}
			}
		})
	}
	for i := range n {
		ids <- fmt.Sprint(prefix, i)
		time.Sleep(pace)
	}
	close(ids)
	wg.Wait()
	return acked
}

func waitFor(d time.Duration, cond func() bool) {
	for end := time.Now().Add(d); time.Now().Before(end) && !cond(); {
		time.Sleep(100 * time.Millisecond)
	}
}

func run(name, botPath string) (result, error) {
	dir, err := os.MkdirTemp("", "supportbot-faults-")
	if err != nil {
		return result{}, err
	}
	defer os.RemoveAll(dir)
	fake := &fakeSlack{answers: map[string]int{}}
	slackLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return result{}, err
	}
	go http.Serve(slackLn, fake)
	defer slackLn.Close()
	slackURL := "http://" + slackLn.Addr().String()
	var r result
	var acked map[string]bool
	switch name {
	case "sigterm", "sigkill":
		r.tried, acked, err = stopMidBurst(name, botPath, dir, slackURL, fake)
	case "429":
		r.tried, acked, err = rateLimitStorm(botPath, dir, slackURL, fake)
	case "redis":
		r.tried, acked, err = redisOutage(botPath, dir, slackURL, fake, false)
	case "redis-pause":
		r.tried, acked, err = redisOutage(botPath, dir, slackURL, fake, true)
	case "fuzz":
		return fuzz(botPath, dir, slackURL)
	default:
		return r, fmt.Errorf("unknown run %q", name)
	}
	if err != nil {
		return r, err
	}
	r.acked = len(acked)
	r.answered, r.twice, r.lost = fake.count(acked)
	return r, nil
}

// stopMidBurst sends 1,200 events against a Slack API that takes 500 ms a
// call, stops the bot with SIGTERM or SIGKILL 2 s in, and restarts it on
// the same data until every acknowledged event is answered (or a minute).
func stopMidBurst(name, botPath, dir, slackURL string, fake *fakeSlack) (int, map[string]bool, error) {
	fake.delay = 500 * time.Millisecond
	b, err := startBot(botPath, dir, slackURL)
	if err != nil {
		return 0, nil, err
	}
	done := make(chan map[string]bool)
	go func() { done <- b.burst("Ev", 1200, time.Millisecond) }()
	time.Sleep(2 * time.Second)
	sig := syscall.SIGTERM
	if name == "sigkill" {
		sig = syscall.SIGKILL
	}
	b.stop(sig)
	acked := <-done
	if b, err = startBot(botPath, dir, slackURL); err != nil {
		return 0, nil, err
	}
	waitFor(60*time.Second, func() bool { return fake.answeredAll(acked) })
	time.Sleep(time.Second) // a second answer would come now
	b.stop(syscall.SIGTERM)
	return 1200, acked, nil
}

// rateLimitStorm sends 100 events while the first 120 calls to Slack's
// API get 429 with Retry-After: 3.
func rateLimitStorm(botPath, dir, slackURL string, fake *fakeSlack) (int, map[string]bool, error) {
	fake.limitLeft.Store(120)
	b, err := startBot(botPath, dir, slackURL)
	if err != nil {
		return 0, nil, err
	}
	acked := b.burst("Ev", 100, 0)
	waitFor(60*time.Second, func() bool { return fake.answeredAll(acked) })
	b.stop(syscall.SIGTERM)
	return 100, acked, nil
}

// redisOutage sends 400 events over 16 s, each twice a second apart (as
// when Slack did not see the first ack in time), while Redis is stopped
// from 2 s to 12 s; with pause, it is frozen (SIGSTOP) instead, so calls
// hang rather than fail.
func redisOutage(botPath, dir, slackURL string, fake *fakeSlack, pause bool) (int, map[string]bool, error) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		return 0, nil, fmt.Errorf("needs redis-server (apt-get install redis-server)")
	}
	port := strings.Split(freePort(), ":")[1]
	redis := startRedis(dir, port)
	b, err := startBot(botPath, dir, slackURL, "REDIS_URL=redis://127.0.0.1:"+port)
	if err != nil {
		redis.Process.Kill()
		return 0, nil, err
	}
	var mu sync.Mutex
	go func() {
		time.Sleep(2 * time.Second)
		if pause {
			redis.Process.Signal(syscall.SIGSTOP)
			time.Sleep(10 * time.Second)
			redis.Process.Signal(syscall.SIGCONT)
			return
		}
		mu.Lock()
		redis.Process.Kill()
		redis.Wait()
		mu.Unlock()
		time.Sleep(10 * time.Second)
		mu.Lock()
		redis = startRedis(dir, port)
		mu.Unlock()
	}()
	acked := map[string]bool{}
	var wg sync.WaitGroup
	for i := range 400 {
		id := fmt.Sprint("Ev", i)
		wg.Go(func() {
			ok := b.send(id, 0)
			time.Sleep(time.Second)
			ok = b.send(id, 1) || ok
			if ok {
				mu.Lock()
				acked[id] = true
				mu.Unlock()
			}
		})
		time.Sleep(40 * time.Millisecond)
	}
	wg.Wait()
	waitFor(30*time.Second, func() bool { return fake.answeredAll(acked) })
	time.Sleep(time.Second)
	b.stop(syscall.SIGTERM)
	mu.Lock()
	redis.Process.Kill()
	redis.Wait()
	mu.Unlock()
	return 400, acked, nil
}

// startRedis starts redis-server on port, with no persistence, and waits
// until it takes connections.
func startRedis(dir, port string) *exec.Cmd {
	c := exec.Command("redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir)
	c.Start()
	for i := 0; i < 100; i++ {
		if conn, err := net.Dial("tcp", "127.0.0.1:"+port); err == nil {
			conn.Close()
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	return c
}

// fuzz sends mutated bodies to every route that reads one: bit flips,
// truncations, repeats and random bytes of valid requests, signed for the
// Slack routes so that the parsers behind the signature check get them.
func fuzz(botPath, dir, slackURL string) (result, error) {
	b, err := startBot(botPath, dir, slackURL, "ADMIN_TOKEN=faults-admin-token-0123456789")
	if err != nil {
		return result{}, err
	}
	defer b.stop(syscall.SIGTERM)
	seeds := []struct{ path, ctype, body string }{
		{"/api/chat", "application/json", `{"user":"u1","text":"13812345678 收不到短信"}`},
		{"/api/feedback", "application/json", `{"user":"u1","intent":"sms_missing","helpful":true}`},
		{"/slack/events", "application/json", `{"type":"event_callback","event_id":"EvF","event":{"type":"message","channel":"D1","channel_type":"im","user":"U1","text":"收不到","ts":"1.2"}}`},
		{"/slack/commands", "application/x-www-form-urlencoded", "command=%2Fchecknum&text=13812345678&user_id=U1&channel_id=C1"},
		{"/slack/interactive", "application/x-www-form-urlencoded", `payload=%7B%22type%22%3A%22block_actions%22%7D`},
		{"/wecom/callback", "text/xml", "<xml><ToUserName><![CDATA[x]]></ToUserName><Encrypt><![CDATA[abc]]></Encrypt></xml>"},
		{"/admin/login", "application/x-www-form-urlencoded", "token=x"},
	}
	rnd := uint64(time.Now().UnixNano())
	next := func(n int) int {
		rnd ^= rnd << 13
		rnd ^= rnd >> 7
		rnd ^= rnd << 17
		return int(rnd % uint64(n))
	}
	var r result
	for i := range 20000 {
		seed := seeds[i%len(seeds)]
		body := []byte(seed.body)
		for range 1 + next(4) {
			switch next(5) {
			case 0:
				if len(body) > 0 {
					body[next(len(body))] ^= byte(1 << next(8))
				}
			case 1:
				body = body[:next(len(body)+1)]
			case 2:
				body = append(body, body[next(len(body)+1):]...)
			case 3:
				body = append(body, byte(next(256)))
			case 4:
				if len(body) > 0 {
					const odd = "{}[]\"<>&%\x00\xff"
					body[next(len(body))] = odd[next(len(odd))]
				}
			}
		}
		req, _ := http.NewRequest("POST", "http://"+b.addr+seed.path, strings.NewReader(string(body)))
		req.Header.Set("Content-Type", seed.ctype)
		if strings.HasPrefix(seed.path, "/slack/") && next(4) > 0 {
			ts := strconv.FormatInt(time.Now().Unix(), 10)
			m := hmac.New(sha256.New, []byte(secret))
			m.Write([]byte("v0:" + ts + ":"))
			m.Write(body)
			req.Header.Set("X-Slack-Request-Timestamp", ts)
			req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(m.Sum(nil)))
		}
		r.tried++
		resp, err := client.Do(req)
		if err != nil {
			continue
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 500 && resp.StatusCode != http.StatusServiceUnavailable {
			r.twice++
		} else {
			r.answered++
		}
	}
	r.acked = r.tried
	if resp, err := http.Get("http://" + b.addr + "/healthz"); err != nil {
		r.lost = 1
	} else {
		resp.Body.Close()
	}
	return r, nil
}
