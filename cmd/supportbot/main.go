// Command supportbot is a customer-support chatbot that answers from an FAQ
// written in Markdown. With no arguments it serves the chat API;
// subcommands ask, chat, check numbers, classify, evaluate and manage the
// knowledge.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
