package match

import (
	"fmt"
	"math"
	"slices"
)

// automaton is an Aho-Corasick matcher over bytes, compiled into a dense
// transition table over the byte classes that occur in the patterns, so a
// scan is one table step per byte of the message.
//
// It is built with few allocations, all of their final size: the bot
// compiles one at every start and every knowledge reload, and on a
// virtual machine each fresh page of memory costs a page fault of several
// microseconds.
type automaton struct {
	class  [256]uint16
	nclass int
	delta  []uint16 // state*nclass + class -> next state
	// The patterns that end in a state, suffix matches included, are
	// found from dict: the state itself or the nearest state on its
	// failure path in which a pattern ends (none: -1); then that state's
	// dictNext, and so on. In each, first[state] is the first pattern
	// that ends there and same[pattern] the next one of the same string.
	dict, dictNext []int32
	first          []int32
	same           []int32
	patLen         []int
	patterns       []string
}

// maxStates is the most states an automaton has: its transitions are
// uint16, which halves the table and keeps more of it in cache.
const maxStates = math.MaxUint16

// noEdge marks a missing trie edge until the failure links are in: the
// trie has no edge back to its root.
const noEdge = 0

// newAutomaton compiles patterns: the byte classes, the trie, then the
// failure links that turn it into the full transition table. An error
// when the trie would have more than maxStates states.
func newAutomaton(patterns []string) (*automaton, error) {
	a := &automaton{patterns: patterns, nclass: 1, patLen: make([]int, len(patterns))}
	a.classifyBytes()
	states := trieStates(patterns)
	if states > maxStates {
		return nil, fmt.Errorf("the rules' phrases make %d matcher states; at most %d fit: remove some phrases", states, maxStates)
	}
	last := a.buildTrie(states)
	a.link(last[:0]) // last's room, as it is no longer needed: every state but the root passes once
	return a, nil
}

// classifyBytes gives every byte that occurs in the patterns a class of
// its own, from 1; all other bytes are class 0. It records the patterns'
// lengths.
func (a *automaton) classifyBytes() {
	for i, p := range a.patterns {
		for j := 0; j < len(p); j++ {
			if a.class[p[j]] == 0 {
				a.class[p[j]] = uint16(a.nclass)
				a.nclass++
			}
		}
		a.patLen[i] = len(p)
	}
}

// trieStates counts the states of the patterns' trie, one per distinct
// prefix: on the sorted patterns, where a pattern's new prefixes are those
// longer than what it shares with the one before it.
func trieStates(patterns []string) int {
	sorted := slices.Clone(patterns)
	slices.Sort(sorted)
	states := 1
	for i, p := range sorted {
		shared := 0
		if i > 0 {
			prev := sorted[i-1]
			for shared < len(p) && shared < len(prev) && p[shared] == prev[shared] {
				shared++
			}
		}
		states += len(p) - shared
	}
	return states
}

// buildTrie lays the patterns' trie of states states into a.delta, with
// noEdge for the edges it lacks, and lists the patterns that end in each
// state (first, same). It returns, by state, the last pattern of its list.
func (a *automaton) buildTrie(states int) []int32 {
	n := a.nclass
	d := make([]uint16, states*n)
	a.first = make([]int32, states)
	for i := range a.first {
		a.first[i] = -1
	}
	a.same = make([]int32, len(a.patterns))
	last := make([]int32, states) // the last pattern in a state's list so far
	used := 1
	for id, p := range a.patterns {
		s := 0
		for j := 0; j < len(p); j++ {
			i := s*n + int(a.class[p[j]])
			if d[i] == noEdge {
				d[i] = uint16(used)
				used++
			}
			s = int(d[i])
		}
		a.same[id] = -1
		if a.first[s] < 0 {
			a.first[s] = int32(id)
		} else {
			a.same[last[s]] = int32(id)
		}
		last[s] = int32(id)
	}
	a.delta = d
	return last
}

// link walks the trie breadth first, in queue, an empty slice with room
// for every state: failure links become transitions, and each state's
// dictionary links follow from its failure state's.
func (a *automaton) link(queue []int32) {
	n, d, states := a.nclass, a.delta, len(a.first)
	fail := make([]uint16, states)
	a.dict = make([]int32, states)
	a.dictNext = make([]int32, states)
	a.dictNext[0] = -1
	a.dict[0] = -1
	if a.first[0] >= 0 {
		a.dict[0] = 0
	}
	for _, t := range d[:n] { // the root's missing edges lead back to it: 0 already
		if t != noEdge {
			queue = append(queue, int32(t))
		}
	}
	for k := 0; k < len(queue); k++ {
		s := int(queue[k])
		f := int(fail[s])
		a.dictNext[s] = a.dict[f]
		a.dict[s] = a.dictNext[s]
		if a.first[s] >= 0 {
			a.dict[s] = int32(s)
		}
		row, frow := d[s*n:(s+1)*n], d[f*n:(f+1)*n]
		for c, t := range row {
			if t == noEdge {
				row[c] = frow[c]
				continue
			}
			fail[t] = frow[c]
			queue = append(queue, int32(t))
		}
	}
}

// scan calls hit for every occurrence of a pattern in s, with the byte
// offsets of the occurrence: at each end offset in turn, longest first.
func (a *automaton) scan(s string, hit func(pattern, start, end int)) {
	st := int32(0)
	for i := 0; i < len(s); i++ {
		st = int32(a.delta[int(st)*a.nclass+int(a.class[s[i]])])
		for t := a.dict[st]; t >= 0; t = a.dictNext[t] {
			for p := a.first[t]; p >= 0; p = a.same[p] {
				hit(int(p), i+1-a.patLen[p], i+1)
			}
		}
	}
}
