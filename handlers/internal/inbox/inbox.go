// Package inbox keeps a channel's acknowledged work until it is done, in a
// bot.Inbox (the exchange log's database): an event is recorded before it
// is acknowledged, and dropped once answered. The entries of this replica
// are leased to it while it runs; an entry whose replica died (its lease
// ran out) or shut down before answering it (Release) is claimed and
// answered by the next replica that looks: another one, or this one after
// a restart. What is kept is sealed (AES-GCM) under a key derived from the
// channel's secrets, so the database does not hold users' messages in the
// clear.
package inbox

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/handlers/internal/workq"
)

const (
	// DefaultLease is how long an entry stays this replica's without a
	// renewal; DefaultTick how often the leases are renewed and orphans
	// claimed.
	DefaultLease = 30 * time.Second
	DefaultTick  = 10 * time.Second
	// claimBatch is how many entries one claim takes at most.
	claimBatch = 256
)

// Keeper is one channel's use of an inbox.
type Keeper struct {
	store   bot.Inbox
	channel string
	owner   string
	aead    cipher.AEAD
	pool    *workq.Pool
	log     *slog.Logger
	answer  func(ctx context.Context, plain []byte) error
	// Lease and Tick are DefaultLease and DefaultTick; tests shorten them.
	Lease, Tick time.Duration

	stop    chan struct{} // closed by Close: no more claims
	halting sync.Once
	keeping sync.WaitGroup
}

// New returns the keeper of channel's entries in store. The entries are
// sealed under a key derived from secret; answer does the work of one
// (its plain bytes, as Record was given them), on pool's workers.
func New(store bot.Inbox, channel string, secret []byte, pool *workq.Pool, log *slog.Logger,
	answer func(ctx context.Context, plain []byte) error) *Keeper {
	key := sha256.Sum256(append([]byte("supportbot "+channel+" inbox\x00"), secret...))
	block, _ := aes.NewCipher(key[:]) // 32 bytes: never fails
	aead, _ := cipher.NewGCM(block)
	var id [8]byte
	rand.Read(id[:])
	return &Keeper{store: store, channel: channel, owner: hex.EncodeToString(id[:]), aead: aead, pool: pool, log: log,
		answer: answer, Lease: DefaultLease, Tick: DefaultTick, stop: make(chan struct{})}
}

func (k *Keeper) seal(plain []byte) []byte {
	nonce := make([]byte, k.aead.NonceSize(), k.aead.NonceSize()+len(plain)+k.aead.Overhead())
	rand.Read(nonce)
	return k.aead.Seal(nonce, nonce, plain, nil)
}

func (k *Keeper) open(b []byte) ([]byte, error) {
	n := k.aead.NonceSize()
	if len(b) < n {
		return nil, errors.New("entry too short")
	}
	plain, err := k.aead.Open(nil, b[:n], b[n:], nil)
	if err != nil {
		return nil, errors.New("entry sealed under other secrets (were the channel's secrets changed?)")
	}
	return plain, nil
}

// Record stores work id (plain, sealed) before it is acknowledged; it
// returns once the entry is stored. On an error nothing may be
// acknowledged: the entry is dropped again in case it was stored after all.
func (k *Keeper) Record(ctx context.Context, id string, plain []byte) error {
	e := bot.InboxEntry{ID: id, Channel: k.channel, Payload: k.seal(plain)}
	if err := k.store.Put(ctx, e, k.owner, k.Lease); err != nil {
		k.store.Done(id)
		return fmt.Errorf("inbox: %w", err)
	}
	return nil
}

// Forget drops an entry whose work was not taken after all (the queue was
// full): the platform's retry is recorded again.
func (k *Keeper) Forget(id string) { k.store.Done(id) }

// Job does the work of entry id and drops it, unless the work was cut
// short by a shutdown: then it stays for the next replica.
func (k *Keeper) Job(name, id string, plain []byte) workq.Job {
	return workq.Job{Name: name, Run: func(ctx context.Context) error {
		err := k.answer(ctx, plain)
		if !errors.Is(ctx.Err(), context.Canceled) {
			k.store.Done(id)
		}
		return err
	}}
}

// Start renews this replica's leases and does the work of the entries
// whose replica is gone, every Tick until ctx ends or Close; the first look
// is at once, for what an earlier run left.
func (k *Keeper) Start(ctx context.Context) { k.keeping.Go(func() { k.keep(ctx) }) }

func (k *Keeper) keep(ctx context.Context) {
	t := time.NewTicker(k.Tick)
	defer t.Stop()
	for {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		if err := k.store.Renew(cctx, k.owner, k.Lease); err != nil {
			k.log.Error(k.channel+": inbox: renew leases", "err", err)
		}
		k.claim(cctx)
		cancel()
		select {
		case <-ctx.Done():
			return
		case <-k.stop:
			return
		case <-t.C:
		}
	}
}

// Close ends the keeping, closes the pool (which sends what it took, for at
// most d) and hands what is left to the next replica.
func (k *Keeper) Close(d time.Duration) {
	k.halting.Do(func() { close(k.stop) })
	k.keeping.Wait() // no more claims
	k.pool.Close(d)
	k.release()
}

// claim takes orphaned entries, as many as the queue has room for, and
// queues their work; what finds no room goes back at once.
func (k *Keeper) claim(ctx context.Context) {
	for {
		room := min(k.pool.Room(), claimBatch)
		if room <= 0 {
			return
		}
		entries, err := k.store.Claim(ctx, k.channel, k.owner, k.Lease, room)
		if err != nil {
			k.log.Error(k.channel+": inbox: claim", "err", err)
			return
		}
		if len(entries) > 0 {
			k.log.Info(k.channel+": answering what was taken before a shutdown or a crash", "entries", len(entries))
		}
		for i, e := range entries {
			plain, err := k.open(e.Payload)
			if err != nil {
				k.log.Error(k.channel+": inbox: dropping an entry that cannot be read", "err", err)
				k.store.Done(e.ID)
				continue
			}
			if !k.pool.Add(k.Job("answer", e.ID, plain)) {
				k.giveBack(ctx, entries[i:])
				return
			}
		}
		if len(entries) < room {
			return // no more for now
		}
	}
}

// giveBack releases entries claimed but not queued, for the next look.
func (k *Keeper) giveBack(ctx context.Context, entries []bot.InboxEntry) {
	ids := make([]string, len(entries))
	for i, e := range entries {
		ids[i] = e.ID
	}
	if err := k.store.Release(ctx, k.owner, ids...); err != nil {
		k.log.Error(k.channel+": inbox: give back", "err", err)
	}
}

// release hands what this replica did not do to the next one, once the
// pool has closed.
func (k *Keeper) release() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := k.store.Release(ctx, k.owner); err != nil {
		k.log.Error(k.channel+": inbox: release", "err", err)
	}
}
