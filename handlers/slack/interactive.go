package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	goslack "github.com/slack-go/slack"
	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/handlers/internal/workq"
)

func (a *Adapter) handleInteractive(w http.ResponseWriter, r *http.Request) {
	body, ok := a.readVerified(w, r)
	if !ok {
		return
	}
	form, err := url.ParseQuery(string(body))
	var cb goslack.InteractionCallback
	if err == nil {
		err = json.Unmarshal([]byte(form.Get("payload")), &cb)
	}
	if err != nil {
		a.log.Warn("slack: malformed interaction payload", "err", err)
		http.Error(w, "malformed payload", http.StatusBadRequest)
		return
	}
	if a.replayed(r.Context(), r) {
		w.WriteHeader(http.StatusOK) // taken the first time
		return
	}
	if !a.interaction(cb) {
		a.forgetRequest(r.Context(), r) // not taken: the same request may come again
		http.Error(w, "busy, retry", http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// interaction queues the work for each button pressed; false when it could
// not be queued.
func (a *Adapter) interaction(cb goslack.InteractionCallback) bool {
	if cb.Type != goslack.InteractionTypeBlockActions {
		return true
	}
	for _, act := range cb.ActionCallback.BlockActions {
		act := *act
		if !a.pool.Add(workq.Job{Name: "button " + act.ActionID, Run: func(ctx context.Context) error { return a.action(ctx, cb, act) }}) {
			a.pool.Refused("queue full, button presses not handled")
			return false
		}
	}
	return true
}

// action carries out one button press.
func (a *Adapter) action(ctx context.Context, cb goslack.InteractionCallback, act goslack.BlockAction) error {
	channel := cb.Container.ChannelID
	if channel == "" {
		channel = cb.Channel.ID
	}
	// value is "intent|lang": the intent may be an FAQ question.
	value, lang := act.Value, ""
	if i := strings.LastIndexByte(act.Value, '|'); i >= 0 {
		value, lang = act.Value[:i], act.Value[i+1:]
	}
	switch {
	case act.ActionID == actionHelpful || act.ActionID == actionNotHelpful:
		helpful := act.ActionID == actionHelpful
		if err := a.feedback.SaveFeedback(ctx, bot.Feedback{Channel: "slack", User: cb.User.ID, Intent: value, Helpful: helpful, At: a.now()}); err != nil {
			return fmt.Errorf("save feedback: %w", err)
		}
		return a.respond(ctx, cb.ResponseURL, a.bot.Text("feedback_thanks", lang, nil))
	case act.ActionID == actionHandoff:
		// value is "lang|question", the question masked when the button was made.
		lang, question, _ := strings.Cut(act.Value, "|")
		ts := cb.Container.MessageTs
		if cb.Message.ThreadTimestamp != "" {
			ts = cb.Message.ThreadTimestamp
		}
		// The same conversation key as the answer the button is under.
		// The button's language is the answer's: the conversation's, even
		// when its state is gone.
		reply := a.bot.Respond(ctx, bot.Message{Channel: "slack", User: cb.User.ID, Thread: channel + ":" + cb.Container.ThreadTs,
			Request: bot.RequestHandoff, Lang: lang})
		if reply.Silent { // pressed again: a person has the conversation already
			return a.respond(ctx, cb.ResponseURL, a.bot.Text("handoff_notified", lang, nil))
		}
		if !reply.Handoff { // no agent sees Slack's handoffs: the bot said so
			return a.respond(ctx, cb.ResponseURL, reply.PlainText())
		}
		if err := a.notifyAgents(ctx, cb.User.ID, channel, ts, question, reply.HandoffID); err != nil && !a.cfg.Console {
			a.respond(ctx, cb.ResponseURL, a.bot.HandoffFailed(ctx, reply).PlainText())
			return err
		}
		return a.respond(ctx, cb.ResponseURL, a.bot.Text("handoff_notified", lang, nil))
	case act.ActionID == actionPost:
		reply := a.bot.Respond(ctx, bot.Message{Channel: "slack", User: cb.User.ID, Text: act.Value})
		bs := goslack.Blocks{BlockSet: blocks(reply, a.buttons(reply.Lang))}
		if err := a.webhook(ctx, cb.ResponseURL, &goslack.WebhookMessage{
			ResponseType: "in_channel", Text: escape(reply.PlainText()), Blocks: &bs,
		}); err != nil {
			return err
		}
		// The ephemeral preview has done its job.
		return a.webhook(ctx, cb.ResponseURL, &goslack.WebhookMessage{DeleteOriginal: true})
	case act.ActionID == actionResolve:
		if !a.mayResolve(cb.User.ID, channel) {
			a.log.Warn("slack: resolve refused: not an agent", "user", cb.User.ID)
			return a.respond(ctx, cb.ResponseURL, "Only agents can resolve handoffs.")
		}
		if err := a.bot.Resolve(ctx, act.Value); err != nil {
			return a.respond(ctx, cb.ResponseURL, "This handoff was already resolved or has lapsed.")
		}
		return a.webhook(ctx, cb.ResponseURL, &goslack.WebhookMessage{ReplaceOriginal: true,
			Text: fmt.Sprintf(":white_check_mark: Resolved by <@%s>; the bot answers this user again.", cb.User.ID)})
	case strings.HasPrefix(act.ActionID, actionClarify):
		reply := a.bot.AnswerIntent(value, lang)
		bs := goslack.Blocks{BlockSet: blocks(reply, a.buttons(reply.Lang))}
		thread := cb.Container.ThreadTs
		if thread == "" && !strings.HasPrefix(channel, "D") {
			thread = cb.Container.MessageTs
		}
		// Through response_url, which works where the bot is not a member.
		return a.webhook(ctx, cb.ResponseURL, &goslack.WebhookMessage{
			ResponseType: "in_channel", Text: escape(reply.PlainText()), Blocks: &bs, ThreadTimestamp: thread,
		})
	}
	a.log.Warn("slack: unknown button", "action", act.ActionID)
	return nil
}

// respond sends an ephemeral follow-up through a response_url.
func (a *Adapter) respond(ctx context.Context, responseURL, text string) error {
	return a.webhook(ctx, responseURL, &goslack.WebhookMessage{ResponseType: "ephemeral", Text: text})
}

func (a *Adapter) webhook(ctx context.Context, responseURL string, msg *goslack.WebhookMessage) error {
	if responseURL == "" {
		return fmt.Errorf("interaction has no response_url")
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := goslack.PostWebhookCustomHTTPContext(ctx, responseURL, a.http, msg); err != nil {
		// The URL is a credential: say what failed, not where.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("post to response_url: %v", err)
	}
	return nil
}
