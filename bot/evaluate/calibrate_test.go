package evaluate

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/supportbot/supportbot/bot/match"
	"github.com/supportbot/supportbot/knowledge"
)

// TestDumpRetrieval writes, for every labelled message of the FAQ folders
// named in SUPPORTBOT_DUMP (dir=messages.jsonl,...), the retrieval index's
// hits with their features and whether each is the labelled entry: the
// data the index's scoring and confidence are fit on.
func TestDumpRetrieval(t *testing.T) {
	spec := os.Getenv("SUPPORTBOT_DUMP")
	if spec == "" {
		t.Skip("set SUPPORTBOT_DUMP=DIR=MESSAGES.jsonl,... to dump")
	}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	norm, _ := match.NewNormalizer()
	for _, pair := range strings.Split(spec, ",") {
		dir, file, _ := strings.Cut(pair, "=")
		kb, err := knowledge.LoadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		m, err := match.NewMatcher(kb, norm)
		if err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(file)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var l Labelled
			if json.Unmarshal(sc.Bytes(), &l) != nil {
				continue
			}
			if err := l.Resolve(kb); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			label := -1
			if tg, ok := kb.Target(l.Intent); ok && tg.IsEntry() {
				label = tg.Entry
			} else if l.Intent != knowledge.None {
				continue // small talk
			}
			text := norm.Normalize(l.Text)
			hits := m.Find(text, 5)
			type row struct {
				Set, Text, Kind, Lang string
				Label, Step           int
				Hits                  []any
				Pieces                []string
			}
			r := row{Set: filepath.Base(dir), Text: l.Text, Kind: l.Kind, Lang: match.Lang(l.Text, "zh"), Label: label, Pieces: m.Explain(text)}
			if tg, ok := kb.Target(l.Intent); ok {
				r.Step = tg.Step
			}
			for _, h := range hits {
				r.Hits = append(r.Hits, map[string]any{"doc": h.Doc, "part": h.Part, "score": h.Score, "conf": h.Conf, "f": h.Features})
			}
			b, _ := json.Marshal(r)
			fmt.Fprintln(out, string(b))
		}
		f.Close()
	}
}

// TestDumpLeaveOneOut writes, for each FAQ folder in SUPPORTBOT_LOO, the
// confidence the best other entry gets for each entry's own phrasings.
func TestDumpLeaveOneOut(t *testing.T) {
	spec := os.Getenv("SUPPORTBOT_LOO")
	if spec == "" {
		t.Skip("set SUPPORTBOT_LOO=DIR,... to dump")
	}
	norm, _ := match.NewNormalizer()
	for _, dir := range strings.Split(spec, ",") {
		kb, err := knowledge.LoadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		m, _ := match.NewMatcher(kb, norm)
		e := &snapshot{kb: kb, m: m}
		var confs []float64
		for i := range kb.ZH.Entries {
			for _, p := range e.phrasings(i) {
				hits := m.Find(norm.Normalize(p.text), 6)
				best := 0.0
				for _, h := range hits {
					if h.Doc != i {
						best = h.Conf
						break
					}
				}
				confs = append(confs, best)
			}
		}
		b, _ := json.Marshal(map[string]any{"set": filepath.Base(dir), "loo": confs})
		fmt.Println(string(b))
	}
}
