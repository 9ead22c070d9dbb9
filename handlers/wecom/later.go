package wecom

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"

	"github.com/supportbot/supportbot/bot"
)

// Work done after WeCom's empty 200, by message/send: the answer to a
// message that needs the fallback model, or a long answer. With an inbox
// (Config.Inbox) it is stored before the 200, and done after a shutdown
// or a crash by the next replica (handlers/internal/inbox).

// laterWork is such work as the inbox keeps it: a message to answer (Text),
// or an answer to send (Send, with its vote's intent when it has one).
type laterWork struct {
	User string `json:"u"`
	Text string `json:"t,omitempty"`
	Send string `json:"s,omitempty"`
	// VoteIntent and Lang, for a sent answer with a 👍/👎 card.
	VoteIntent string `json:"v,omitempty"`
	Lang       string `json:"l,omitempty"`
}

// inboxID is the inbox's id of a message's later work: a hash of its
// dedup key, which may hold a user id (some companies use phone numbers).
func inboxID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "wecom:" + hex.EncodeToString(sum[:12])
}

// doLater does one piece of later work.
func (a *Adapter) doLater(ctx context.Context, plain []byte) error {
	var w laterWork
	if err := json.Unmarshal(plain, &w); err != nil {
		return errors.New("inbox entry: " + err.Error())
	}
	if w.Send == "" {
		return a.answerLater(ctx, w.User, w.Text)
	}
	if err := a.sendApp(ctx, w.User, w.Send); err != nil {
		return err
	}
	if w.VoteIntent != "" {
		a.sendVote(ctx, w.User, bot.Reply{Intent: w.VoteIntent, Lang: w.Lang, Source: &knowledgeSource})
	}
	return nil
}

// knowledgeSource marks a rebuilt reply as an FAQ answer, which is what
// makes it votable.
var knowledgeSource = bot.Source{}

// queueLater records w (with an inbox) and queues it; false when it could
// not be taken (the queue is full, or the inbox cannot be written).
func (a *Adapter) queueLater(ctx context.Context, name, id string, w laterWork) bool {
	plain, _ := json.Marshal(w)
	if a.inbox == nil {
		return a.later(name, func(ctx context.Context) error { return a.doLater(ctx, plain) })
	}
	if a.pool.Full() {
		return false
	}
	if err := a.inbox.Record(ctx, id, plain); err != nil {
		a.log.Error("wecom: later work not recorded, answering now", "err", err)
		return false
	}
	if !a.pool.Add(a.inbox.Job(name, id, plain)) {
		a.inbox.Forget(id)
		return false
	}
	return true
}
