package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"sync"
	"time"

	"github.com/supportbot/supportbot/bot"
)

// Failed sign-ins (a wrong bearer token or a wrong token in the form) are
// limited per client address: after maxFailures in failureWindow, the
// address is refused (429) until the window ends, so a token cannot be
// guessed at the speed of the network. The limit is per replica.
const (
	maxFailures   = 10
	failureWindow = 15 * time.Minute
	// maxClients bounds the table; past it, the oldest windows go first.
	maxClients = 10000
)

// SignIns counts failed sign-ins per client address; the console and the
// JSON admin API share one (its zero value is ready).
type SignIns struct {
	mu      sync.Mutex
	clients map[string]*failedSignIns
}

type failedSignIns struct {
	start  time.Time
	n      int
	logged bool // the lock-out was logged
}

// locked reports whether addr is refused now, and until when.
func (f *SignIns) locked(addr string, now time.Time) (time.Time, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.clients[addr]
	if c == nil || now.Sub(c.start) >= failureWindow {
		return time.Time{}, false
	}
	return c.start.Add(failureWindow), c.n >= maxFailures
}

// fail notes a failed sign-in from addr and logs it: each one up to the
// limit, then one line when the address is locked out.
func (f *SignIns) fail(log *slog.Logger, how, addr string, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.clients == nil {
		f.clients = map[string]*failedSignIns{}
	}
	c := f.clients[addr]
	if c == nil || now.Sub(c.start) >= failureWindow {
		if c == nil && len(f.clients) >= maxClients {
			f.prune(now)
		}
		c = &failedSignIns{start: now}
		f.clients[addr] = c
	}
	c.n++
	switch {
	case c.n < maxFailures:
		log.Warn("admin: failed sign-in", "how", how, "remote", addr, "failures", c.n)
	case !c.logged:
		c.logged = true
		log.Error("admin: too many failed sign-ins, address refused for a while", "how", how, "remote", addr,
			"failures", c.n, "until", c.start.Add(failureWindow).Format(time.RFC3339))
	}
}

// succeed forgets addr's failures.
func (f *SignIns) succeed(addr string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.clients, addr)
}

// prune drops ended windows, then others that have not locked their
// address out, until the table is half full; the caller holds mu.
func (f *SignIns) prune(now time.Time) {
	for a, c := range f.clients {
		if now.Sub(c.start) >= failureWindow {
			delete(f.clients, a)
		}
	}
	for a, c := range f.clients { // map order is random enough
		if len(f.clients) < maxClients/2 {
			break
		}
		if c.n < maxFailures {
			delete(f.clients, a)
		}
	}
}

// Revocations remembers sessions that signed out until they would have
// expired. A bot.AnswerCache is such a store (Redis when the replicas share
// one); nil: this process remembers.
type Revocations = bot.AnswerCache

func newSessionID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func revokedKey(id string) string { return "admin:revoked:" + id }

func (ad *Admin) revoke(ctx context.Context, id string, until time.Time) {
	if err := ad.revocations().Set(ctx, revokedKey(id), "1", false, until.Sub(ad.now())+time.Minute); err != nil {
		ad.Log.Error("admin: sign-out not recorded; the session stays valid until it expires", "err", err)
	}
}

func (ad *Admin) revoked(ctx context.Context, id string) bool {
	_, _, ok, err := ad.revocations().Get(ctx, revokedKey(id))
	if err != nil {
		ad.Log.Warn("admin: revoked sessions unavailable", "err", err)
		return true // fail closed: sign in again
	}
	return ok
}

func (ad *Admin) revocations() Revocations {
	ad.revokedOnce.Do(func() {
		if ad.Revoked == nil {
			ad.Revoked = bot.NewMemoryAnswerCache(10000)
		}
	})
	return ad.Revoked
}
