package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/bot/evaluate"
	"github.com/supportbot/supportbot/bot/match"
	"github.com/supportbot/supportbot/knowledge"
)

func writeJSONLine(w io.Writer, v any) int {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return exitFailure
	}
	return exitOK
}

func cmdChecknum(ctx context.Context, a *app, args []string) int {
	fs := newFlagSet("checknum", "checknum [--json] [--lang zh|en] NUMBER...\n\n"+
		"Checks phone numbers (spaces, dashes, +86/0086/86 and full-width digits are fine) or\n"+
		"3-digit prefixes against the FAQ's prefix table; a number with another country code\n"+
		"(+1, 00852) is not a mainland China mobile number. Exit status 0 when every input was a\n"+
		"valid number or prefix, supported or not; 2 when any was invalid.", a.stderr)
	asJSON := fs.Bool("json", false, "print one JSON object per input")
	lang := fs.String("lang", "zh", "language of the messages (zh or en)")
	if code, done := a.start(fs, args); done {
		return code
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return exitUsage
	}
	if !a.bot.KB().HasTable() {
		fmt.Fprintln(a.stderr, a.bot.Text("no_table", *lang, nil))
		return exitFailure
	}
	code := exitOK
	for _, in := range fs.Args() {
		n := a.bot.CheckNumber(in)
		if !n.Valid {
			code = exitUsage
			n.Error = a.bot.Verdict(n, *lang)
		}
		switch {
		case *asJSON:
			writeJSONLine(a.stdout, n)
		case n.Valid:
			fmt.Fprintln(a.stdout, a.bot.Verdict(n, *lang))
		default:
			fmt.Fprintln(a.stderr, n.Error)
		}
	}
	return code
}

// classifyLine is one line of `supportbot classify` output.
type classifyLine struct {
	Text   string `json:"text"`
	Intent string `json:"intent"`
	// Question is the Chinese question of the entry answered with, ""
	// when none; Step the step or case when one is meant.
	Question   string        `json:"question"`
	Step       int           `json:"step"`
	Confidence float64       `json:"confidence"`
	Lang       string        `json:"lang"`
	Numbers    []numberBrief `json:"numbers"`
	// Clarify are the choices offered when two answers are too close to
	// call, as the bot words them (the questions, or a step's beginning).
	Clarify []string `json:"clarify"`
	// Nearest is the question of the entry nearest to the message.
	Nearest string        `json:"nearest"`
	Scores  []match.Score `json:"scores,omitempty"`
}

type numberBrief struct {
	Input     string `json:"input"`
	Valid     bool   `json:"valid"`
	Prefix    string `json:"prefix"`
	Carrier   string `json:"carrier"`
	Supported bool   `json:"supported"`
}

func cmdClassify(ctx context.Context, a *app, args []string) int {
	fs := newFlagSet("classify [--scores]", "classify\n\n"+
		"Reads one message per line on stdin and writes one JSON object per line, in order:\n"+
		`{"text","intent","question","step","confidence","lang","numbers":[...],"clarify":[...],"nearest"}`+"\n"+
		"(question: the Chinese question of the FAQ entry it would answer with, \"\" for none). No network.", a.stderr)
	scores := fs.Bool("scores", false, "add every intent's score")
	if code, done := a.start(fs, args); done {
		return code
	}
	sc := bufio.NewScanner(a.stdin)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	out := bufio.NewWriter(a.stdout)
	defer out.Flush()
	for sc.Scan() {
		text := sc.Text()
		c := a.bot.Classify(text)
		line := classifyLine{Text: text, Intent: c.Intent, Confidence: c.Confidence, Lang: c.Lang,
			Numbers: []numberBrief{}, Clarify: []string{}}
		line.Question, line.Step = a.bot.Question(c.Intent)
		line.Nearest, _ = a.bot.Question(c.Nearest)
		for _, id := range c.Clarify {
			line.Clarify = append(line.Clarify, a.bot.Label(id, "zh"))
		}
		for _, n := range c.Numbers {
			line.Numbers = append(line.Numbers, numberBrief{n.Input, n.Valid, n.Prefix, n.Carrier, n.Supported})
		}
		if *scores {
			line.Scores = c.Scores
		}
		writeJSONLine(out, line)
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintln(a.stderr, "supportbot classify:", err)
		return exitFailure
	}
	return exitOK
}

func cmdEval(ctx context.Context, a *app, args []string) int {
	fs := newFlagSet("eval", "eval [--json] [--plot FILE.svg] FILE...   or   eval --stories [--json] FILE...\n\n"+
		`Scores the matcher on labelled JSONL files ({"text","intent"} per line), or plays`+"\n"+
		`conversation stories (YAML: a user's messages and what each answer must be).`, a.stderr)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	stories := fs.Bool("stories", false, "the files are conversation stories (YAML), not labelled JSONL")
	plot := fs.String("plot", "", "also draw the confusion matrix (labels by answers) as an SVG image in this file")
	if code, done := a.start(fs, args); done {
		return code
	}
	if *stories {
		if *plot != "" {
			fmt.Fprintln(a.stderr, "supportbot eval: --plot draws labelled sets, not stories")
			return exitUsage
		}
		return runStories(ctx, a, fs.Args(), *asJSON)
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return exitUsage
	}
	var set []evaluate.Labelled
	for _, name := range fs.Args() {
		s, err := readLabelled(name, a.bot.KB())
		if err != nil {
			fmt.Fprintln(a.stderr, "supportbot eval:", err)
			return exitFailure
		}
		set = append(set, s...)
	}
	r := evaluate.Evaluate(a.bot, set)
	if *plot != "" {
		if err := plotMatrix(*plot, r); err != nil {
			fmt.Fprintln(a.stderr, "supportbot eval:", err)
			return exitFailure
		}
	}
	if *asJSON {
		return writeJSONLine(a.stdout, r)
	}
	printEval(a.stdout, r)
	return exitOK
}

// plotMatrix writes r's confusion matrix to the SVG file name.
func plotMatrix(name string, r evaluate.Report) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	caption := fmt.Sprintf("Confusion matrix: %d messages, accuracy %.3f", r.Total, r.Accuracy)
	err = writeMatrixSVG(f, r.Matrix(), caption)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("plot %s: %w", name, err)
	}
	return nil
}

func readLabelled(name string, kb *knowledge.KB) ([]evaluate.Labelled, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var set []evaluate.Labelled
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for line := 1; sc.Scan(); line++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var ex evaluate.Labelled
		if err := json.Unmarshal(sc.Bytes(), &ex); err != nil {
			return nil, fmt.Errorf("%s:%d: %v", name, line, err)
		}
		if err := ex.Resolve(kb); err != nil {
			return nil, fmt.Errorf("%s:%d: %v", name, line, err)
		}
		set = append(set, ex)
	}
	return set, sc.Err()
}

func printEval(w io.Writer, r evaluate.Report) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "intent\tsupport\tpredicted\tprecision\trecall\tf1\t")
	for _, ie := range r.Intents {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.3f\t%.3f\t%.3f\t\n", ie.Intent, ie.Support, ie.Predicted, ie.Precision, ie.Recall, ie.F1)
	}
	tw.Flush()
	fmt.Fprintf(w, "\naccuracy %.3f (%d/%d), macro F1 %.3f\n", r.Accuracy, r.Correct, r.Total, r.MacroF1)
	fmt.Fprintf(w, "in-scope top-1 (the right entry) %.3f (%d/%d)\n", r.EntryAccuracy, r.EntryCorrect, r.InScope)
	fmt.Fprintf(w, "out-of-scope false answers %.3f (%d/%d); with clarify questions %.3f (%d)\n", r.FalseAnswerRate, r.FalseAnswers, r.OutOfScope, r.FalseOrClarifiedRate, r.FalseOrClarified)
	for _, gs := range []struct {
		name string
		list []evaluate.Group
	}{{"language", r.Langs}, {"kind", r.Kinds}} {
		for _, g := range gs.list {
			fmt.Fprintf(w, "  %s %-12s in-scope top-1 %.3f (%d)  false answers with clarify %.3f (%d)\n", gs.name, g.Group, g.EntryAccuracy, g.InScope, g.FalseAnswerRate, g.OutOfScope)
		}
	}
	fmt.Fprintf(w, "answers with clarify candidates %d\n", r.Clarified)
	fmt.Fprintf(w, "would ask the fallback model (when configured) %d\n", r.ToModel)
	if len(r.Confusions) > 0 {
		fmt.Fprintln(w, "\nconfusions (label -> predicted):")
		for _, c := range r.Confusions {
			fmt.Fprintf(w, "  %s -> %s: %d  e.g. %s\n", c.Label, c.Predicted, c.Count, strings.Join(c.Examples, " | "))
		}
	}
}

func cmdKB(args []string, stdout, stderr io.Writer) int {
	const synopsis = "kb export DIR | kb check DIR\n\n" +
		"export writes the built-in faq.zh.md, faq.en.md and intents.yaml to DIR for editing\n" +
		"(run the bot with KB_DIR=DIR to use them); check validates the files in DIR and\n" +
		"exits 1 with file:line errors when anything is wrong."
	fs := newFlagSet("kb", synopsis, stderr)
	if code, done := parse(fs, args); done {
		return code
	}
	if fs.NArg() != 2 {
		fs.Usage()
		return exitUsage
	}
	dir := fs.Arg(1)
	switch fs.Arg(0) {
	case "export":
		files, err := knowledge.Export(dir)
		if err != nil {
			fmt.Fprintln(stderr, "supportbot:", err)
			return exitFailure
		}
		for _, f := range files {
			fmt.Fprintln(stdout, "wrote", f)
		}
		fmt.Fprintf(stdout, "edit them, check with: supportbot kb check %s\nthen run with: KB_DIR=%s supportbot\n", dir, dir)
		return exitOK
	case "check":
		return kbCheck(dir, stdout, stderr)
	}
	fs.Usage()
	return exitUsage
}

func kbCheck(dir string, stdout, stderr io.Writer) int {
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		fmt.Fprintf(stderr, "supportbot: %s is not a folder\n", dir)
		return exitUsage
	}
	kb, err := knowledge.LoadDir(dir)
	if err != nil {
		var ps knowledge.Problems
		if errors.As(err, &ps) {
			for _, p := range ps {
				fmt.Fprintln(stderr, p)
			}
		} else {
			fmt.Fprintln(stderr, "supportbot:", err)
		}
		return exitFailure
	}
	norm, err := match.NewNormalizer()
	if err != nil {
		fmt.Fprintln(stderr, "supportbot:", err)
		return exitFailure
	}
	b, err := bot.New(kb, norm)
	if err != nil {
		fmt.Fprintln(stderr, "supportbot:", err)
		return exitFailure
	}
	if ps := evaluate.CheckExamples(b); len(ps) > 0 {
		for _, p := range ps {
			fmt.Fprintln(stderr, p)
		}
		return exitFailure
	}
	for _, src := range kb.Sources {
		if src.From == knowledge.BuiltIn {
			fmt.Fprintf(stdout, "note: %s is not in %s; the built-in one is used\n", src.Name, dir)
		}
	}
	for _, n := range kb.Notes {
		fmt.Fprintln(stdout, "note:", n)
	}
	warnings := evaluate.CheckRetrieval(b)
	for _, w := range warnings {
		fmt.Fprintln(stdout, "warning:", w)
	}
	examples := 0
	for _, in := range kb.Rules.Intents {
		examples += len(in.Examples) + len(in.Counterexamples)
	}
	fmt.Fprintf(stdout, "ok: %d questions in %d files, %d prefixes, %d intents, %d examples pass, %d warnings (version %s)\n",
		len(kb.ZH.Entries), len(kb.Topics), len(kb.ZH.Prefixes), len(kb.Rules.Intents), examples, len(warnings), kb.Version)
	return exitOK
}

func runStories(ctx context.Context, a *app, files []string, asJSON bool) int {
	if len(files) == 0 {
		fmt.Fprintln(a.stderr, "supportbot eval --stories: name a stories file")
		return exitUsage
	}
	var results []evaluate.StoryResult
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintln(a.stderr, "supportbot eval:", err)
			return exitFailure
		}
		stories, err := evaluate.ParseStories(f)
		f.Close()
		if err != nil {
			fmt.Fprintf(a.stderr, "supportbot eval: %s: %v\n", name, err)
			return exitFailure
		}
		for i, s := range stories {
			results = append(results, evaluate.RunStory(ctx, a.bot, fmt.Sprintf("story-%s-%d", name, i), s))
		}
	}
	passed := 0
	for _, r := range results {
		if r.Passed {
			passed++
		}
	}
	if asJSON {
		writeJSONLine(a.stdout, map[string]any{"passed": passed, "failed": len(results) - passed, "stories": results})
	} else {
		for _, r := range results {
			if r.Passed {
				fmt.Fprintf(a.stdout, "ok    %s\n", r.Name)
			} else {
				fmt.Fprintf(a.stdout, "FAIL  %s: step %d: %s\n      answer: %s\n", r.Name, r.Step, r.Problem, r.Answered)
			}
		}
		fmt.Fprintf(a.stdout, "stories: %d passed, %d failed\n", passed, len(results)-passed)
	}
	if passed != len(results) {
		return exitFailure
	}
	return exitOK
}

// knowledgeTitles names what the knowledge covers: its FAQ files' titles.
func knowledgeTitles(kb *knowledge.KB) string {
	var titles []string
	for _, t := range kb.Topics {
		titles = append(titles, t.TitleEN)
	}
	return strings.Join(titles, "; ")
}
