package slack

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/supportbot/supportbot/bot/sqlstore"
)

// loadSigned sends b.N signed requests over loopback HTTP from 16
// connections and reports requests per second and latency percentiles.
func loadSigned(b *testing.B, h *harness, path, contentType string, body func(i int) string) {
	const conns = 16
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conns}}
	lat := make([]time.Duration, b.N)
	var next sync.Mutex
	i := 0
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for c := 0; c < conns; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				next.Lock()
				n := i
				i++
				next.Unlock()
				if n >= b.N {
					return
				}
				payload := body(n)
				req, _ := http.NewRequest("POST", h.server.URL+path, strings.NewReader(payload))
				req.Header.Set("Content-Type", contentType)
				ts := strconv.FormatInt(time.Now().Unix(), 10)
				req.Header.Set("X-Slack-Request-Timestamp", ts)
				req.Header.Set("X-Slack-Signature", sign(secret, ts, []byte(payload)))
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				resp.Body.Close()
				lat[n] = time.Since(t0)
				if resp.StatusCode != http.StatusOK {
					b.Errorf("status %d", resp.StatusCode)
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkChecknumCommand measures the signed /checknum slash command.
func BenchmarkChecknumCommand(b *testing.B) {
	h := newHarness(b, "")
	loadSigned(b, h, "/slack/commands", "application/x-www-form-urlencoded", func(i int) string {
		return url.Values{"command": {"/checknum"}, "text": {"138" + strconv.Itoa(10000000+i%89999999)}, "user_id": {"U1"}}.Encode()
	})
}

// BenchmarkEventAck measures the ack of signed Events API DMs while the
// workers answer them against the fake Slack API.
func BenchmarkEventAck(b *testing.B) {
	h := newHarness(b, "", func(c *Config) { c.Queue = b.N + 1 })
	loadSigned(b, h, "/slack/events", "application/json", func(i int) string {
		return eventBody("EvB"+strconv.Itoa(i), dm("收不到短信"))
	})
}

// BenchmarkEventAckInbox is BenchmarkEventAck with each event stored in the
// SQLite inbox before its ack, as served: the difference is the ack cost
// of surviving a shutdown or a crash.
func BenchmarkEventAckInbox(b *testing.B) {
	store, err := sqlstore.Open(b.Context(), b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	h := newHarness(b, "", func(c *Config) { c.Queue, c.Inbox, c.InboxSecret = b.N+1, store, []byte("s") })
	loadSigned(b, h, "/slack/events", "application/json", func(i int) string {
		return eventBody("EvB"+strconv.Itoa(i), dm("收不到短信"))
	})
}
