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
	// The trie first, with each state's edges in a short list; then the
	// dense table, allocated once at its final size.
	type edge struct {
		class uint16
		to    int32
	}
	var edges [][]edge
	newState := func() int32 {
		edges = append(edges, nil)
		a.out = append(a.out, nil)
		return int32(len(edges) - 1)
	}
	newState()
	for id, p := range patterns {
		s := int32(0)
		for i := 0; i < len(p); i++ {
			c := a.class[p[i]]
			next := int32(-1)
			for _, e := range edges[s] {
				if e.class == c {
					next = e.to
					break
				}
			}
			if next < 0 {
				next = newState()
				edges[s] = append(edges[s], edge{c, next})
			}
			s = next
		}
		a.out[s] = append(a.out[s], int32(id))
	}
	if len(edges) > maxStates {
		return nil, fmt.Errorf("the rules' phrases make %d matcher states; at most %d fit: remove some phrases", len(edges), maxStates)
	}
	// noEdge is never a state: there are at most maxStates, numbered
	// from 0.
	const noEdge = math.MaxUint16
	d := make([]uint16, len(edges)*a.nclass)
	for i := range d {
		d[i] = noEdge
	}
	for s, es := range edges {
		for _, e := range es {
			d[s*a.nclass+int(e.class)] = uint16(e.to)
		}
	}
	edges = nil
	// Breadth first: failure links become transitions.
	fail := make([]uint16, len(a.out))
	queue := []uint16{}
	for c := range a.nclass {
		t := d[c]
		if t == noEdge {
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
			if t == noEdge {
				d[int(s)*a.nclass+c] = f
				continue
			}
			fail[t] = f
			queue = append(queue, t)
		}
	}
	a.delta = d
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
