// Package redisstate keeps the bot's shared state in Redis, so that
// replicas behind a load balancer share dedup, conversations, handoffs,
// rate limits and cursors. Each type satisfies the same contract as the
// in-memory one (package statetest).
package redisstate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/bot/chanstate"
)

// Prefix starts every key the bot writes.
const Prefix = "supportbot:"

// Dedup is a chanstate.Dedup on SET NX with an expiry.
type Dedup struct{ R redis.UniversalClient }

var _ chanstate.Dedup = Dedup{}

// FirstSeen implements chanstate.Dedup.
func (d Dedup) FirstSeen(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	return d.R.SetNX(ctx, Prefix+"dedup:"+key, 1, ttl).Result()
}

// Forget implements chanstate.Dedup.
func (d Dedup) Forget(ctx context.Context, key string) error {
	return d.R.Del(ctx, Prefix+"dedup:"+key).Err()
}

// Conversations is a bot.Conversations of JSON values with an expiry.
type Conversations struct{ R redis.UniversalClient }

var _ bot.Conversations = Conversations{}

// Load implements bot.Conversations.
func (c Conversations) Load(ctx context.Context, key string) (bot.State, error) {
	var st bot.State
	b, err := c.R.Get(ctx, Prefix+"conv:"+key).Bytes()
	if errors.Is(err, redis.Nil) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	return st, json.Unmarshal(b, &st)
}

// Save implements bot.Conversations.
func (c Conversations) Save(ctx context.Context, key string, st bot.State, ttl time.Duration) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return c.R.Set(ctx, Prefix+"conv:"+key, b, ttl).Err()
}

// Handoffs is a bot.Handoffs: one JSON value per handoff (expiring when
// it lapses) and a sorted set of the open ones by opening time.
type Handoffs struct{ R redis.UniversalClient }

var _ bot.Handoffs = Handoffs{}

const openSet = Prefix + "handoffs:open"

func handoffKey(id string) string { return Prefix + "handoff:" + id }

// Open implements bot.Handoffs.
func (h Handoffs) Open(ctx context.Context, ho bot.Handoff) error {
	b, err := json.Marshal(ho)
	if err != nil {
		return err
	}
	_, err = h.R.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, handoffKey(ho.ID), b, time.Until(ho.Until))
		p.ZAdd(ctx, openSet, redis.Z{Score: float64(ho.Opened.UnixMilli()), Member: ho.ID})
		return nil
	})
	return err
}

func (h Handoffs) get(ctx context.Context, id string) (bot.Handoff, bool, error) {
	var ho bot.Handoff
	b, err := h.R.Get(ctx, handoffKey(id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return ho, false, nil
	}
	if err != nil {
		return ho, false, err
	}
	return ho, true, json.Unmarshal(b, &ho)
}

// IsOpen implements bot.Handoffs.
func (h Handoffs) IsOpen(ctx context.Context, id string) (bool, error) {
	ho, ok, err := h.get(ctx, id)
	return ok && !ho.Resolved && time.Now().Before(ho.Until), err
}

// resolveScript marks a handoff resolved only if it is still open, so two
// agents resolving at once resolve it once.
var resolveScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v then return false end
local h = cjson.decode(v)
if h.resolved then return false end
h.resolved = true
redis.call('SET', KEYS[1], cjson.encode(h), 'KEEPTTL')
redis.call('ZREM', KEYS[2], ARGV[1])
return v`)

// Resolve implements bot.Handoffs.
func (h Handoffs) Resolve(ctx context.Context, id string) (bot.Handoff, error) {
	v, err := resolveScript.Run(ctx, h.R, []string{handoffKey(id), openSet}, id).Text()
	if errors.Is(err, redis.Nil) {
		return bot.Handoff{}, bot.ErrNoHandoff
	}
	if err != nil {
		return bot.Handoff{}, err
	}
	var ho bot.Handoff
	if err := json.Unmarshal([]byte(v), &ho); err != nil {
		return ho, err
	}
	ho.Resolved = true
	return ho, nil
}

// List implements bot.Handoffs.
func (h Handoffs) List(ctx context.Context) ([]bot.Handoff, error) {
	ids, err := h.R.ZRange(ctx, openSet, 0, -1).Result()
	if err != nil {
		return nil, err
	}
	var out []bot.Handoff
	for _, id := range ids {
		ho, ok, err := h.get(ctx, id)
		if err != nil {
			return nil, err
		}
		if !ok || ho.Resolved || time.Now().After(ho.Until) {
			h.R.ZRem(ctx, openSet, id) // lapsed: tidy up
			continue
		}
		out = append(out, ho)
	}
	return out, nil
}

// RateLimiter is a bot.RateLimiter counting messages per key in fixed
// one-minute windows, atomically.
type RateLimiter struct {
	R         redis.UniversalClient
	PerMinute int
}

var _ bot.RateLimiter = RateLimiter{}

var incrScript = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n`)

// Allow implements bot.RateLimiter.
func (l RateLimiter) Allow(ctx context.Context, key string) (bool, error) {
	window := time.Now().Unix() / 60
	n, err := incrScript.Run(ctx, l.R, []string{Prefix + "rate:" + key + ":" + strconv.FormatInt(window, 10)}, 61000).Int()
	if err != nil {
		return false, err
	}
	return n <= l.PerMinute, nil
}

// Cursors is a chanstate.Cursors of plain values.
type Cursors struct{ R redis.UniversalClient }

var _ chanstate.Cursors = Cursors{}

// Get implements chanstate.Cursors.
func (c Cursors) Get(ctx context.Context, key string) (string, error) {
	v, err := c.R.Get(ctx, Prefix+"cursor:"+key).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	return v, err
}

// Set implements chanstate.Cursors.
func (c Cursors) Set(ctx context.Context, key, value string) error {
	return c.R.Set(ctx, Prefix+"cursor:"+key, value, 0).Err()
}

// Answers is a bot.AnswerCache shared by the replicas: the fallback
// model's answers to identical questions.
type Answers struct{ R redis.UniversalClient }

var _ bot.AnswerCache = Answers{}

type cachedAnswer struct {
	Answer   string `json:"a"`
	NotInFAQ bool   `json:"n,omitempty"`
}

func answerKey(key string) string {
	sum := sha256.Sum256([]byte(key)) // questions are user text: keep them out of key names
	return Prefix + "answer:" + hex.EncodeToString(sum[:12])
}

// Get implements bot.AnswerCache.
func (a Answers) Get(ctx context.Context, key string) (string, bool, bool, error) {
	b, err := a.R.Get(ctx, answerKey(key)).Bytes()
	if errors.Is(err, redis.Nil) {
		return "", false, false, nil
	}
	if err != nil {
		return "", false, false, err
	}
	var c cachedAnswer
	if err := json.Unmarshal(b, &c); err != nil {
		return "", false, false, err
	}
	return c.Answer, c.NotInFAQ, true, nil
}

// Set implements bot.AnswerCache.
func (a Answers) Set(ctx context.Context, key, answer string, notInFAQ bool, ttl time.Duration) error {
	b, _ := json.Marshal(cachedAnswer{answer, notInFAQ})
	return a.R.Set(ctx, answerKey(key), b, ttl).Err()
}

// Tokens shares API access tokens (WeCom's) between replicas, with a lock so
// that one replica at a time fetches a new one.
type Tokens struct{ R redis.UniversalClient }

func tokenKey(name string) string {
	sum := sha256.Sum256([]byte(name)) // names derive from secrets: hash them
	return Prefix + "token:" + hex.EncodeToString(sum[:12])
}

// Get returns a shared token, "" when there is none.
func (t Tokens) Get(ctx context.Context, name string) (string, error) {
	v, err := t.R.Get(ctx, tokenKey(name)).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	return v, err
}

// Set shares a token until ttl.
func (t Tokens) Set(ctx context.Context, name, token string, ttl time.Duration) error {
	return t.R.Set(ctx, tokenKey(name), token, ttl).Err()
}

// Lock takes the refresh lock for name for at most ttl; ok is false when
// another replica holds it.
func (t Tokens) Lock(ctx context.Context, name string, ttl time.Duration) (unlock func(), ok bool, err error) {
	key := tokenKey(name) + ":lock"
	ok, err = t.R.SetNX(ctx, key, 1, ttl).Result()
	if err != nil || !ok {
		return func() {}, false, err
	}
	return func() { t.R.Del(context.Background(), key) }, true, nil
}
