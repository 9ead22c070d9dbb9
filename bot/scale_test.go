package bot

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/supportbot/supportbot/bot/match"
	"github.com/supportbot/supportbot/knowledge"
)

// scaleEntries is the size of the FAQ the scale benchmarks build.
const scaleEntries = 1000

// scaleFAQ builds an FAQ of n entries in Chinese and English from the
// project's FAQs of other domains (testdata/faqs): their entries again and
// again, each heading made distinct by a topic word and a number, so the
// index meets real text and realistic overlap between entries (the same
// words in many of them: the long posting lists of a large FAQ).
func scaleFAQ(tb testing.TB, n int) fstest.MapFS {
	tb.Helper()
	var zh, en []knowledge.Entry
	dirs, _ := filepath.Glob("../testdata/faqs/*")
	for _, dir := range dirs {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			continue
		}
		kb, err := knowledge.LoadDir(dir)
		if err != nil {
			tb.Fatal(err)
		}
		zh = append(zh, kb.ZH.Entries...)
		en = append(en, kb.EN.Entries...)
	}
	if len(zh) == 0 {
		tb.Fatal("no FAQs in testdata/faqs")
	}
	topics := []string{"账号", "订单", "发票", "网络", "设备", "备案", "会员", "物流", "安全", "服务"}
	var bz, be strings.Builder
	for i := 0; i < n; i++ {
		z, e := &zh[i%len(zh)], &en[i%len(en)]
		topic := topics[(i/len(zh))%len(topics)]
		writeEntry(&bz, fmt.Sprintf("%s %d：%s", topic, i, z.Question), z)
		writeEntry(&be, fmt.Sprintf("%s %d: %s", topic, i, e.Question), e)
	}
	return fstest.MapFS{
		"faq.zh.md": {Data: []byte(bz.String())},
		"faq.en.md": {Data: []byte(be.String())},
	}
}

// writeEntry writes an entry back as Markdown under another heading.
func writeEntry(b *strings.Builder, question string, e *knowledge.Entry) {
	fmt.Fprintf(b, "### %s\n\n", question)
	for _, t := range e.Intro {
		fmt.Fprintf(b, "%s\n\n", t.Plain())
	}
	for j, it := range e.Items {
		if e.Ordered {
			fmt.Fprintf(b, "%d. %s\n", j+1, it.Text.Plain())
		} else {
			fmt.Fprintf(b, "- %s\n", it.Text.Plain())
		}
		for _, s := range it.Sub {
			fmt.Fprintf(b, "   - %s\n", s.Plain())
		}
	}
	if len(e.Items) == 0 && len(e.Intro) == 0 {
		b.WriteString("（无）\n")
	}
	b.WriteString("\n")
	for _, t := range e.Outro {
		fmt.Fprintf(b, "%s\n\n", t.Plain())
	}
}

// scaleMessages are the project's labelled messages to other FAQs.
func scaleMessages(tb testing.TB) []string {
	tb.Helper()
	var out []string
	files, _ := filepath.Glob("../testdata/faqs/*/messages.jsonl")
	for _, f := range files {
		for _, l := range readSet(tb, f) {
			out = append(out, l.Text)
		}
	}
	return out
}

// BenchmarkClassifyLargeFAQ classifies messages against a 1,000-entry
// FAQ, one an iteration, and reports the median and the 99th percentile.
func BenchmarkClassifyLargeFAQ(b *testing.B) {
	kb, err := knowledge.Load(scaleFAQ(b, scaleEntries))
	if err != nil {
		b.Fatal(err)
	}
	norm, _ := match.NewNormalizer()
	m, err := match.NewMatcher(kb, norm)
	if err != nil {
		b.Fatal(err)
	}
	msgs := scaleMessages(b)
	times := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		m.Match(msgs[i%len(msgs)])
		times = append(times, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)/2].Nanoseconds())/1e3, "p50-µs")
	b.ReportMetric(float64(times[len(times)*99/100].Nanoseconds())/1e3, "p99-µs")
}

// BenchmarkLoadLargeFAQ parses, checks and indexes a 1,000-entry FAQ, the
// work of a start or a reload, and reports the memory the knowledge and
// its index keep per entry.
func BenchmarkLoadLargeFAQ(b *testing.B) {
	fsys := scaleFAQ(b, scaleEntries)
	norm, _ := match.NewNormalizer()
	var kept uint64
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var before, after runtime.MemStats
		if i == 0 {
			runtime.GC()
			runtime.ReadMemStats(&before)
		}
		kb, err := knowledge.Load(fsys)
		if err != nil {
			b.Fatal(err)
		}
		bot, err := New(kb, norm)
		if err != nil {
			b.Fatal(err)
		}
		if i == 0 {
			runtime.GC()
			runtime.ReadMemStats(&after)
			kept = after.HeapAlloc - before.HeapAlloc
			runtime.KeepAlive(bot)
		}
	}
	b.ReportMetric(float64(kept)/scaleEntries, "B/entry")
}

// TestScaleFAQLoads keeps the benchmarks' FAQ valid, and writes it out
// with SUPPORTBOT_SCALE_DIR=DIR to try it by hand.
func TestScaleFAQLoads(t *testing.T) {
	fsys := scaleFAQ(t, 200)
	kb, err := knowledge.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(kb.ZH.Entries); n != 200 {
		t.Errorf("%d entries, want 200", n)
	}
	if dir := os.Getenv("SUPPORTBOT_SCALE_DIR"); dir != "" {
		for name, f := range scaleFAQ(t, scaleEntries) {
			if err := os.WriteFile(filepath.Join(dir, name), f.Data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
