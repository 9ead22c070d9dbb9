package slack

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/handlers/internal/workq"
)

// With an inbox (Config.Inbox), an event is acknowledged only once it is
// stored, and dropped from the inbox once answered. The entries of this
// replica are leased to it while it runs; an entry whose replica died
// (its lease ran out) or shut down before answering it (Close releases
// the leases) is claimed and answered by the next replica that looks:
// another one, or this one after a restart.
const (
	inboxLease = 30 * time.Second
	inboxTick  = 10 * time.Second // renew the leases, claim the orphans
)

// inboxMsg is an incomingMsg as the inbox keeps it.
type inboxMsg struct {
	Channel  string `json:"c"`
	User     string `json:"u"`
	Text     string `json:"t"`
	TS       string `json:"ts"`
	ThreadTS string `json:"th,omitempty"`
}

// sealer encrypts what the inbox keeps (the users' messages, numbers and
// all) under a key derived from the workspace's secrets, so the database
// does not hold them in the clear.
type sealer struct{ aead cipher.AEAD }

func newSealer(secret []byte) sealer {
	key := sha256.Sum256(append([]byte("supportbot slack inbox\x00"), secret...))
	block, _ := aes.NewCipher(key[:]) // 32 bytes: never fails
	aead, _ := cipher.NewGCM(block)
	return sealer{aead}
}

func (s sealer) seal(m incomingMsg) []byte {
	plain, _ := json.Marshal(inboxMsg{m.channel, m.user, m.text, m.ts, m.threadTS})
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	rand.Read(nonce)
	return s.aead.Seal(nonce, nonce, plain, nil)
}

func (s sealer) open(b []byte) (incomingMsg, error) {
	n := s.aead.NonceSize()
	if len(b) < n {
		return incomingMsg{}, errors.New("entry too short")
	}
	plain, err := s.aead.Open(nil, b[:n], b[n:], nil)
	if err != nil {
		return incomingMsg{}, errors.New("entry sealed under other secrets (was the signing secret or token changed?)")
	}
	var m inboxMsg
	if err := json.Unmarshal(plain, &m); err != nil {
		return incomingMsg{}, err
	}
	return incomingMsg{channel: m.Channel, user: m.User, text: m.Text, ts: m.TS, threadTS: m.ThreadTS}, nil
}

func newOwner() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// record stores a taken event in the inbox before it is acknowledged.
func (a *Adapter) record(ctx context.Context, key string, msg incomingMsg) error {
	if a.cfg.Inbox == nil {
		return nil
	}
	e := bot.InboxEntry{ID: key, Channel: "slack", Payload: a.sealer.seal(msg)}
	if err := a.cfg.Inbox.Put(ctx, e, a.owner, a.lease); err != nil {
		return fmt.Errorf("inbox: %w", err)
	}
	return nil
}

// answerJob answers msg and drops it from the inbox, unless the answer was
// cut short by a shutdown: then it stays for the next replica.
func (a *Adapter) answerJob(key string, msg incomingMsg) workq.Job {
	return workq.Job{Name: "answer", Run: func(ctx context.Context) error {
		err := a.answer(ctx, msg)
		if a.cfg.Inbox != nil && !errors.Is(ctx.Err(), context.Canceled) {
			a.cfg.Inbox.Done(key)
		}
		return err
	}}
}

// keepInbox renews this replica's leases and answers the entries whose
// replica is gone, every inboxTick until the adapter closes; the first
// look is at once, for what an earlier run left.
func (a *Adapter) keepInbox(ctx context.Context) {
	defer a.bg.Done()
	t := time.NewTicker(a.tick)
	defer t.Stop()
	for {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		if err := a.cfg.Inbox.Renew(cctx, a.owner, a.lease); err != nil {
			a.log.Error("slack: inbox: renew leases", "err", err)
		}
		a.claim(cctx)
		cancel()
		select {
		case <-ctx.Done():
			return
		case <-a.stopped:
			return
		case <-t.C:
		}
	}
}

// claim takes orphaned entries, as many as the queue has room for, and
// queues their answers.
func (a *Adapter) claim(ctx context.Context) {
	for {
		room := min(a.pool.Room(), claimBatch)
		if room <= 0 {
			return
		}
		entries, err := a.cfg.Inbox.Claim(ctx, "slack", a.owner, a.lease, room)
		if err != nil {
			a.log.Error("slack: inbox: claim", "err", err)
			return
		}
		if len(entries) > 0 {
			a.log.Info("slack: answering events taken before a shutdown or a crash", "events", len(entries))
		}
		for i, e := range entries {
			msg, err := a.sealer.open(e.Payload)
			if err != nil {
				a.log.Error("slack: inbox: dropping an entry that cannot be read", "err", err)
				a.cfg.Inbox.Done(e.ID)
				continue
			}
			if !a.pool.Add(a.answerJob(e.ID, msg)) {
				// New events took the room meanwhile: the rest go back, for
				// the next look (here or at another replica).
				a.giveBack(ctx, entries[i:])
				return
			}
		}
		if len(entries) < room {
			return // no more for now
		}
	}
}

// giveBack releases entries this replica claimed but could not queue.
func (a *Adapter) giveBack(ctx context.Context, entries []bot.InboxEntry) {
	ids := make([]string, len(entries))
	for i, e := range entries {
		ids[i] = e.ID
	}
	if err := a.cfg.Inbox.Release(ctx, a.owner, ids...); err != nil {
		a.log.Error("slack: inbox: give back", "err", err)
	}
}

// claimBatch is how many entries one claim takes at most.
const claimBatch = 256

// releaseInbox hands what this replica did not answer to the next one.
func (a *Adapter) releaseInbox() {
	if a.cfg.Inbox == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.cfg.Inbox.Release(ctx, a.owner); err != nil {
		a.log.Error("slack: inbox: release", "err", err)
	}
}
