package nat

import (
	"fmt"
	"testing"
)

// classOf returns the range Pick searches for an original port.
func classOf(orig uint16) (lo, hi int) {
	switch {
	case orig < 512:
		return 1, 511
	case orig < 1024:
		return 600, 1023
	}
	return 1024, 65535
}

func TestPickKeepsFreeOriginal(t *testing.T) {
	a := NewAllocator(1)
	for _, orig := range []uint16{0, 1, 22, 511, 512, 599, 1023, 1024, 40000, 65535} {
		calls := 0
		p, ok := a.Pick(orig, func(uint16) bool { calls++; return true })
		if !ok || p != orig || calls != 1 {
			t.Errorf("Pick(%d) = %d, %v after %d calls; want the original at once", orig, p, ok, calls)
		}
		if id, ok := a.PickID(orig, func(uint16) bool { return true }); !ok || id != orig {
			t.Errorf("PickID(%d) = %d, %v", orig, id, ok)
		}
	}
}

// TestPickRanges: a taken original port is replaced by one of its class,
// and over many picks every port of a small class comes up.
func TestPickRanges(t *testing.T) {
	a := NewAllocator(2)
	for _, orig := range []uint16{0, 1, 100, 511, 512, 700, 1023, 1024, 33000, 65535} {
		lo, hi := classOf(orig)
		seen := map[uint16]bool{}
		for i := 0; i < 20000; i++ {
			p, ok := a.Pick(orig, func(p uint16) bool { return p != orig })
			if !ok || int(p) < lo || int(p) > hi || p == orig {
				t.Fatalf("Pick(%d) = %d, %v; want a port of %d-%d other than %d", orig, p, ok, lo, hi, orig)
			}
			seen[p] = true
		}
		if hi-lo < 1000 && len(seen) != hi-lo+1-boolInt(int(orig) >= lo && int(orig) <= hi) {
			t.Errorf("Pick(%d): %d distinct ports of %d-%d", orig, len(seen), lo, hi)
		}
	}
	seen := map[uint16]bool{}
	for i := 0; i < 20000; i++ {
		id, ok := a.PickID(7, func(id uint16) bool { return id != 7 })
		if !ok || id == 7 {
			t.Fatalf("PickID = %d, %v", id, ok)
		}
		seen[id] = true
	}
	if len(seen) < 15000 { // 20000 draws from 65535 give some 17000 distinct
		t.Errorf("PickID: only %d distinct ids in 20000 picks", len(seen))
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestPickCollisions: with most of the range taken, the port found is a
// free one, and with half taken a search never fails.
func TestPickCollisions(t *testing.T) {
	a := NewAllocator(3)
	used := map[uint16]bool{}
	for p := 1024; p < 65536; p++ {
		if p%2 == 0 {
			used[uint16(p)] = true
		}
	}
	for i := 0; i < 5000; i++ {
		p, ok := a.Pick(40000, func(p uint16) bool { return !used[p] })
		if !ok || used[p] || p < 1024 {
			t.Fatalf("Pick = %d, %v", p, ok)
		}
	}
	// Connections keep coming until the range is full: every pick is a
	// port not given before.
	used = map[uint16]bool{}
	for i := 0; i < 400; i++ {
		p, ok := a.Pick(700, func(p uint16) bool { return !used[p] })
		if !ok {
			break // possible once most of the 424 ports are gone
		}
		if used[p] || p < 600 || p > 1023 {
			t.Fatalf("pick %d: %d (taken %v)", i, p, used[p])
		}
		used[p] = true
	}
	if len(used) < 300 {
		t.Errorf("only %d of 424 ports handed out before the first failure", len(used))
	}
}

// TestPickExhaustion: when nothing is free the search gives up after the
// original and runs of 128, 64, 32, 16 and 8 consecutive candidates
// (wrapping within the range), each run from its own random start.
func TestPickExhaustion(t *testing.T) {
	a := NewAllocator(4)
	for _, tt := range []struct {
		orig   uint16
		lo, hi int
		id     bool
	}{{80, 1, 511, false}, {800, 600, 1023, false}, {40000, 1024, 65535, false}, {9, 0, 65535, true}} {
		var calls []uint16
		free := func(p uint16) bool { calls = append(calls, p); return false }
		var p uint16
		var ok bool
		if tt.id {
			p, ok = a.PickID(tt.orig, free)
		} else {
			p, ok = a.Pick(tt.orig, free)
		}
		if ok || p != 0 {
			t.Errorf("orig %d: %d, %v; want 0, false", tt.orig, p, ok)
		}
		if len(calls) != 1+128+64+32+16+8 || calls[0] != tt.orig {
			t.Fatalf("orig %d: %d calls, first %d", tt.orig, len(calls), calls[0])
		}
		size := tt.hi - tt.lo + 1
		i := 1
		for _, run := range []int{128, 64, 32, 16, 8} {
			for j := 1; j < run; j++ {
				prev, cur := int(calls[i+j-1]), int(calls[i+j])
				if cur < tt.lo || cur > tt.hi || cur != tt.lo+(prev-tt.lo+1)%size {
					t.Fatalf("orig %d: run of %d: %d after %d", tt.orig, run, cur, prev)
				}
			}
			i += run
		}
	}
}

func TestPickDeterministic(t *testing.T) {
	seq := func(a *Allocator) string {
		var s []uint16
		for i := 0; i < 50; i++ {
			p, _ := a.Pick(5000, func(p uint16) bool { return p != 5000 })
			id, _ := a.PickID(1, func(id uint16) bool { return id != 1 })
			s = append(s, p, id)
		}
		return fmt.Sprint(s)
	}
	if x, y := seq(NewAllocator(42)), seq(NewAllocator(42)); x != y {
		t.Error("same seed, different picks")
	}
	if x, y := seq(NewAllocator(42)), seq(NewAllocator(43)); x == y {
		t.Error("different seeds, same picks")
	}
	// Zero values seed themselves, each its own way.
	var z1, z2 Allocator
	if x, y := seq(&z1), seq(&z2); x == y {
		t.Error("two zero Allocators pick alike")
	}
}
