package bot

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
