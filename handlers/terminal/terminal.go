// Package terminal is the chat adapter for a terminal: one message per
// line in, the plain-text answer out.
package terminal

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/supportbot/supportbot/bot"
)

// Responder answers one message; *bot.Bot is one.
type Responder interface {
	Respond(ctx context.Context, msg bot.Message) bot.Reply
}

// Chat reads messages from in until EOF, "exit" or ctx ends, and writes
// each answer to out. prompt is shown before each message when not empty.
func Chat(ctx context.Context, b Responder, in io.Reader, out io.Writer, user, prompt string) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for {
		if prompt != "" {
			fmt.Fprint(out, prompt)
		}
		if !sc.Scan() {
			break
		}
		if ctx.Err() != nil {
			return nil
		}
		line := strings.TrimSpace(sc.Text())
		switch strings.ToLower(line) {
		case "exit", "quit", "/exit", "/quit", "退出":
			return nil
		case "":
			continue
		}
		reply := b.Respond(ctx, bot.Message{Channel: "terminal", User: user, Text: line})
		if reply.Silent {
			fmt.Fprintf(out, "(handed to a person: %s)\n\n", reply.HandoffID)
			continue
		}
		fmt.Fprintf(out, "%s\n\n", reply.PlainText())
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read chat input: %w", err)
	}
	return nil
}
