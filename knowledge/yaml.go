package knowledge

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// nodeLines finds the line of every intent and of each of its signals.
func nodeLines(root *yaml.Node) (intents []int, signals [][]int) {
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 {
		return nil, nil
	}
	top := root.Content[0]
	list := mapValue(top, "intents")
	if list == nil {
		return nil, nil
	}
	for _, in := range list.Content {
		intents = append(intents, in.Line)
		var sl []int
		if sigs := mapValue(in, "signals"); sigs != nil {
			for _, s := range sigs.Content {
				sl = append(sl, s.Line)
			}
		}
		signals = append(signals, sl)
	}
	return intents, signals
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// decodeKnownFields decodes n into v and reports, besides the decoder's
// own problems (a value of the wrong kind), every key that names no field:
// a mistyped key would otherwise be dropped without a word. The problems
// come in the file's order, each as "line N: ...".
func decodeKnownFields(n *yaml.Node, v any) []string {
	var list []string
	if err := n.Decode(v); err != nil {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return []string{err.Error()}
		}
		list = te.Errors
	}
	unknownKeys(n, reflect.TypeOf(v), "", &list)
	line := func(s string) int { n, _, _ := yamlProblem(s); return n }
	slices.SortStableFunc(list, func(a, b string) int { return line(a) - line(b) })
	return list
}

// unknownKeys adds a problem for each mapping key under n that names no
// field of the struct that t (or what it holds) is; where says where n is
// in the file, as a person would look for it ("" at the top level).
func unknownKeys(n *yaml.Node, t reflect.Type, where string, list *[]string) {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind == yaml.DocumentNode {
		for _, c := range n.Content {
			unknownKeys(c, t, where, list)
		}
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t.Kind() == reflect.Slice && n.Kind == yaml.SequenceNode:
		for i, c := range n.Content {
			at := fmt.Sprintf("%s[%d]", where, i)
			if id := mapValue(c, "id"); id != nil && id.Kind == yaml.ScalarNode && id.Value != "" && where == "intents" {
				at = "intent " + id.Value + ":" // ids are what people search the file for
			}
			unknownKeys(c, t.Elem(), at, list)
		}
	case t.Kind() == reflect.Map && n.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			unknownKeys(n.Content[i+1], t.Elem(), where+"."+n.Content[i].Value, list)
		}
	case t.Kind() == reflect.Struct && n.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			at := k.Line
			for k.Kind == yaml.AliasNode && k.Alias != nil { // &k id: ... then *k : ...
				k = k.Alias
			}
			if k.Kind != yaml.ScalarNode {
				continue // a list or mapping as a key: the decoder has said so
			}
			if k.Tag == "!!merge" { // <<: *defaults, or a list of them
				if val.Kind == yaml.SequenceNode {
					for _, c := range val.Content {
						unknownKeys(c, t, where, list)
					}
				} else {
					unknownKeys(val, t, where, list)
				}
				continue
			}
			f, ok := yamlField(t, k.Value)
			if !ok {
				in := "at the top level"
				if where != "" {
					in = "in " + strings.TrimSuffix(where, ":")
				}
				*list = append(*list, fmt.Sprintf("line %d: unknown key %q %s; the keys there are %s",
					at, k.Value, in, strings.Join(yamlKeys(t), ", ")))
				continue
			}
			inner := k.Value
			switch {
			case strings.HasSuffix(where, ":"):
				inner = where + " " + k.Value
			case where != "":
				inner = where + "." + k.Value
			}
			unknownKeys(val, f.Type, inner, list)
		}
	}
}

// yamlField finds the field of struct t that the yaml key name sets: its
// yaml tag's name, or else its name in lower case.
func yamlField(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		if f := t.Field(i); yamlName(f) == name {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// yamlKeys lists the keys that set struct t's fields, in its order.
func yamlKeys(t reflect.Type) []string {
	var keys []string
	for i := range t.NumField() {
		if name := yamlName(t.Field(i)); name != "" {
			keys = append(keys, name)
		}
	}
	return keys
}

// yamlName is the key that sets field f, or "" for none.
func yamlName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	switch tag {
	case "-":
		return ""
	case "":
		return strings.ToLower(f.Name)
	}
	return tag
}

// syntaxLine is the line that holds the YAML syntax error problem, which
// yaml reported at line reported. yaml puts an error inside a block at the
// block's start, counting lines from 0 there, so that a mistake at the end
// of a long intents list was shown at the list's first line. The line that
// holds it is the first at whose end the file, cut there, already has the
// same error; it is at or after the reported one.
func syntaxLine(src []byte, reported int, problem string) int {
	var ends []int // offset after each line
	for i, c := range src {
		if c == '\n' {
			ends = append(ends, i+1)
		}
	}
	if len(ends) == 0 || ends[len(ends)-1] != len(src) {
		ends = append(ends, len(src))
	}
	fails := func(lines int) bool {
		var n yaml.Node
		err := yaml.Unmarshal(src[:ends[lines-1]], &n)
		if err == nil {
			return false
		}
		_, _, p := yamlProblem(err.Error())
		return p == problem
	}
	from := max(reported, 1)
	if from > len(ends) {
		return reported
	}
	// Cutting the file earlier cannot make an error that needs what is
	// after the cut: the lines that fail are the ones from the answer on.
	n := from + sort.Search(len(ends)-from+1, func(i int) bool { return fails(from + i) })
	if n > len(ends) {
		return reported // the error needs the whole file (it never happens cut)
	}
	return n
}

var yamlLine = regexp.MustCompile(`^line (\d+): ?`)

// yamlProblem splits one of yaml's messages ("yaml: line 12: did not find
// expected key") into its line and the rest, for problems.add. Only the
// leading "line N:" is the problem's line: another one later in the
// message ("already defined at line 8") is part of what it says.
func yamlProblem(msg string) (line int, format string, arg string) {
	msg = strings.TrimPrefix(msg, "yaml: ")
	msg = strings.TrimSpace(strings.TrimPrefix(msg, "unmarshal errors:\n"))
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = msg[len(m[0]):]
	}
	return line, "%s", strings.Join(strings.Fields(msg), " ")
}
