package wecom

import (
	"context"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/handlers/internal/textcut"
)

// The self-built app shows clarify choices and 👍/👎 as button_interaction
// template cards; a press comes back as a template_card_event whose
// EventKey is the button's key:
//
//	clarify|N|LANG|INTENT    option N of a clarify question
//	vote|up|LANG|INTENT      👍 on an answer (vote|down: 👎)
//
// 微信客服 has no cards: its customers get the text, as do app users when
// a card cannot be sent.
const (
	keyClarify = "clarify"
	keyVote    = "vote"
)

// Text lengths a card shows in full (longer ones WeCom cuts short).
const (
	cardButtonRunes   = 10
	cardSubtitleRunes = 160
)

// fit shortens s to at most n runes, "…" included.
func fit(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// cardKey is a button's key, read.
type cardKey struct {
	kind, arg, lang, intent string
}

func (k cardKey) String() string { return strings.Join([]string{k.kind, k.arg, k.lang, k.intent}, "|") }

func parseCardKey(s string) (cardKey, bool) {
	p := strings.SplitN(s, "|", 4)
	if len(p) != 4 || p[3] == "" {
		return cardKey{}, false
	}
	k := cardKey{p[0], p[1], p[2], p[3]}
	switch {
	case k.kind == keyVote && (k.arg == "up" || k.arg == "down"):
	case k.kind == keyClarify && k.arg != "" && strings.Trim(k.arg, "0123456789") == "":
	default:
		return cardKey{}, false
	}
	return k, true
}

// cardsOn reports whether answers may come with cards: they are app
// messages (message/send).
func (a *Adapter) cardsOn() bool { return a.cfg.AgentID != 0 && a.cfg.Secret != "" }

// taskID names a new card; WeCom wants it unique per app.
func (a *Adapter) taskID() (string, error) {
	b := make([]byte, 12)
	if _, err := io.ReadFull(a.random, b); err != nil {
		return "", err
	}
	return "sb-" + hex.EncodeToString(b), nil
}

// clarifyLater queues a clarify question as a card of its options. False
// when the reply has no options, cards are off or the queue is full: then
// the question goes as text.
func (a *Adapter) clarifyLater(user string, r bot.Reply) bool {
	if len(r.Clarify) == 0 || !a.cardsOn() {
		return false
	}
	if !a.later("clarify card", func(ctx context.Context) error { a.sendClarify(ctx, user, r); return nil }) {
		a.pool.Refused("queue full, clarify choices sent as text")
		return false
	}
	return true
}

// sendClarify sends the card of a clarify question, or its text when the
// card cannot be made or is refused.
func (a *Adapter) sendClarify(ctx context.Context, user string, r bot.Reply) {
	card, err := a.clarifyCard(r)
	if err == nil {
		if err = a.api.SendCard(ctx, a.cfg.Secret, a.cfg.AgentID, user, card); err == nil {
			return
		}
	}
	a.log.Warn("wecom: clarify card not sent, sending the choices as text", "user", user, "err", err)
	a.sendApp(ctx, user, r.Markdown())
}

func (a *Adapter) clarifyCard(r bot.Reply) (TemplateCard, error) {
	if len(r.Clarify) > maxCardButtons {
		return TemplateCard{}, errors.New("more options than a card has buttons")
	}
	id, err := a.taskID()
	if err != nil {
		return TemplateCard{}, err
	}
	card := TemplateCard{CardType: "button_interaction", TaskID: id, MainTitle: &CardTitle{Title: a.bot.Text("clarify_card", r.Lang, nil)}}
	var lines []string
	for i, o := range r.Clarify {
		n := strconv.Itoa(i + 1)
		key := cardKey{keyClarify, n, r.Lang, o.Intent}.String()
		if len(key) > maxCardKey {
			return TemplateCard{}, errors.New("an option's id is too long for a button")
		}
		label := n + ". " + strings.TrimSpace(o.Label)
		lines = append(lines, label)
		card.ButtonList = append(card.ButtonList, CardButton{Text: fit(label, cardButtonRunes), Style: 1, Key: key})
	}
	card.SubTitleText = fit(strings.Join(lines, "\n"), cardSubtitleRunes)
	return card, nil
}

// votable reports whether an answer gets a 👍/👎 card: an answer from the
// FAQ, as on the other channels, where votes are kept.
func (a *Adapter) votable(r bot.Reply) bool {
	return r.Source != nil && !r.Handoff && a.cfg.Feedback != nil && a.cardsOn()
}

// voteAfter queues the 👍/👎 card of an answer just written to w as a
// passive reply; the reply is flushed first, so the card comes after it.
func (a *Adapter) voteAfter(w http.ResponseWriter, user string, r bot.Reply) {
	if !a.votable(r) {
		return
	}
	http.NewResponseController(w).Flush()
	if !a.later("feedback card", func(ctx context.Context) error { a.sendVote(ctx, user, r); return nil }) {
		a.pool.Refused("queue full, answer sent without its feedback card")
	}
}

// sendVote sends the 👍/👎 card of an answer; without it the answer
// stands as it is.
func (a *Adapter) sendVote(ctx context.Context, user string, r bot.Reply) {
	if !a.votable(r) {
		return
	}
	up, down := cardKey{keyVote, "up", r.Lang, r.Intent}.String(), cardKey{keyVote, "down", r.Lang, r.Intent}.String()
	if len(up) > maxCardKey || len(down) > maxCardKey {
		return
	}
	id, err := a.taskID()
	if err == nil {
		err = a.api.SendCard(ctx, a.cfg.Secret, a.cfg.AgentID, user, TemplateCard{
			CardType: "button_interaction", TaskID: id, MainTitle: &CardTitle{Title: a.bot.Text("feedback_ask", r.Lang, nil)},
			ButtonList: []CardButton{
				{Text: a.bot.Text("feedback_helpful", r.Lang, nil), Style: 1, Key: up},
				{Text: a.bot.Text("feedback_not_helpful", r.Lang, nil), Style: 2, Key: down},
			},
		})
	}
	if err != nil {
		a.log.Warn("wecom: feedback card not sent", "user", user, "err", err)
	}
}

// cardEvent takes the press of a card's button, once per card (WeCom
// retries a callback it got no answer to): the clarify option is answered
// as if its number were typed, a vote is recorded. The work is queued;
// false means it was not, and WeCom should send the press again.
func (a *Adapter) cardEvent(ctx context.Context, m message) bool {
	k, ok := parseCardKey(m.EventKey)
	if !ok || m.FromUserName == "" {
		a.log.Warn("wecom: template card event with a key the bot did not make", "key", textcut.Truncate(m.EventKey, 60))
		return true
	}
	key := "wecom:card:" + m.FromUserName + ":" + m.TaskID
	first, err := a.dedup.FirstSeen(ctx, key, a.cfg.DedupTTL)
	if err != nil {
		a.log.Warn("wecom: dedup unavailable, taking the press anyway", "err", err)
		first = true
	}
	if !first {
		a.log.Debug("wecom: card already pressed", "task", m.TaskID)
		return true
	}
	user, code := m.FromUserName, m.ResponseCode
	if !a.later("card "+k.kind, func(ctx context.Context) error { a.pressed(ctx, user, code, k); return nil }) {
		a.pool.Refused("queue full, asking WeCom to send the card press again")
		if err := a.dedup.Forget(ctx, key); err != nil {
			a.log.Error("wecom: dedup forget", "err", err)
		}
		return false
	}
	return true
}

// pressed carries out one button press.
func (a *Adapter) pressed(ctx context.Context, user, responseCode string, k cardKey) {
	switch k.kind {
	case keyVote:
		if a.cfg.Feedback == nil {
			return // votes were turned off since the card was sent
		}
		f := bot.Feedback{Channel: "wecom", User: user, Intent: k.intent, Helpful: k.arg == "up", At: a.now()}
		if err := a.cfg.Feedback.SaveFeedback(ctx, f); err != nil {
			a.log.Error("wecom: save feedback", "err", err)
			return
		}
		thanks := a.bot.Text("feedback_thanks", k.lang, nil)
		if !a.updateCard(ctx, user, responseCode, thanks) {
			if err := a.api.SendApp(ctx, a.cfg.Secret, a.cfg.AgentID, user, "text", thanks); err != nil {
				a.log.Error("wecom: message/send", "user", user, "err", err)
			}
		}
	case keyClarify:
		a.updateCard(ctx, user, responseCode, a.bot.Text("card_chosen", k.lang, nil))
		reply := a.bot.Respond(ctx, bot.Message{Channel: "wecom", User: user, Text: k.arg, Choice: k.intent, Lang: k.lang})
		if reply.Silent {
			return // an agent has this conversation
		}
		if reply.Handoff && !a.handoff("企业微信", user, k.arg, reply.Lang, reply.HandoffID) {
			reply = a.bot.HandoffFailed(ctx, reply) // nobody was told: the bot keeps answering
		}
		if err := a.sendApp(ctx, user, reply.Markdown()); err != nil {
			a.log.Error("wecom: "+err.Error(), "user", user)
			return
		}
		a.sendVote(ctx, user, reply)
	}
}

// updateCard turns the pressed card's buttons into one saying name, so it
// is not pressed again; false when WeCom refused.
func (a *Adapter) updateCard(ctx context.Context, user, responseCode, name string) bool {
	if responseCode == "" {
		return false
	}
	if err := a.api.UpdateCardButton(ctx, a.cfg.Secret, a.cfg.AgentID, user, responseCode, fit(name, cardButtonRunes)); err != nil {
		a.log.Warn("wecom: update template card", "user", user, "err", err)
		return false
	}
	return true
}
