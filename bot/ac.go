package bot

import (
	"fmt"
	"math"
)

// automaton is an Aho-Corasick matcher over bytes, compiled into a dense
// transition table over the byte classes that occur in the patterns, so a
// scan is one table step per byte of the message.
type automaton struct {
	class    [256]uint16
	nclass   int
	delta    []uint16  // state*nclass + class -> next state
	out      [][]int32 // patterns ending in a state, suffix matches included
	patLen   []int
	patterns []string
}

// maxStates is the most states an automaton has: its transitions are
// uint16, which halves the table and keeps more of it in cache.
const maxStates = math.MaxUint16

func newAutomaton(patterns []string) (*automaton, error) {
	a := &automaton{patterns: patterns, nclass: 1}
	for _, p := range patterns {
		for i := 0; i < len(p); i++ {
			if a.class[p[i]] == 0 {
				a.class[p[i]] = uint16(a.nclass)
				a.nclass++
			}
		}
		a.patLen = append(a.patLen, len(p))
	}
	// The trie, with -1 for "no edge". It has at most one state per
	// pattern byte, plus the root: allocate that once and trim at the end.
	max := 1
	for _, p := range patterns {
		max += len(p)
	}
	d := make([]int32, 0, max*a.nclass)
	a.out = make([][]int32, 0, max)
	newState := func() int32 {
		n := len(d)
		d = d[:n+a.nclass]
		for i := n; i < len(d); i++ {
			d[i] = -1
		}
		a.out = append(a.out, nil)
		return int32(len(a.out) - 1)
	}
	newState()
	for id, p := range patterns {
		s := int32(0)
		for i := 0; i < len(p); i++ {
			c := int(a.class[p[i]])
			if d[int(s)*a.nclass+c] < 0 {
				n := newState()
				d[int(s)*a.nclass+c] = n
			}
			s = d[int(s)*a.nclass+c]
		}
		a.out[s] = append(a.out[s], int32(id))
	}
	// Breadth first: failure links become transitions.
	fail := make([]int32, len(a.out))
	queue := []int32{}
	for c := range a.nclass {
		t := d[c]
		if t < 0 {
			d[c] = 0
			continue
		}
		fail[t] = 0
		queue = append(queue, t)
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		a.out[s] = append(a.out[s], a.out[fail[s]]...)
		for c := range a.nclass {
			t := d[int(s)*a.nclass+c]
			f := d[int(fail[s])*a.nclass+c]
			if t < 0 {
				d[int(s)*a.nclass+c] = f
				continue
			}
			fail[t] = f
			queue = append(queue, t)
		}
	}
	if len(a.out) > maxStates {
		return nil, fmt.Errorf("the rules' phrases make %d matcher states; at most %d fit: remove some phrases", len(a.out), maxStates)
	}
	// Exactly the states used: d was sized for one state per pattern byte.
	a.delta = make([]uint16, len(d))
	for i, t := range d {
		a.delta[i] = uint16(t)
	}
	return a, nil
}

// scan calls hit for every occurrence of a pattern in s, with the byte
// offsets of the occurrence.
func (a *automaton) scan(s string, hit func(pattern, start, end int)) {
	st := int32(0)
	for i := 0; i < len(s); i++ {
		st = int32(a.delta[int(st)*a.nclass+int(a.class[s[i]])])
		for _, p := range a.out[st] {
			hit(int(p), i+1-a.patLen[p], i+1)
		}
	}
}
