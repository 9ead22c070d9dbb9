package slack

// Posting to Slack: answers, agent notices and agents' replies, through
// Slack's rate limits.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	goslack "github.com/slack-go/slack"
	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/handlers/internal/textcut"
)

// post sends a message. Slack's rate limit (HTTP 429 with Retry-After)
// pauses every worker of this workspace until it ends, not just the one
// that met it; server errors are retried with a growing wait. An answer is
// kept until PostDeadline, then given up (the job fails and is counted).
func (a *Adapter) post(ctx context.Context, channel string, opts ...goslack.MsgOption) (string, string, error) {
	deadline := time.Now().Add(a.cfg.PostDeadline)
	for attempt := 0; ; attempt++ {
		if err := a.waitPause(ctx, deadline); err != nil {
			return "", "", err
		}
		ch, ts, err := a.api.PostMessageContext(ctx, channel, opts...)
		if err == nil {
			return ch, ts, nil
		}
		var wait time.Duration
		var rl *goslack.RateLimitedError
		var se goslack.StatusCodeError
		switch {
		case errors.As(err, &rl):
			a.pauseFor(max(rl.RetryAfter, 100*time.Millisecond))
		case errors.As(err, &se) && se.Code >= 500:
			wait = min(time.Duration(1<<min(attempt, 5))*500*time.Millisecond, 15*time.Second)
			a.log.Warn("slack: server error", "channel", channel, "status", se.Code, "attempt", attempt+1)
		default:
			return "", "", err // a request Slack refuses will not get better
		}
		if time.Now().Add(wait).After(deadline) {
			return "", "", fmt.Errorf("%w (gave up after %v)", err, a.cfg.PostDeadline)
		}
		select {
		case <-ctx.Done():
			return "", "", fmt.Errorf("%w (gave up waiting: %v)", err, ctx.Err())
		case <-time.After(wait):
		}
	}
}

// pauseFor pauses this workspace's posts for d from now; the first 429 of a
// pause is logged.
func (a *Adapter) pauseFor(d time.Duration) {
	until := time.Now().Add(d).UnixNano()
	for {
		cur := a.pausedUntil.Load()
		if cur >= until {
			return
		}
		if a.pausedUntil.CompareAndSwap(cur, until) {
			if cur < time.Now().UnixNano() {
				a.log.Warn("slack: rate limited, pausing posts", "retry_after", d)
			}
			return
		}
	}
}

// waitPause waits until a rate-limit pause is over; an error when ctx ends
// or the pause lasts past deadline.
func (a *Adapter) waitPause(ctx context.Context, deadline time.Time) error {
	for {
		until := time.Unix(0, a.pausedUntil.Load())
		d := until.Sub(time.Now())
		if d <= 0 {
			return nil
		}
		if until.After(deadline) {
			return fmt.Errorf("rate limited by Slack until %s, past the answer's deadline", until.Format(time.TimeOnly))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("rate limited by Slack, gave up waiting: %w", ctx.Err())
		case <-time.After(d):
		}
	}
}

// WorkCounts returns the work refused (queue full), abandoned at shutdown
// and failed (answers and notices Slack refused or that missed their
// deadline) since the start, for metrics.
func (a *Adapter) WorkCounts() (refused, abandoned, failed int64) {
	c := a.pool.Counts()
	return c.Refused, c.Abandoned, c.Failed
}

// notifyAgents posts a "talk to a person" notice to the agent channel: who
// asked, where, and what (numbers masked). A direct message with the bot
// cannot be opened by agents, so it is named rather than linked.
func (a *Adapter) notifyAgents(ctx context.Context, user, channel, ts, text, handoffID string) error {
	if a.cfg.AgentChannel == "" {
		if !a.cfg.Console {
			a.log.Warn("slack: handoff requested but neither SLACK_AGENT_CHANNEL nor ADMIN_TOKEN (the console) is set", "user", user)
		}
		return nil
	}
	where := "in a direct message with the bot (reply to them directly)"
	if !strings.HasPrefix(channel, "D") {
		link, err := a.api.GetPermalinkContext(ctx, &goslack.PermalinkParameters{Channel: channel, Ts: ts})
		if err != nil {
			a.log.Warn("slack: permalink", "err", err)
			where = "in <#" + channel + ">"
		} else {
			where = "<" + link + "|in this conversation>"
		}
	}
	notice := fmt.Sprintf(":raising_hand: <@%s> asked to talk to a person %s", user, where)
	if text != "" {
		notice += "\n> " + escape(textcut.Truncate(text, 500))
	}
	opts := []goslack.MsgOption{goslack.MsgOptionText(notice, false)}
	if handoffID != "" {
		opts = append(opts, goslack.MsgOptionBlocks(
			goslack.NewSectionBlock(goslack.NewTextBlockObject(goslack.MarkdownType, notice, false, false), nil, nil),
			goslack.NewActionBlock("handoff_actions", button(actionResolve, handoffID, "✅ Resolved: the bot may answer again"))))
	}
	if _, _, err := a.post(ctx, a.cfg.AgentChannel, opts...); err != nil {
		return fmt.Errorf("notify agents in %s: %w", a.cfg.AgentChannel, err)
	}
	return nil
}

// DeliverAgentReply posts what an agent wrote in the admin console to the
// user of a handoff, in the conversation (and thread) the handoff came
// from.
func (a *Adapter) DeliverAgentReply(ctx context.Context, h bot.Handoff, text string) error {
	channel, threadTS, _ := strings.Cut(h.Thread, ":")
	if channel == "" {
		return fmt.Errorf("handoff %s has no Slack conversation", h.ID)
	}
	notice := a.bot.Text("agent_reply", h.Lang, map[string]string{"text": text})
	opts := []goslack.MsgOption{goslack.MsgOptionText(":speech_balloon: "+escape(notice), false)}
	if threadTS != "" {
		opts = append(opts, goslack.MsgOptionTS(threadTS))
	}
	_, _, err := a.post(ctx, channel, opts...)
	return err
}
