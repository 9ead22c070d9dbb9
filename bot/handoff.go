package bot

import (
	"context"
	"slices"
	"time"
)

// The handoff policy, in one place: the bot opens a handoff only when an
// agent desk sees the channel it comes from (the Slack agent channel, the
// WeCom group robot, the admin console), and otherwise answers itself that
// no person is available here, in the user's language. A desk whose notice
// fails later calls RefuseHandoff, and the channel answers with
// HandoffFailed.

// Desk is where agents see handoffs and answer them.
type Desk interface {
	// Sees reports whether agents at the desk see, and can answer, the
	// handoffs of channel ("slack", "wecom", "web", ...).
	Sees(channel string) bool
}

// Desks is a fixed set of channels a desk sees.
type Desks []string

// Sees implements Desk.
func (d Desks) Sees(channel string) bool { return slices.Contains(d, channel) }

// WithDesks says where agents see handoffs; a request for a person from a
// channel no desk sees is answered "no agent available". Without this
// option every handoff is opened (for embedding and tests).
func WithDesks(desks ...Desk) BotOption {
	return func(b *Bot) { b.desks, b.hasDesks = desks, true }
}

// Requests a channel's buttons make of the bot (Message.Request).
const (
	// RequestHandoff is the "talk to a person" button: the conversation
	// goes to a person, with the question asked before it.
	RequestHandoff = "handoff"
)

// seen reports whether a handoff from msg would reach a person.
func (b *Bot) seen(msg Message) bool {
	if msg.Unreachable {
		return false
	}
	if !b.hasDesks {
		return true
	}
	for _, d := range b.desks {
		if d.Sees(msg.Channel) {
			return true
		}
	}
	return false
}

// openHandoff opens the handoff r asks for, when a desk sees it, and
// records it in st; otherwise r becomes the "no agent available" answer.
func (b *Bot) openHandoff(ctx context.Context, msg Message, st *State, r Reply) Reply {
	if !b.seen(msg) {
		return b.unavailable(r, "handoff_unavailable")
	}
	if b.handoffs == nil {
		return r
	}
	asked := r.Asked
	if msg.Request == RequestHandoff && len(st.History) > 0 {
		// The "talk to a person" button: the agent wants the question.
		asked = st.History[len(st.History)-1].User
	}
	ho := Handoff{ID: newID(), Channel: msg.Channel, User: msg.User, Thread: msg.Thread, Asked: asked, Lang: r.Lang,
		Opened: time.Now(), Until: time.Now().Add(b.handoffTTL)}
	if err := b.handoffs.Open(ctx, ho); err != nil {
		b.warn("open handoff", err)
		return r
	}
	st.HandoffID, r.HandoffID = ho.ID, ho.ID
	if b.observer != nil {
		b.observer.HandoffOpened(msg.Channel)
	}
	return r
}

// unavailable is r turned into the knowledge's message name, in r's
// language and script, with no handoff.
func (b *Bot) unavailable(r Reply, name string) Reply {
	out := b.cur.Load().message(r.Intent, name, r.Lang)
	out.Confidence, out.Asked = r.Confidence, r.Asked
	if r.Traditional {
		b.traditional(&out)
	}
	return out
}

// HandoffFailed ends the handoff of r, whose notice reached no agent (the
// desk's post failed), and returns the answer the user gets instead: the
// support team could not be reached.
func (b *Bot) HandoffFailed(ctx context.Context, r Reply) Reply {
	if err := b.RefuseHandoff(ctx, r.HandoffID); err != nil && err != ErrNoHandoff {
		b.warn("end a handoff nobody was told of", err)
	}
	return b.unavailable(r, "handoff_failed")
}
