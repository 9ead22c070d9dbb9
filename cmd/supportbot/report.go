package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/bot/match"
)

func cmdReport(ctx context.Context, a *app, args []string) int {
	fs := newFlagSet("report", "report [--json] [--since 7d] [--top 10]\n\n"+
		"Summarises the exchange log (PostgreSQL with DATABASE_URL, else DATA_DIR; it can run\n"+
		"while the bot does): the questions\n"+
		"the bot could not answer and those it answered with low confidence (grouped after\n"+
		"normalisation), intents by volume, helpfulness from feedback, and handoffs.", a.stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	sinceFlag := fs.String("since", "7d", "how far back: a duration such as 24h or 30d")
	top := fs.Int("top", 10, "questions listed per section")
	if code, done := parse(fs, args); done {
		return code
	}
	since, err := parseDuration(*sinceFlag)
	if err != nil || since <= 0 {
		fmt.Fprintf(a.stderr, "supportbot report: --since must be a duration such as 7d or 24h, got %q\n", *sinceFlag)
		return exitUsage
	}
	if _, err := os.Stat(filepath.Join(a.cfg.DataDir, "supportbot.db")); err != nil && a.cfg.DatabaseURL == "" {
		fmt.Fprintf(a.stderr, "supportbot report: no exchange log in DATA_DIR=%s yet (the bot writes it while serving)\n", a.cfg.DataDir)
		return exitFailure
	}
	store, err := a.openStore(ctx)
	if err != nil {
		fmt.Fprintln(a.stderr, "supportbot report:", err)
		return exitFailure
	}
	defer store.Close()
	norm, err := match.NewNormalizer()
	if err != nil {
		fmt.Fprintln(a.stderr, "supportbot report:", err)
		return exitFailure
	}
	lowBar, nearest := a.reportReaders(norm)
	// Questions that differ only in spacing, punctuation, case or script
	// are one question.
	group := func(s string) string { return strings.ReplaceAll(norm.Normalize(s), " ", "") }
	r, err := store.Report(ctx, time.Now().Add(-since), group, nearest, lowBar, *top)
	if err != nil {
		fmt.Fprintln(a.stderr, "supportbot report:", err)
		return exitFailure
	}
	if *asJSON {
		return writeJSONLine(a.stdout, r)
	}
	printReport(a.stdout, r, lowBar)
	return exitOK
}

// reportReaders are what the report reads the log with, from the knowledge
// in service: the confidence under which an answer is low, and the FAQ
// entry nearest to a question (nil without the knowledge).
func (a *app) reportReaders(norm *match.Normalizer) (lowBar float64, nearest func(string) string) {
	lowBar = 0.65
	if kb, err := a.loadKnowledge(); err == nil {
		lowBar = kb.Rules.Settings.Threshold + 0.15
		if b, err := bot.New(kb, norm); err == nil {
			nearest = b.Nearest
		}
	}
	return lowBar, nearest
}

// printReport writes r for people: the totals, then each list.
func printReport(w io.Writer, r bot.Report, lowBar float64) {
	fmt.Fprintf(w, "since %s: %d messages, %d handoffs, %d fallback-model calls\n", r.Since.Format("2006-01-02 15:04"), r.Messages, r.Handoffs, r.FallbackCalls)
	if r.Feedback > 0 {
		fmt.Fprintf(w, "helpful: %.1f%% of %d votes\n", r.HelpfulPercent, r.Feedback)
	} else {
		fmt.Fprintln(w, "helpful: no votes yet")
	}
	printQuestions(w, "top unanswered questions (count, one way it was asked):", r.Unanswered, false)
	if len(r.ByNearest) > 0 {
		fmt.Fprintln(w, "\nunanswered questions by the FAQ entry nearest to them (add an also: phrasing there, or a new entry):")
		for _, g := range r.ByNearest {
			entry := g.Entry
			if entry == "" {
				entry = "(no entry near)"
			}
			fmt.Fprintf(w, "  %d  %s\n", g.Count, entry)
			for _, q := range g.Examples {
				fmt.Fprintf(w, "       %d  %s\n", q.Count, q.Text)
			}
		}
	}
	printQuestions(w, fmt.Sprintf("low-confidence answers (under %.2f: count, intent, confidence, question):", lowBar), r.LowConfidence, true)
	fmt.Fprintln(w, "\nintents by volume:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, ic := range r.Intents {
		fmt.Fprintf(tw, "  %s\t%d\n", ic.Intent, ic.Count)
	}
	tw.Flush()
}

// printQuestions writes one list of the report under its title.
func printQuestions(w io.Writer, title string, qs []bot.Asked, showIntent bool) {
	fmt.Fprintf(w, "\n%s\n", title)
	if len(qs) == 0 {
		fmt.Fprintln(w, "  (none)")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, q := range qs {
		if showIntent {
			fmt.Fprintf(tw, "  %d\t%s\t%.2f\t%s\n", q.Count, q.Intent, q.Confidence, q.Text)
		} else {
			fmt.Fprintf(tw, "  %d\t%s\n", q.Count, q.Text)
		}
	}
	tw.Flush()
}
