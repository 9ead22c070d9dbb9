package knowledge

import (
	"fmt"
	"strings"
)

// Problem is one thing wrong in a knowledge file, located by file and line.
type Problem struct {
	File string
	Line int
	Msg  string
}

func (p Problem) Error() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg)
	}
	return p.File + ": " + p.Msg
}

// Problems is every problem found in one check; it is returned as an error
// so callers can show them all at once.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// problems collects Problems for one file.
type problems struct {
	file string
	list *Problems
}

func (p problems) add(line int, format string, args ...any) {
	*p.list = append(*p.list, Problem{File: p.file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// errOrNil returns ps as an error, or nil when it is empty.
func (ps Problems) errOrNil() error {
	if len(ps) == 0 {
		return nil
	}
	return ps
}
