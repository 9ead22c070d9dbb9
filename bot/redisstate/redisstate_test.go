package redisstate

import (
	"context"
	"log/slog"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/supportbot/supportbot/bot/statetest"
)

func startRedis(t *testing.T) *redis.Client {
	t.Helper()
	o, err := Options(statetest.StartRedis(t))
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(o)
	t.Cleanup(func() { c.Close() })
	return c
}

func TestRedisStateContract(t *testing.T) {
	r := startRedis(t)
	t.Run("dedup", func(t *testing.T) { statetest.Dedup(t, Dedup{r}) })
	t.Run("conversations", func(t *testing.T) { statetest.Conversations(t, Conversations{r}) })
	t.Run("handoffs", func(t *testing.T) { statetest.Handoffs(t, Handoffs{r}) })
	t.Run("rate limiter", func(t *testing.T) { statetest.RateLimiter(t, RateLimiter{r, 3}) })
	t.Run("cursors", func(t *testing.T) { statetest.Cursors(t, Cursors{r}) })
	t.Run("answers", func(t *testing.T) {
		ctx := context.Background()
		a := Answers{r}
		if _, _, ok, err := a.Get(ctx, "q"); ok || err != nil {
			t.Fatalf("empty cache: %v %v", ok, err)
		}
		a.Set(ctx, "q", "answer", false, time.Minute)
		a.Set(ctx, "nope", "", true, time.Minute)
		if ans, n, ok, _ := a.Get(ctx, "q"); !ok || n || ans != "answer" {
			t.Errorf("get q = %q %v %v", ans, n, ok)
		}
		if _, n, ok, _ := a.Get(ctx, "nope"); !ok || !n {
			t.Errorf("not-in-FAQ answers are cached too")
		}
		keys, _ := r.Keys(ctx, Prefix+"answer:*").Result()
		for _, k := range keys {
			if strings.Contains(k, "q") && len(k) < 20 {
				t.Errorf("question text in a key name: %s", k)
			}
		}
	})
	t.Run("token lock", func(t *testing.T) {
		ctx := context.Background()
		tk := Tokens{r}
		unlock, ok, err := tk.Lock(ctx, "corp/secret", time.Second)
		if !ok || err != nil {
			t.Fatalf("first lock: %v %v", ok, err)
		}
		if _, ok2, _ := tk.Lock(ctx, "corp/secret", time.Second); ok2 {
			t.Error("second replica got the lock too")
		}
		tk.Set(ctx, "corp/secret", "tok", time.Minute)
		unlock()
		if v, _ := tk.Get(ctx, "corp/secret"); v != "tok" {
			t.Errorf("shared token %q", v)
		}
		if keys, _ := r.Keys(ctx, "*secret*").Result(); len(keys) != 0 {
			t.Errorf("secret in key names: %v", keys)
		}
	})
}

// TestOutageFallsBackAndRecovers stops Redis mid-test: the stores keep
// working on local state, log the outage once, and use Redis again when
// it is back.
func TestOutageFallsBackAndRecovers(t *testing.T) {
	r := startRedis(t)
	addr := r.Options().Addr
	var logs syncLog
	var errs atomic.Int32
	f := NewFailover(slog.New(slog.NewTextHandler(&logs, nil)), 3, func() { errs.Add(1) })
	d := f.Dedup(Dedup{r})
	ctx := context.Background()
	if first, _ := d.FirstSeen(ctx, "before", time.Minute); !first {
		t.Fatal("first sighting")
	}
	// Stop Redis.
	r.ShutdownNoSave(ctx)
	for i := 0; i < 3; i++ {
		first, err := d.FirstSeen(ctx, "during", time.Minute)
		if err != nil || first != (i == 0) {
			t.Errorf("during the outage, call %d: %v %v", i, first, err)
		}
	}
	if !f.Down() || strings.Count(logs.String(), "redis: unreachable") != 1 || errs.Load() < 1 {
		t.Errorf("down %v, errors %d, log:\n%s", f.Down(), errs.Load(), logs.String())
	}
	// Start it again on the same port.
	restart(t, addr)
	var first bool
	for i := 0; i < 100; i++ { // a call tries Redis again a second after the last failure
		var err error
		if first, err = d.FirstSeen(ctx, "after"+strconv.Itoa(i), time.Minute); err == nil && !f.Down() {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if f.Down() || !first || !strings.Contains(logs.String(), "reachable again") {
		t.Errorf("after restart: down %v first %v, log:\n%s", f.Down(), first, logs.String())
	}
}

// TestOutageRemembersThisReplicasKeys: a platform's retry during an outage
// of an event recorded before it, or of one seen during it after Redis is
// back, is a duplicate; and the probe ends the outage soon after Redis'
// return with no message coming.
func TestOutageRemembersThisReplicasKeys(t *testing.T) {
	r := startRedis(t)
	addr := r.Options().Addr
	f := NewFailover(slog.New(slog.DiscardHandler), 3, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go f.Watch(ctx, func(ctx context.Context) error { return r.Ping(ctx).Err() })
	d := f.Dedup(Dedup{r})
	if first, _ := d.FirstSeen(ctx, "before", time.Minute); !first {
		t.Fatal("first sighting")
	}
	r.ShutdownNoSave(ctx)
	if first, _ := d.FirstSeen(ctx, "before", time.Minute); first {
		t.Error("an event recorded before the outage was new again during it")
	}
	if first, _ := d.FirstSeen(ctx, "during", time.Minute); !first {
		t.Error("an event first seen during the outage was not new")
	}
	restart(t, addr)
	back := time.Now()
	for f.Down() && time.Since(back) < 10*time.Second {
		time.Sleep(20 * time.Millisecond)
	}
	if f.Down() {
		t.Fatal("still down 10 s after Redis' return")
	}
	if d := time.Since(back); d > 2*time.Second+ProbeEvery {
		t.Errorf("ready again %v after Redis' return, want within 2 s", d)
	}
	if first, _ := d.FirstSeen(ctx, "during", time.Minute); first {
		t.Error("an event seen during the outage was new again after it")
	}
	if first, _ := d.FirstSeen(ctx, "after", time.Minute); !first {
		t.Error("a new event after the outage was not new")
	}
}

func restart(t *testing.T, addr string) {
	t.Helper()
	_, port, _ := net.SplitHostPort(addr)
	dir := t.TempDir()
	cmd := exec.Command("redis-server", "--port", port, "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no",
		"--logfile", filepath.Join(dir, "redis.log"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
}

type syncLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncLog) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncLog) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
