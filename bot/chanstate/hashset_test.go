package chanstate

import (
	"math/rand/v2"
	"testing"
)

// The hash set agrees with a map through random adds and removes, with
// hashes that collide in their low bits so probe chains wrap and shift.
func TestHashSetAgreesWithAMap(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var s hashSet
	m := map[uint64]bool{}
	for step := range 200000 {
		h := uint64(r.IntN(3000)+1) << (r.IntN(3) * 20) // few distinct low bits
		switch {
		case r.IntN(3) > 0 && !m[h]:
			s.add(h)
			m[h] = true
		default:
			s.remove(h)
			delete(m, h)
		}
		if s.has(h) != m[h] {
			t.Fatalf("step %d: has(%x) = %v, want %v", step, h, s.has(h), m[h])
		}
		if s.n != len(m) {
			t.Fatalf("step %d: %d in the set, want %d", step, s.n, len(m))
		}
	}
	for h := range m {
		if !s.has(h) {
			t.Fatalf("lost %x", h)
		}
	}
	for h := range m {
		s.remove(h)
	}
	if s.n != 0 || len(s.slots) > 16 {
		t.Errorf("emptied set: %d keys in %d slots", s.n, len(s.slots))
	}
}

// The set stays between 1/8 and 7/8 full as it grows by quarters: about
// 10 bytes a key, not the 16 of a table that doubles.
func TestHashSetDensity(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var s hashSet
	for i := range 260000 {
		s.add(r.Uint64() | 1)
		if i > 1000 && (s.n*8 > len(s.slots)*7 || s.n*8 < len(s.slots)) {
			t.Fatalf("%d keys in %d slots", s.n, len(s.slots))
		}
	}
	if bytes := len(s.slots) * 8; bytes > 260000*11 {
		t.Errorf("260,000 keys take %d bytes", bytes)
	}
}
