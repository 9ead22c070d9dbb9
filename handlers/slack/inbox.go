package slack

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/supportbot/supportbot/handlers/internal/workq"
)

// With an inbox (Config.Inbox), an event is acknowledged only once it is
// stored, and answered after a shutdown or a crash by the next replica
// (handlers/internal/inbox).

// inboxMsg is an incomingMsg as the inbox keeps it.
type inboxMsg struct {
	Channel  string `json:"c"`
	User     string `json:"u"`
	Text     string `json:"t"`
	TS       string `json:"ts"`
	ThreadTS string `json:"th,omitempty"`
}

func (m incomingMsg) plain() []byte {
	b, _ := json.Marshal(inboxMsg{m.channel, m.user, m.text, m.ts, m.threadTS})
	return b
}

// answerPlain answers an event the inbox kept.
func (a *Adapter) answerPlain(ctx context.Context, plain []byte) error {
	var m inboxMsg
	if err := json.Unmarshal(plain, &m); err != nil {
		return errors.New("inbox entry: " + err.Error())
	}
	return a.answer(ctx, incomingMsg{channel: m.Channel, user: m.User, text: m.Text, ts: m.TS, threadTS: m.ThreadTS})
}

// record stores a taken event in the inbox before it is acknowledged.
func (a *Adapter) record(ctx context.Context, key string, msg incomingMsg) error {
	if a.inbox == nil {
		return nil
	}
	return a.inbox.Record(ctx, key, msg.plain())
}

// answerJob answers msg, and with an inbox drops it from there (unless a
// shutdown cut the answer short).
func (a *Adapter) answerJob(key string, msg incomingMsg) workq.Job {
	if a.inbox == nil {
		return workq.Job{Name: "answer", Run: func(ctx context.Context) error { return a.answer(ctx, msg) }}
	}
	return a.inbox.Job("answer", key, msg.plain())
}
