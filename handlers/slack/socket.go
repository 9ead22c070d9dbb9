package slack

import (
	"context"

	goslack "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// Acker acknowledges Socket Mode envelopes; *socketmode.Client is one.
type Acker interface {
	Ack(req socketmode.Request, payload ...any) error
}

var _ Acker = (*socketmode.Client)(nil)

// RunSocketMode serves the workspace over a Socket Mode connection until
// ctx ends: the same events, commands and buttons as over HTTP, with no
// public URL. The client reconnects on its own.
func (a *Adapter) RunSocketMode(ctx context.Context, c *socketmode.Client) error {
	a.socket.Store(socketConnecting)
	errc := make(chan error, 1)
	go func() { errc <- c.RunContext(ctx) }()
	for {
		select {
		case err := <-errc:
			return err
		case evt := <-c.Events:
			a.socketEvent(ctx, evt, c)
		}
	}
}

// socketEvent handles one Socket Mode event. An envelope is acked once it
// is taken; one that could not be taken is left unacked so Slack sends it
// again.
func (a *Adapter) socketEvent(ctx context.Context, evt socketmode.Event, ack Acker) {
	switch evt.Type {
	case socketmode.EventTypeConnecting:
		a.socket.Store(socketConnecting)
		return
	case socketmode.EventTypeConnected:
		a.socket.Store(socketConnected)
		a.log.Info("slack: socket mode connected")
		return
	case socketmode.EventTypeConnectionError, socketmode.EventTypeInvalidAuth:
		a.socket.Store(socketConnecting)
		a.log.Error("slack: socket mode not connected", "type", evt.Type, "data", evt.Data)
		return
	}
	if evt.Request == nil {
		return
	}
	ackWith := func(payload ...any) {
		if err := ack.Ack(*evt.Request, payload...); err != nil {
			a.log.Error("slack: socket mode ack", "envelope", evt.Request.EnvelopeID, "err", err)
		}
	}
	switch evt.Type {
	case socketmode.EventTypeEventsAPI:
		ev, ok := evt.Data.(slackevents.EventsAPIEvent)
		if !ok {
			ackWith()
			return
		}
		if err := a.event(ctx, ev); err != nil {
			return
		}
		ackWith()
	case socketmode.EventTypeSlashCommand:
		cmd, ok := evt.Data.(goslack.SlashCommand)
		if !ok {
			ackWith()
			return
		}
		ackWith(a.command(ctx, cmd))
	case socketmode.EventTypeInteractive:
		cb, ok := evt.Data.(goslack.InteractionCallback)
		if ok && !a.interaction(cb) {
			return
		}
		ackWith()
	default:
		ackWith()
	}
}

// Socket Mode's connection, as the client's events tell it.
const (
	socketOff        = iota // Socket Mode is not in use
	socketConnecting        // connecting, or the connection failed and is tried again
	socketConnected
)

// SocketDown reports whether Socket Mode is in use but not connected, so
// that no event can arrive; for readiness.
func (a *Adapter) SocketDown() bool { return a.socket.Load() == socketConnecting }
