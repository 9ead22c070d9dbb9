package main

import (
	"bytes"
	"encoding/xml"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/supportbot/supportbot/bot/evaluate"
)

// svgNode is any element of an SVG document, with its children.
type svgNode struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Text    string     `xml:",chardata"`
	Nodes   []svgNode  `xml:",any"`
}

func (n svgNode) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// child returns n's first child element called name.
func (n svgNode) child(name string) svgNode {
	for _, c := range n.Nodes {
		if c.XMLName.Local == name {
			return c
		}
	}
	return svgNode{}
}

// drawnMatrix is what an SVG confusion matrix shows.
type drawnMatrix struct {
	rows, cols []string          // the full labels, from the <title>s
	shown      []string          // the row labels as drawn
	counts     map[[2]int]int    // data-count by row and column
	written    map[[2]int]string // the number drawn in a cell
	cells      int
}

// readMatrixSVG parses an SVG as XML (strictly) and reads its matrix.
func readMatrixSVG(t *testing.T, svg []byte) drawnMatrix {
	t.Helper()
	var root svgNode
	if err := xml.Unmarshal(svg, &root); err != nil {
		t.Fatalf("the SVG is not well-formed XML: %v", err)
	}
	if root.XMLName.Local != "svg" || root.XMLName.Space != "http://www.w3.org/2000/svg" {
		t.Fatalf("root element %v, want svg in the SVG namespace", root.XMLName)
	}
	d := drawnMatrix{counts: map[[2]int]int{}, written: map[[2]int]string{}}
	var walk func(n svgNode, group svgNode)
	walk = func(n svgNode, group svgNode) {
		switch n.attr("class") {
		case "row-label":
			d.rows = append(d.rows, n.child("title").Text)
			d.shown = append(d.shown, n.child("text").Text)
		case "col-label":
			d.cols = append(d.cols, n.child("title").Text)
		case "cell":
			d.cells++
			i, err1 := strconv.Atoi(n.attr("data-row"))
			j, err2 := strconv.Atoi(n.attr("data-col"))
			c, err3 := strconv.Atoi(n.attr("data-count"))
			if err1 != nil || err2 != nil || err3 != nil {
				t.Fatalf("cell %v has no row, column and count", n.Attrs)
			}
			d.counts[[2]int{i, j}] = c
			if text := group.child("text"); text.XMLName.Local != "" {
				d.written[[2]int{i, j}] = text.Text
			}
		}
		for _, c := range n.Nodes {
			walk(c, n)
		}
	}
	walk(root, svgNode{})
	return d
}

func TestMatrixSVG(t *testing.T) {
	t.Parallel()
	long := "没有收到管局发送的核验短信怎么办.2"
	m := evaluate.ConfusionMatrix{
		Labels: []string{`a<b`, `R&D "x" 'y'`, long, "none"},
		Counts: [][]int{{7, 0, 1, 0}, {0, 12, 0, 0}, {0, 2, 150, 0}, {3, 0, 0, 40}},
	}
	var buf bytes.Buffer
	if err := writeMatrixSVG(&buf, m, `Confusion matrix <&>`); err != nil {
		t.Fatal(err)
	}
	d := readMatrixSVG(t, buf.Bytes())

	t.Run("one cell for every pair, with its count", func(t *testing.T) {
		if d.cells != len(m.Labels)*len(m.Labels) {
			t.Errorf("%d cells, want %d", d.cells, len(m.Labels)*len(m.Labels))
		}
		for i, row := range m.Counts {
			for j, want := range row {
				k := [2]int{i, j}
				if d.counts[k] != want {
					t.Errorf("cell %v counts %d, want %d", k, d.counts[k], want)
				}
				if written := d.written[k]; want > 0 && written != strconv.Itoa(want) || want == 0 && written != "" {
					t.Errorf("cell %v shows %q, want %d (nothing for 0)", k, written, want)
				}
			}
		}
	})

	t.Run("labels are escaped and come back whole", func(t *testing.T) {
		if diff := cmp.Diff(m.Labels, d.rows); diff != "" {
			t.Errorf("row titles (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(m.Labels, d.cols); diff != "" {
			t.Errorf("column titles (-want +got):\n%s", diff)
		}
		for _, raw := range []string{`a<b`, `R&D`, `"x"`, `<&>`} {
			if bytes.Contains(buf.Bytes(), []byte(raw)) {
				t.Errorf("the SVG holds %q unescaped", raw)
			}
		}
	})

	t.Run("long labels are shortened in the middle", func(t *testing.T) {
		got := d.shown[2]
		if got == long || !strings.Contains(got, "…") || !strings.HasPrefix(got, "没有收到") || !strings.HasSuffix(got, ".2") {
			t.Errorf("%q is drawn as %q, want its start, an ellipsis and its step", long, got)
		}
		if w := textEm(got); w > plotLabelEm {
			t.Errorf("%q is %.1f em wide, more than %d", got, w, plotLabelEm)
		}
		if d.shown[0] != `a<b` {
			t.Errorf("a short label is drawn as %q", d.shown[0])
		}
	})
}

func TestRunEvalPlot(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	set := filepath.Join(dir, "set.jsonl")
	if err := os.WriteFile(set, []byte(`{"text":"收不到短信咋办","intent":"sms_missing"}
{"text":"管局短信核验失败怎么办","intent":"verify_failed"}
{"text":"收不到短信咋办","intent":"human"}
{"text":"今天天气怎么样","intent":"none"}
`), 0o644); err != nil {
		t.Fatal(err)
	}

	t.Run("draws the evaluation's counts", func(t *testing.T) {
		t.Parallel()
		svg := filepath.Join(t.TempDir(), "matrix.svg")
		r := runOK(t, nil, "", "eval", "--json", "--plot", svg, set)
		if rep := jsonLines[evaluate.Report](t, r.stdout); len(rep) != 1 || rep[0].Total != 4 {
			t.Fatalf("the report is not JSON alone on stdout:\n%s", r.stdout)
		}
		b, err := os.ReadFile(svg)
		if err != nil {
			t.Fatal(err)
		}
		d := readMatrixSVG(t, b)
		got := map[[2]string]int{}
		for k, c := range d.counts {
			if c > 0 {
				got[[2]string{d.rows[k[0]], d.cols[k[1]]}] = c
			}
		}
		want := map[[2]string]int{
			{"sms_missing", "sms_missing"}: 1, {"verify_failed", "verify_failed"}: 1,
			{"human", "sms_missing"}: 1, {"none", "none"}: 1,
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("cells with messages, by expected and predicted (-want +got):\n%s", diff)
		}
		if d.cells != 16 {
			t.Errorf("%d cells, want 16 (four labels)", d.cells)
		}
	})

	t.Run("stories cannot be plotted", func(t *testing.T) {
		t.Parallel()
		r := runWith(t, nil, "", "eval", "--stories", "--plot", filepath.Join(t.TempDir(), "x.svg"), "../../testdata/stories/flows.yaml")
		if r.code != exitUsage || !strings.Contains(r.stderr, "--plot") {
			t.Errorf("exit %d, stderr %q; want %d and a word about --plot", r.code, r.stderr, exitUsage)
		}
	})

	t.Run("a file it cannot write fails", func(t *testing.T) {
		t.Parallel()
		svg := filepath.Join(t.TempDir(), "no", "such", "folder", "m.svg")
		r := runWith(t, nil, "", "eval", "--plot", svg, set)
		if r.code != exitFailure || !strings.Contains(r.stderr, "m.svg") {
			t.Errorf("exit %d, stderr %q; want %d naming the file", r.code, r.stderr, exitFailure)
		}
	})
}
