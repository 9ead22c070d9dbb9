package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/supportbot/supportbot/bot/evaluate"
	"github.com/supportbot/supportbot/bot/phone"
	"github.com/supportbot/supportbot/handlers/web"
	"github.com/supportbot/supportbot/knowledge"
)

// result is what one run of the program left behind.
type result struct {
	code           int
	stdout, stderr string
}

// runWith runs the program with args, the environment env and stdin.
func runWith(t *testing.T, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	// run merges a .env file from the working folder into the environment;
	// one here would make these tests depend on the machine.
	if _, err := os.Stat(".env"); err == nil {
		t.Fatal("cmd/supportbot/.env exists; remove it, tests must not depend on it")
	}
	getenv := func(k string) string { return env[k] }
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), args, getenv, strings.NewReader(stdin), &stdout, &stderr)
	return result{code, stdout.String(), stderr.String()}
}

// runOK runs the program and fails the test unless it exits 0.
func runOK(t *testing.T, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	r := runWith(t, env, stdin, args...)
	if r.code != exitOK {
		t.Fatalf("supportbot %q: exit %d, want 0\nstdout:\n%s\nstderr:\n%s", args, r.code, r.stdout, r.stderr)
	}
	return r
}

// jsonLines decodes each line of out into a T.
func jsonLines[T any](t *testing.T, out string) []T {
	t.Helper()
	var got []T
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("line %q is not JSON: %v", sc.Text(), err)
		}
		got = append(got, v)
	}
	return got
}

// keys returns the field names of a JSON object.
func keys(t *testing.T, line []byte) []string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(line, &m); err != nil {
		t.Fatalf("%s is not a JSON object: %v", line, err)
	}
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

var sortStrings = cmpopts.SortSlices(func(a, b string) bool { return a < b })

func TestRunVersion(t *testing.T) {
	t.Parallel()
	r := runOK(t, nil, "", "version")
	if !strings.HasPrefix(r.stdout, "supportbot ") || !strings.Contains(r.stdout, "built-in knowledge ") {
		t.Errorf("stdout = %q, want \"supportbot VERSION (..., built-in knowledge HASH)\"", r.stdout)
	}
}

func TestRunAsk(t *testing.T) {
	t.Parallel()

	t.Run("text prints the FAQ answer", func(t *testing.T) {
		t.Parallel()
		r := runOK(t, nil, "", "ask", "收不到短信咋办")
		for _, want := range []string{"没有收到管局发送的核验短信怎么办？", "手机管家", "短信重发 (https://"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("stdout does not contain %q:\n%s", want, r.stdout)
			}
		}
	})

	t.Run("json prints the API answer", func(t *testing.T) {
		t.Parallel()
		r := runOK(t, nil, "", "ask", "--json", "收不到短信咋办")
		got := jsonLines[web.ChatResponse](t, r.stdout)
		if len(got) != 1 {
			t.Fatalf("got %d JSON lines, want 1:\n%s", len(got), r.stdout)
		}
		if got[0].Intent != "sms_missing" {
			t.Errorf("intent = %q, want sms_missing", got[0].Intent)
		}
	})

	t.Run("no text is a usage error", func(t *testing.T) {
		t.Parallel()
		r := runWith(t, nil, "", "ask")
		if r.code != exitUsage {
			t.Errorf("exit %d, want %d", r.code, exitUsage)
		}
	})

	t.Run("knowledge from KB_DIR answers", func(t *testing.T) {
		t.Parallel()
		dir := exportKB(t)
		r := runOK(t, map[string]string{"KB_DIR": dir}, "", "ask", "收不到短信咋办")
		if !strings.Contains(r.stdout, "短信重发") {
			t.Errorf("stdout does not contain the FAQ answer:\n%s", r.stdout)
		}
	})
}

func TestRunChecknum(t *testing.T) {
	t.Parallel()

	t.Run("json prints one object per input and fails on an invalid one", func(t *testing.T) {
		t.Parallel()
		inputs := []string{"13812345678", "+86 138-1234-5678", "１３８１２３４５６７８", "192", "12345"}
		r := runWith(t, nil, "", append([]string{"checknum", "--json"}, inputs...)...)
		if r.code != exitUsage {
			t.Errorf("exit %d, want %d because 12345 is invalid; stderr %s", r.code, exitUsage, r.stderr)
		}
		lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
		if len(lines) != len(inputs) {
			t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(inputs), r.stdout)
		}
		wantKeys := []string{"input", "valid", "normalized", "prefix", "carrier", "supported", "error"}
		for _, l := range lines {
			if diff := cmp.Diff(wantKeys, keys(t, []byte(l)), sortStrings); diff != "" {
				t.Errorf("fields of %s (-want +got):\n%s", l, diff)
			}
		}
		mobile := phone.Number{Valid: true, Normalized: "13812345678", Prefix: "138", Carrier: "移动", Supported: true}
		want := []phone.Number{mobile, mobile, mobile,
			{Input: "192", Valid: true, Normalized: "192", Prefix: "192", Supported: false},
			{Input: "12345", Valid: false},
		}
		for i, in := range inputs[:3] {
			want[i].Input = in
		}
		got := jsonLines[phone.Number](t, r.stdout)
		// The error is a sentence for people; that it is there is the contract.
		for i := range got {
			if hasErr := got[i].Error != ""; hasErr == got[i].Valid {
				t.Errorf("%q: valid %v with error %q, want an error exactly when invalid", got[i].Input, got[i].Valid, got[i].Error)
			}
		}
		if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(phone.Number{}, "Error")); diff != "" {
			t.Errorf("numbers mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("all valid exits 0 with a verdict each", func(t *testing.T) {
		t.Parallel()
		r := runOK(t, nil, "", "checknum", "13812345678", "192")
		lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
		if len(lines) != 2 {
			t.Fatalf("got %d lines, want 2:\n%s", len(lines), r.stdout)
		}
		if !strings.HasPrefix(lines[0], "138****5678") || !strings.Contains(lines[1], "192") {
			t.Errorf("verdicts do not name the masked number and the prefix:\n%s", r.stdout)
		}
	})

	t.Run("a number with another country code is invalid", func(t *testing.T) {
		t.Parallel()
		r := runWith(t, nil, "", "checknum", "+1 415 555 0100")
		if r.code != exitUsage {
			t.Errorf("exit %d, want %d", r.code, exitUsage)
		}
		if r.stdout != "" || !strings.Contains(r.stderr, "+1") || strings.Contains(r.stderr, "141") {
			t.Errorf("stdout %q stderr %q, want a reason naming +1 on stderr only, not prefix 141", r.stdout, r.stderr)
		}
	})

	t.Run("invalid input explains on stderr", func(t *testing.T) {
		t.Parallel()
		r := runWith(t, nil, "", "checknum", "12345")
		if r.code != exitUsage {
			t.Errorf("exit %d, want %d", r.code, exitUsage)
		}
		if r.stdout != "" || !strings.Contains(r.stderr, "12345") {
			t.Errorf("stdout %q stderr %q, want the reason for 12345 on stderr only", r.stdout, r.stderr)
		}
	})
}

func TestRunClassify(t *testing.T) {
	t.Parallel()
	in := []string{"收不到短信咋办", "1381234567 收不到", "hello"}
	r := runOK(t, nil, strings.Join(in, "\n")+"\n", "classify")
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) != len(in) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(in), r.stdout)
	}
	wantKeys := []string{"text", "intent", "question", "step", "confidence", "lang", "numbers", "clarify", "nearest"}
	for _, l := range lines {
		if diff := cmp.Diff(wantKeys, keys(t, []byte(l)), sortStrings); diff != "" {
			t.Errorf("fields of %s (-want +got):\n%s", l, diff)
		}
	}
	got := jsonLines[classifyLine](t, r.stdout)
	if got[0].Question != "没有收到管局发送的核验短信怎么办？" || got[1].Step != 4 || got[2].Question != "" {
		t.Errorf("questions and steps: %+v", got)
	}
	var texts []string
	for _, l := range got {
		texts = append(texts, l.Text)
	}
	if diff := cmp.Diff(in, texts); diff != "" {
		t.Errorf("texts out of order (-want +got):\n%s", diff)
	}
	if got[0].Intent != "sms_missing" || got[0].Lang != "zh" {
		t.Errorf("line 1: intent %q lang %q, want sms_missing zh", got[0].Intent, got[0].Lang)
	}
	wantNums := []numberBrief{{Input: "1381234567", Valid: false}}
	if diff := cmp.Diff(wantNums, got[1].Numbers); diff != "" {
		t.Errorf("line 2 numbers (-want +got):\n%s", diff)
	}
	if got[2].Lang != "en" {
		t.Errorf("line 3: lang %q, want en", got[2].Lang)
	}
}

func TestRunEval(t *testing.T) {
	t.Parallel()

	t.Run("json report scores the set", func(t *testing.T) {
		t.Parallel()
		file := filepath.Join(t.TempDir(), "set.jsonl")
		set := `{"text":"收不到短信咋办","intent":"sms_missing"}

{"text":"管局短信核验失败怎么办","intent":"verify_failed"}
{"text":"收不到短信咋办","intent":"human"}
{"text":"今天天气怎么样","intent":"none"}
`
		if err := os.WriteFile(file, []byte(set), 0o644); err != nil {
			t.Fatal(err)
		}
		r := runOK(t, nil, "", "eval", "--json", file)
		got := jsonLines[evaluate.Report](t, r.stdout)
		if len(got) != 1 {
			t.Fatalf("got %d JSON lines, want 1:\n%s", len(got), r.stdout)
		}
		rep := got[0]
		if rep.Total != 4 || rep.Correct != 3 {
			t.Errorf("total %d correct %d, want 4 and 3 (the line labelled human is wrong)", rep.Total, rep.Correct)
		}
		if rep.Accuracy < 0.749 || rep.Accuracy > 0.751 {
			t.Errorf("accuracy = %v, want 0.75", rep.Accuracy)
		}
		if rep.OutOfScope != 1 || rep.FalseAnswers != 0 {
			t.Errorf("out of scope %d false answers %d, want 1 and 0", rep.OutOfScope, rep.FalseAnswers)
		}
	})

	t.Run("text report prints accuracy", func(t *testing.T) {
		t.Parallel()
		file := filepath.Join(t.TempDir(), "set.jsonl")
		if err := os.WriteFile(file, []byte(`{"text":"收不到短信咋办","intent":"sms_missing"}`+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		r := runOK(t, nil, "", "eval", file)
		if !strings.Contains(r.stdout, "accuracy 1.000 (1/1)") {
			t.Errorf("stdout has no accuracy line:\n%s", r.stdout)
		}
	})

	t.Run("unknown intent fails with file and line", func(t *testing.T) {
		t.Parallel()
		file := filepath.Join(t.TempDir(), "set.jsonl")
		set := `{"text":"收不到短信咋办","intent":"sms_missing"}
{"text":"x","intent":"no_such_intent"}
`
		if err := os.WriteFile(file, []byte(set), 0o644); err != nil {
			t.Fatal(err)
		}
		r := runWith(t, nil, "", "eval", file)
		if r.code != exitFailure {
			t.Errorf("exit %d, want %d", r.code, exitFailure)
		}
		if want := file + ":2: unknown intent"; !strings.Contains(r.stderr, want) {
			t.Errorf("stderr = %q, want it to contain %q", r.stderr, want)
		}
	})
}

// exportKB exports the built-in knowledge to a new folder.
func exportKB(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "kb")
	r := runOK(t, nil, "", "kb", "export", dir)
	for _, f := range []string{knowledge.FileZH, knowledge.FileEN, knowledge.FileRules} {
		if !strings.Contains(r.stdout, filepath.Join(dir, f)) {
			t.Errorf("export output does not list %s:\n%s", f, r.stdout)
		}
	}
	return dir
}

// lineOf returns the 1-based number of the first line of s containing sub.
func lineOf(t *testing.T, s, sub string) int {
	t.Helper()
	for i, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			return i + 1
		}
	}
	t.Fatalf("no line contains %q", sub)
	return 0
}

// edit replaces the first old in dir/name with new.
func edit(t *testing.T, dir, name, old, new string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(old)) {
		t.Fatalf("%s does not contain %q", name, old)
	}
	s := strings.Replace(string(b), old, new, 1)
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRunKB(t *testing.T) {
	t.Parallel()

	t.Run("exported knowledge checks clean", func(t *testing.T) {
		t.Parallel()
		dir := exportKB(t)
		r := runOK(t, nil, "", "kb", "check", dir)
		if !strings.HasPrefix(r.stdout, "ok: ") || r.stderr != "" {
			t.Errorf("stdout %q stderr %q, want an ok line and no errors", r.stdout, r.stderr)
		}
	})

	t.Run("export refuses to overwrite", func(t *testing.T) {
		t.Parallel()
		dir := exportKB(t)
		r := runWith(t, nil, "", "kb", "export", dir)
		if r.code != exitFailure {
			t.Errorf("second export: exit %d, want %d", r.code, exitFailure)
		}
	})

	t.Run("missing folder is a usage error", func(t *testing.T) {
		t.Parallel()
		r := runWith(t, nil, "", "kb", "check", filepath.Join(t.TempDir(), "nope"))
		if r.code != exitUsage || !strings.Contains(r.stderr, "is not a folder") {
			t.Errorf("exit %d stderr %q, want %d and \"is not a folder\"", r.code, r.stderr, exitUsage)
		}
	})

	const row130 = "<tr>    <td>联通</td>    <td>130</td>    <td>有效</td>  </tr>"
	tests := []struct {
		name     string
		file     string
		old, new string
		// line finds the line the error must name in the edited file.
		line    func(t *testing.T, edited string) int
		message string
	}{
		{
			name: "duplicate prefix row fails",
			file: knowledge.FileZH,
			old:  row130,
			new:  row130 + "<tr><td>联通</td><td>130</td><td>有效</td></tr>",
			line: func(t *testing.T, s string) int { return lineOf(t, s, "<table>") },
			// "130" is all the message must name; its wording may change.
			message: "130",
		},
		{
			name:    "prefix that is not digits fails",
			file:    knowledge.FileZH,
			old:     "<td>138</td>",
			new:     "<td>13x</td>",
			line:    func(t *testing.T, s string) int { return lineOf(t, s, "<table>") },
			message: "13x",
		},
		{
			name: "intent pointing at a missing question fails",
			file: knowledge.FileRules,
			old:  "  - id: verify_failed\n",
			new:  "  - id: verify_failed\n    answer: {entry: 没有这个问题？}\n",
			// The problem may be reported on the intent's "- id:" line or its
			// answer line, both of which are the intent's.
			line:    nil,
			message: "没有这个问题？",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := exportKB(t)
			edited := edit(t, dir, tt.file, tt.old, tt.new)
			r := runWith(t, nil, "", "kb", "check", dir)
			if r.code != exitFailure {
				t.Errorf("exit %d, want %d\nstderr:\n%s", r.code, exitFailure, r.stderr)
			}
			re := regexp.MustCompile(regexp.QuoteMeta(tt.file) + `:(\d+): (.*)`)
			m := re.FindStringSubmatch(r.stderr)
			if m == nil {
				t.Fatalf("stderr has no %s:LINE: error:\n%s", tt.file, r.stderr)
			}
			got, _ := strconv.Atoi(m[1])
			if tt.line != nil {
				if want := tt.line(t, edited); got != want {
					t.Errorf("error on line %d, want %d: %s", got, want, m[0])
				}
			} else {
				answer := lineOf(t, edited, strings.TrimSpace(strings.Split(tt.new, "\n")[0]))
				if got != answer && got != answer-1 {
					t.Errorf("error on line %d, want %d or %d: %s", got, answer-1, answer, m[0])
				}
			}
			if !strings.Contains(m[2], tt.message) {
				t.Errorf("error %q does not name %q", m[0], tt.message)
			}
		})
	}
}

func TestServe(t *testing.T) {
	t.Parallel()
	a := &app{cfg: Config{ListenAddr: "127.0.0.1:0", LogLevel: "info"},
		stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard,
		log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := a.loadBot(); err != nil {
		t.Fatalf("loadBot: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan int, 1)
	go func() { done <- serve(ctx, a, ln) }()

	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Post("http://"+ln.Addr().String()+"/api/chat", "application/json",
		strings.NewReader(`{"user":"u1","text":"收不到短信咋办"}`))
	if err != nil {
		t.Fatalf("POST /api/chat: %v", err)
	}
	var got web.ChatResponse
	err = json.NewDecoder(resp.Body).Decode(&got)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("decode answer: %v", err)
	}
	if resp.StatusCode != http.StatusOK || got.Intent != "sms_missing" {
		t.Errorf("status %d intent %q, want 200 sms_missing", resp.StatusCode, got.Intent)
	}

	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("serve returned %d after cancel, want %d", code, exitOK)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("serve did not return within 5s of cancel")
	}
	if _, err := client.Get("http://" + ln.Addr().String() + "/healthz"); err == nil {
		t.Error("server still answers after serve returned")
	}
}

func TestRunServeBadAddress(t *testing.T) {
	t.Parallel()
	r := runWith(t, map[string]string{"LISTEN_ADDR": "127.0.0.1:notaport", "DATA_DIR": t.TempDir()}, "", "serve")
	if r.code != exitFailure {
		t.Errorf("exit %d, want %d", r.code, exitFailure)
	}
	if !strings.Contains(r.stderr, "listen") {
		t.Errorf("stderr does not log the listen failure:\n%s", r.stderr)
	}
}

func TestRunChat(t *testing.T) {
	t.Parallel()
	// The answers are the ones ask gives for the same text.
	hello := runOK(t, nil, "", "ask", "你好").stdout
	sms := runOK(t, nil, "", "ask", "收不到短信").stdout
	if hello == sms {
		t.Fatalf("ask gives the same answer to both messages: %q", hello)
	}

	r := runOK(t, nil, "你好\n收不到短信\nexit\n", "chat")
	banner, rest, ok := strings.Cut(r.stdout, "\n")
	if !ok || !strings.Contains(banner, `"exit"`) {
		t.Errorf("first line %q is not the banner", banner)
	}
	want := "> " + hello + "\n" + "> " + sms + "\n" + "> "
	if diff := cmp.Diff(want, rest); diff != "" {
		t.Errorf("chat output after the banner (-want +got):\n%s", diff)
	}
}

func TestRuntimeSettings(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		env         map[string]string
		gogc, procs int
	}{
		{nil, defaultGCPercent, 0},
		{map[string]string{"GOGC": "150", "GOMAXPROCS": "1"}, 150, 1},
		{map[string]string{"GOGC": "off"}, -1, 0},
		{map[string]string{"GOGC": "-5"}, -1, 0},
		{map[string]string{"GOGC": "0"}, 0, 0},
	} {
		cfg, err := loadConfig(func(k string) string { return tt.env[k] })
		if err != nil || cfg.GCPercent != tt.gogc || cfg.Procs != tt.procs {
			t.Errorf("%v: GCPercent %d, Procs %d, err %v; want %d, %d", tt.env, cfg.GCPercent, cfg.Procs, err, tt.gogc, tt.procs)
		}
	}
}

func TestRunErrors(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "missing")
	tests := []struct {
		name   string
		env    map[string]string
		args   []string
		code   int
		stderr string
	}{
		{"unknown command is a usage error", nil, []string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{"missing KB_DIR is a usage error", map[string]string{"KB_DIR": missing}, []string{"ask", "hi"}, exitUsage, "KB_DIR=" + missing},
		{"bad LOG_LEVEL is a usage error", map[string]string{"LOG_LEVEL": "loud"}, []string{"ask", "hi"}, exitUsage, "LOG_LEVEL"},
		{"unknown flag is a usage error", nil, []string{"checknum", "--nope", "138"}, exitUsage, "not defined: -nope"},
		{"a public profiler address is refused", map[string]string{"DEBUG_ADDR": ":6060"}, []string{"ask", "hi"}, exitUsage, "DEBUG_ADDR must be a loopback address"},
		{"a bad GOGC is a usage error", map[string]string{"GOGC": "OFF"}, []string{"ask", "hi"}, exitUsage, "GOGC must be"},
		{"a bad GOMAXPROCS is a usage error", map[string]string{"GOMAXPROCS": "0"}, []string{"ask", "hi"}, exitUsage, "GOMAXPROCS must be"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runWith(t, tt.env, "", tt.args...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d", r.code, tt.code)
			}
			if !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("stderr = %q, want it to contain %q", r.stderr, tt.stderr)
			}
		})
	}
}

func TestRunHelp(t *testing.T) {
	t.Parallel()

	t.Run("top level prints usage", func(t *testing.T) {
		t.Parallel()
		r := runOK(t, nil, "", "--help")
		if r.stdout != usage {
			t.Errorf("stdout is not the usage text:\n%s", r.stdout)
		}
	})

	for _, args := range [][]string{
		{"serve", "--help"}, {"ask", "--help"}, {"chat", "-h"}, {"checknum", "--help"},
		{"classify", "--help"}, {"eval", "-help"}, {"kb", "--help"},
	} {
		t.Run(args[0]+" exits 0", func(t *testing.T) {
			t.Parallel()
			r := runOK(t, nil, "", args...)
			if !strings.Contains(r.stderr, "Usage: supportbot") {
				t.Errorf("stderr has no usage:\n%s", r.stderr)
			}
		})
	}

	// The flag package stops at the first non-flag, so a --help inside the
	// text is part of the question.
	t.Run("help after text is answered as text", func(t *testing.T) {
		t.Parallel()
		r := runOK(t, nil, "", "ask", "what", "does", "--help", "mean")
		if r.stdout == "" {
			t.Error("no answer printed")
		}
	})
}

func TestShippedStoriesPass(t *testing.T) {
	t.Parallel()
	r := runWith(t, nil, "", "eval", "--stories", "../../testdata/stories/flows.yaml")
	if r.code != exitOK || !strings.Contains(r.stdout, " 0 failed") {
		t.Errorf("exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	dir := t.TempDir()
	bad := dir + "/bad.yaml"
	os.WriteFile(bad, []byte("stories:\n  - name: wrong on purpose\n    steps:\n      - user: 你好\n        intent: thanks\n"), 0o644)
	if r := runWith(t, nil, "", "eval", "--stories", bad); r.code != exitFailure || !strings.Contains(r.stdout, "FAIL  wrong on purpose: step 1: intent greeting, want thanks") {
		t.Errorf("a failing story: exit %d\n%s", r.code, r.stdout)
	}
}
