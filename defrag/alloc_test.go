package defrag

import (
	"sync"
	"testing"
)

// TestNoAllocs: once its buffers and datagrams have been used, a table
// reassembles without allocating.
func TestNoAllocs(t *testing.T) {
	frags := split(t, udpDatagram(t, 1, nil, 4000), 1480, nil)
	tab := New(Config{})
	dst := make([]byte, maxDatagram)
	reassemble := func() {
		for i := len(frags) - 1; i >= 0; i-- {
			tab.Add(frags[i], 0, t0, dst)
		}
	}
	reassemble()
	if a := testing.AllocsPerRun(100, reassemble); a != 0 {
		t.Errorf("%v allocations per datagram, want 0", a)
	}
	if s := tab.Stats(); s.Fragments[Complete] != 102 {
		t.Errorf("%d completed, want 102", s.Fragments[Complete])
	}
}

// TestConcurrent: goroutines reassembling their own datagrams through one
// table all get them whole.
func TestConcurrent(t *testing.T) {
	const workers, each = 4, 200
	tab := New(Config{})
	var wg sync.WaitGroup
	errs := make(chan string, workers)
	for w := range workers {
		frags := make([][][]byte, each)
		for i := range frags {
			frags[i] = split(t, udpDatagram(t, uint16(w*each+i), nil, 3000), 1024, nil)
		}
		wg.Go(func() {
			dst := make([]byte, maxDatagram)
			for i, fs := range frags {
				for j, f := range fs {
					_, v := tab.Add(f, uint16(w), t0, dst)
					if want := j == len(fs)-1; (v.Outcome == Complete) != want {
						errs <- v.Outcome.String()
						return
					}
				}
				if i%50 == 0 {
					tab.Expire(t0)
					tab.Stats()
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if s := tab.Stats(); s.Fragments[Complete] != workers*each || s.Datagrams != 0 {
		t.Errorf("%d complete, %d left", s.Fragments[Complete], s.Datagrams)
	}
	invariants(t, tab)
}
