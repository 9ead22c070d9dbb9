package slack

// Events: a signed Events API or Socket Mode message is read, filtered
// (direct messages and mentions, never the bot's own), deduplicated,
// recorded in the inbox and queued; a worker answers it.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"

	goslack "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/bot/phone"
)

func (a *Adapter) handleEvents(w http.ResponseWriter, r *http.Request) {
	body, ok := a.readVerified(w, r)
	if !ok {
		return
	}
	if a.pool.Full() && !bytes.Contains(body, []byte(`"url_verification"`)) {
		// Full: refuse before parsing, so an overload costs little. Slack
		// retries the event later.
		a.pool.Refused("answer queue full, asking Slack to retry")
		http.Error(w, "busy, retry", http.StatusServiceUnavailable)
		return
	}
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		a.log.Warn("slack: malformed event", "err", err)
		http.Error(w, "malformed event", http.StatusBadRequest)
		return
	}
	if env.Type == slackevents.URLVerification {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, env.Challenge)
		return
	}
	if env.Type == slackevents.CallbackEvent {
		if msg, ok := a.incomingRaw(env.Event); ok {
			if err := a.take(r.Context(), env.EventID, msg); err != nil {
				// Not taken: Slack retries, and the retry is handled.
				http.Error(w, "busy, retry", http.StatusServiceUnavailable)
				return
			}
		} else if home, ok := homeOpenedRaw(env.Event); ok {
			if err := a.takeHome(home); err != nil {
				http.Error(w, "busy, retry", http.StatusServiceUnavailable)
				return
			}
		}
	}
	w.WriteHeader(http.StatusOK)
}

// envelope is what the adapter reads of an Events API request, decoded in
// one pass; the inner event only when it may be a message to answer.
type envelope struct {
	Type      string          `json:"type"`
	Challenge string          `json:"challenge"`
	EventID   string          `json:"event_id"`
	Event     json.RawMessage `json:"event"`
}

// innerEvent is the part of a message or app_mention event the adapter
// reads.
type innerEvent struct {
	Type        string `json:"type"`
	SubType     string `json:"subtype"`
	BotID       string `json:"bot_id"`
	User        string `json:"user"`
	Text        string `json:"text"`
	Channel     string `json:"channel"`
	ChannelType string `json:"channel_type"`
	TS          string `json:"ts"`
	ThreadTS    string `json:"thread_ts"`
}

// incomingRaw decodes an inner event and decides, as incoming does,
// whether it is a message to answer.
func (a *Adapter) incomingRaw(raw json.RawMessage) (incomingMsg, bool) {
	var e innerEvent
	if err := json.Unmarshal(raw, &e); err != nil {
		// Other event types may carry fields of other shapes ("user" as
		// an object); only a message that cannot be read is worth a line.
		var kind struct {
			Type string `json:"type"`
		}
		if json.Unmarshal(raw, &kind) == nil && (kind.Type == "message" || kind.Type == "app_mention") {
			a.log.Warn("slack: malformed message event", "err", err)
		}
		return incomingMsg{}, false
	}
	return a.decide(e)
}

// event takes one Events API callback from Socket Mode: it filters,
// deduplicates and queues the answer. An error means the event was not
// taken and should be retried.
func (a *Adapter) event(ctx context.Context, ev slackevents.EventsAPIEvent) error {
	if ev.Type != slackevents.CallbackEvent {
		return nil
	}
	if e, ok := ev.InnerEvent.Data.(*slackevents.AppHomeOpenedEvent); ok {
		return a.takeHome(homeOpened{Type: e.Type, User: e.User, Channel: e.Channel, Tab: e.Tab})
	}
	msg, ok := a.incoming(ev.InnerEvent)
	if !ok {
		return nil
	}
	id := ""
	if cb, _ := ev.Data.(*slackevents.EventsAPICallbackEvent); cb != nil {
		id = cb.EventID
	}
	return a.take(ctx, id, msg)
}

// take deduplicates a message by its event id (or, without one, by its
// channel and timestamp) and queues its answer. An error means it was not
// taken and should be retried.
func (a *Adapter) take(ctx context.Context, eventID string, msg incomingMsg) error {
	key := ""
	if eventID != "" {
		key = "slack:event:" + eventID
	} else {
		key = "slack:msg:" + msg.channel + ":" + msg.ts
	}
	first, err := a.dedup.FirstSeen(ctx, key, a.cfg.DedupTTL)
	if err != nil {
		// Answering twice is better than not at all.
		a.log.Warn("slack: dedup unavailable, answering anyway", "err", err)
		first = true
	}
	if !first {
		a.log.Debug("slack: duplicate event ignored", "key", key)
		return nil
	}
	if err := a.record(ctx, key, msg); err != nil {
		a.log.Error("slack: event not recorded, asking Slack to retry", "err", err)
		a.forget(ctx, key)
		return err
	}
	if !a.pool.Add(a.answerJob(key, msg)) {
		a.pool.Refused("answer queue full, asking Slack to retry")
		if a.inbox != nil {
			a.inbox.Forget(key) // Slack's retry is recorded again
		}
		a.forget(ctx, key)
		return errors.New("queue full")
	}
	return nil
}

// forget drops the dedup key of an event that was not taken.
func (a *Adapter) forget(ctx context.Context, key string) {
	if err := a.dedup.Forget(ctx, key); err != nil {
		a.log.Error("slack: dedup forget", "err", err)
	}
}

// incomingMsg is a message the bot should answer.
type incomingMsg struct {
	channel, user, text string
	ts, threadTS        string // threadTS: where to answer; "" for the channel itself
}

var mentionRE = regexp.MustCompile(`<@[A-Z0-9]+(\|[^>]*)?>`)

// incoming decides whether an inner event is a message to answer: direct
// messages and mentions, never the bot's own messages, other bots', or
// edits, deletes and other subtypes.
func (a *Adapter) incoming(in slackevents.EventsAPIInnerEvent) (incomingMsg, bool) {
	switch e := in.Data.(type) {
	case *slackevents.MessageEvent:
		return a.decide(innerEvent{Type: "message", SubType: e.SubType, BotID: e.BotID, User: e.User, Text: e.Text,
			Channel: e.Channel, ChannelType: e.ChannelType, TS: e.TimeStamp, ThreadTS: e.ThreadTimeStamp})
	case *slackevents.AppMentionEvent:
		return a.decide(innerEvent{Type: "app_mention", BotID: e.BotID, User: e.User, Text: e.Text,
			Channel: e.Channel, TS: e.TimeStamp, ThreadTS: e.ThreadTimeStamp})
	}
	return incomingMsg{}, false
}

// decide is incoming's rule, on the fields both transports give.
func (a *Adapter) decide(e innerEvent) (incomingMsg, bool) {
	a.mu.RLock()
	self := a.botUserID
	a.mu.RUnlock()
	switch e.Type {
	case "message":
		if e.ChannelType != "im" || e.BotID != "" || e.SubType != "" || e.User == "" || e.User == self {
			return incomingMsg{}, false
		}
		return incomingMsg{channel: e.Channel, user: e.User, text: e.Text, ts: e.TS, threadTS: e.ThreadTS}, true
	case "app_mention":
		if e.BotID != "" || e.User == "" || e.User == self {
			return incomingMsg{}, false
		}
		thread := e.ThreadTS
		if thread == "" {
			thread = e.TS
		}
		text := strings.TrimSpace(mentionRE.ReplaceAllString(e.Text, " "))
		return incomingMsg{channel: e.Channel, user: e.User, text: text, ts: e.TS, threadTS: thread}, true
	}
	return incomingMsg{}, false
}

// answer produces and posts the reply to one message. A request for a
// person notifies the agents first, so the user is told what really
// happened.
func (a *Adapter) answer(ctx context.Context, m incomingMsg) error {
	text := unescape(m.text)
	reply := a.bot.Respond(ctx, bot.Message{Channel: "slack", User: m.user, Thread: m.channel + ":" + m.threadTS, Text: text})
	if reply.Silent {
		return nil // an agent has this conversation
	}
	var notifyErr error
	if reply.Handoff {
		notifyErr = a.notifyAgents(ctx, m.user, m.channel, m.ts, phone.MaskText(text), reply.HandoffID)
		if notifyErr != nil && !a.cfg.Console {
			reply = a.bot.HandoffFailed(ctx, reply) // nobody was told: the bot keeps answering
		}
	}
	opts := []goslack.MsgOption{
		goslack.MsgOptionText(notification(reply), true),
		goslack.MsgOptionBlocks(blocks(reply, a.buttons(reply.Lang))...),
	}
	if m.threadTS != "" {
		opts = append(opts, goslack.MsgOptionTS(m.threadTS))
	}
	if _, _, err := a.post(ctx, m.channel, opts...); err != nil {
		return fmt.Errorf("post answer to %s: %w", m.channel, err)
	}
	return notifyErr
}

var unescaper = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")

// unescape undoes Slack's escaping of &, < and > in message text.
func unescape(s string) string {
	return unescaper.Replace(s)
}
