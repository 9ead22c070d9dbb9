// Package statetest holds the contract tests every implementation of the
// bot's shared state must pass: the in-memory ones and the Redis ones run
// the same checks.
package statetest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/bot/chanstate"
)

// Dedup checks a Dedup: one first sighting per key, even under
// concurrency; expiry; Forget.
func Dedup(t *testing.T, d chanstate.Dedup) {
	t.Helper()
	ctx := context.Background()
	key := fmt.Sprintf("test:%d", time.Now().UnixNano())
	var firsts atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if first, err := d.FirstSeen(ctx, key, time.Minute); err != nil {
				t.Error(err)
			} else if first {
				firsts.Add(1)
			}
		}()
	}
	wg.Wait()
	if n := firsts.Load(); n != 1 {
		t.Errorf("%d callers saw the key first, want 1", n)
	}
	if err := d.Forget(ctx, key); err != nil {
		t.Fatal(err)
	}
	if first, _ := d.FirstSeen(ctx, key, 50*time.Millisecond); !first {
		t.Error("a forgotten key was not first")
	}
	time.Sleep(120 * time.Millisecond)
	if first, _ := d.FirstSeen(ctx, key, time.Minute); !first {
		t.Error("an expired key was not first")
	}
}

// Conversations checks a Conversations: round trip, separation, expiry.
func Conversations(t *testing.T, c bot.Conversations) {
	t.Helper()
	ctx := context.Background()
	key := fmt.Sprintf("test|u|%d", time.Now().UnixNano())
	if st, err := c.Load(ctx, key); err != nil || st.LastIntent != "" {
		t.Fatalf("empty load = %+v, %v", st, err)
	}
	want := bot.State{LastIntent: "sms_missing.blocked", Pending: "clarify", Options: []string{"a", "b"}, Shown: []int{2},
		History: []bot.Turn{{User: "138****5678", Bot: "ok"}}, Lang: "zh"}
	if err := c.Save(ctx, key, want, 100*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	got, err := c.Load(ctx, key)
	if err != nil || got.LastIntent != want.LastIntent || got.Pending != want.Pending || len(got.Options) != 2 || len(got.History) != 1 {
		t.Errorf("load = %+v, %v", got, err)
	}
	if other, _ := c.Load(ctx, key+"x"); other.LastIntent != "" {
		t.Error("state leaked to another key")
	}
	time.Sleep(200 * time.Millisecond)
	if st, _ := c.Load(ctx, key); st.LastIntent != "" {
		t.Error("state outlived its TTL")
	}
}

// Handoffs checks a Handoffs: open, list, resolve once, lapse.
func Handoffs(t *testing.T, h bot.Handoffs) {
	t.Helper()
	ctx := context.Background()
	id := fmt.Sprintf("h%d", time.Now().UnixNano())
	now := time.Now()
	if err := h.Open(ctx, bot.Handoff{ID: id, Channel: "web", User: "u", Asked: "转人工", Opened: now, Until: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	lapsing := id + "-lapse"
	h.Open(ctx, bot.Handoff{ID: lapsing, Channel: "web", User: "v", Opened: now, Until: now.Add(100 * time.Millisecond)})
	if open, err := h.IsOpen(ctx, id); !open || err != nil {
		t.Errorf("IsOpen = %v, %v", open, err)
	}
	list, err := h.List(ctx)
	if err != nil || !contains(list, id) {
		t.Errorf("list = %+v, %v", list, err)
	}
	if _, err := h.Resolve(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Resolve(ctx, id); err == nil {
		t.Error("resolved twice")
	}
	if open, _ := h.IsOpen(ctx, id); open {
		t.Error("open after resolve")
	}
	time.Sleep(200 * time.Millisecond)
	if open, _ := h.IsOpen(ctx, lapsing); open {
		t.Error("open after HANDOFF_TTL")
	}
	if list, _ := h.List(ctx); contains(list, id) || contains(list, lapsing) {
		t.Errorf("list still has resolved or lapsed handoffs: %+v", list)
	}
}

func contains(list []bot.Handoff, id string) bool {
	for _, h := range list {
		if h.ID == id {
			return true
		}
	}
	return false
}

// RateLimiter checks a limiter of 3 a minute: exact under concurrency.
func RateLimiter(t *testing.T, l bot.RateLimiter) {
	t.Helper()
	ctx := context.Background()
	key := fmt.Sprintf("rl:%d", time.Now().UnixNano())
	var allowed atomic.Int32
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if ok, err := l.Allow(ctx, key); err != nil {
				t.Error(err)
			} else if ok {
				allowed.Add(1)
			}
		}()
	}
	wg.Wait()
	if n := allowed.Load(); n != 3 {
		t.Errorf("%d of 10 allowed, want 3", n)
	}
	if ok, _ := l.Allow(ctx, key+"other"); !ok {
		t.Error("another user was limited")
	}
}

// Cursors checks a Cursors round trip.
func Cursors(t *testing.T, c chanstate.Cursors) {
	t.Helper()
	ctx := context.Background()
	key := fmt.Sprintf("cur:%d", time.Now().UnixNano())
	if v, err := c.Get(ctx, key); v != "" || err != nil {
		t.Fatalf("empty get = %q, %v", v, err)
	}
	if err := c.Set(ctx, key, "c42"); err != nil {
		t.Fatal(err)
	}
	if v, _ := c.Get(ctx, key); v != "c42" {
		t.Errorf("get = %q", v)
	}
}

// StartRedis runs a real redis-server on a free loopback port with its
// data in a temporary folder, stopped when the test ends, and returns its
// redis:// URL. CI installs redis-server (.ci/run); elsewhere a missing
// binary skips the test with the install command.
func StartRedis(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("redis-server is not installed; .ci/run installs it")
		}
		t.Skip("redis-server is not installed (apt-get install redis-server)")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	dir := t.TempDir()
	cmd := exec.Command(bin, "--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no",
		"--logfile", filepath.Join(dir, "redis.log"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for i := 0; ; i++ {
		c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err == nil {
			c.Close()
			return "redis://" + addr + "/0"
		}
		if i == 100 {
			t.Fatalf("redis-server did not start: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// StartPostgres runs a real PostgreSQL server (Debian's package) on a free
// loopback port with a temporary data folder, stopped when the test ends,
// and returns its postgres:// URL. As root it runs the server as the
// postgres user, which the package creates.
func StartPostgres(t testing.TB) string {
	t.Helper()
	bindir := ""
	for _, v := range []string{"17", "16", "15", "14", "13"} {
		if _, err := os.Stat("/usr/lib/postgresql/" + v + "/bin/initdb"); err == nil {
			bindir = "/usr/lib/postgresql/" + v + "/bin/"
			break
		}
	}
	if bindir == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("PostgreSQL is not installed; .ci/run installs it")
		}
		t.Skip("PostgreSQL is not installed (apt-get install postgresql)")
	}
	dir, err := os.MkdirTemp("", "supportbot-pg")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	run := func(args ...string) *exec.Cmd {
		if os.Geteuid() == 0 {
			return exec.Command("runuser", append([]string{"-u", "postgres", "--"}, args...)...)
		}
		return exec.Command(args[0], args[1:]...)
	}
	if os.Geteuid() == 0 {
		if out, err := exec.Command("chown", "-R", "postgres:postgres", dir).CombinedOutput(); err != nil {
			t.Fatalf("chown: %v %s", err, out)
		}
	}
	data := filepath.Join(dir, "data")
	if out, err := run(bindir+"initdb", "-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off", port, dir)
	if out, err := run(bindir+"pg_ctl", "-D", data, "-o", opts, "-l", filepath.Join(dir, "log"), "-w", "start").CombinedOutput(); err != nil {
		t.Fatalf("pg_ctl start: %v\n%s", err, out)
	}
	t.Cleanup(func() { run(bindir+"pg_ctl", "-D", data, "-m", "immediate", "stop").Run() })
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
}
