package router

import (
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const t0 = int64(1_800_000_000) * int64(time.Second)

var (
	ipA  = [4]byte{10, 0, 0, 5}
	ipB  = [4]byte{10, 0, 0, 6}
	macA = [6]byte{0xfa, 0x16, 0x3e, 0, 0, 5}
	macB = [6]byte{0xfa, 0x16, 0x3e, 0, 0, 6}
)

func at(d time.Duration) int64 { return t0 + int64(d) }

func wantDecision(t *testing.T, got Decision[int], want Decision[int]) {
	t.Helper()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decision (-want +got):\n%s", diff)
	}
}

func TestNeighResolveSuccess(t *testing.T) {
	c := New[int](Config{})
	wantDecision(t, c.Resolve(1, ipA, 100, at(0)), Decision[int]{Action: QueueAndRequest})
	wantDecision(t, c.Resolve(1, ipA, 101, at(100*time.Millisecond)), Decision[int]{Action: Queued})
	if _, st := c.Lookup(1, ipA, at(0)); st != StateIncomplete {
		t.Fatalf("state = %v, want INCOMPLETE", st)
	}
	// The same IP on another interface is another neighbour.
	wantDecision(t, c.Resolve(2, ipA, 200, at(0)), Decision[int]{Action: QueueAndRequest})

	out := c.Learn(1, ipA, macA, HeardReply, at(500*time.Millisecond), nil)
	if diff := cmp.Diff([]int{100, 101}, out); diff != "" {
		t.Errorf("released items (-want +got):\n%s", diff)
	}
	wantDecision(t, c.Resolve(1, ipA, 102, at(time.Second)), Decision[int]{Action: Send, MAC: macA})
	if mac, st := c.Lookup(1, ipA, at(time.Second)); st != StateReachable || mac != macA {
		t.Errorf("Lookup = %v %v, want REACHABLE %v", mac, st, macA)
	}
	s := c.Stats()
	if s.Requests != 2 || s.Resolved != 1 || s.LearnedReply != 1 || s.Entries != 2 {
		t.Errorf("stats = %+v", s)
	}
	// No retry for a resolved neighbour.
	reqs, dropped := c.Tick(at(1500*time.Millisecond), nil, nil)
	if diff := cmp.Diff([]Request{{Iface: 2, IP: ipA}}, reqs); diff != "" || len(dropped) != 0 {
		t.Errorf("Tick: requests (-want +got):\n%s dropped %v", diff, dropped)
	}
}

func TestNeighRetriesThenFailed(t *testing.T) {
	c := New[int](Config{})
	c.Resolve(1, ipA, 1, at(0))
	c.Resolve(1, ipA, 2, at(0))
	var all []Request
	var dropped []int
	for ms := 100; ms <= 3000; ms += 100 {
		var reqs []Request
		reqs, dropped = c.Tick(at(time.Duration(ms)*time.Millisecond), nil, dropped)
		for range reqs {
			all = append(all, Request{Iface: ms}) // record when
		}
		if ms < 3000 && len(dropped) != 0 {
			t.Fatalf("dropped at %d ms", ms)
		}
	}
	if diff := cmp.Diff([]Request{{Iface: 1000}, {Iface: 2000}}, all); diff != "" {
		t.Errorf("retries at ms (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{1, 2}, dropped); diff != "" {
		t.Errorf("dropped (-want +got):\n%s", diff)
	}
	if _, st := c.Lookup(1, ipA, at(3*time.Second)); st != StateFailed {
		t.Fatalf("state = %v, want FAILED", st)
	}
	// Within the hold: unreachable, the caller keeps the frame.
	wantDecision(t, c.Resolve(1, ipA, 3, at(3500*time.Millisecond)), Decision[int]{Action: Unreachable})
	s := c.Stats()
	if s.Requests != 3 || s.Failed != 1 || s.Unreachable != 3 {
		t.Errorf("stats = %+v, want 3 requests, 1 failed, 3 unreachable", s)
	}
	// After the hold, resolution starts again.
	wantDecision(t, c.Resolve(1, ipA, 4, at(4*time.Second)), Decision[int]{Action: QueueAndRequest})
	// A late reply still resolves it.
	if out := c.Learn(1, ipA, macA, HeardReply, at(4100*time.Millisecond), nil); len(out) != 1 || out[0] != 4 {
		t.Errorf("released %v, want [4]", out)
	}
}

func TestNeighFailedExpires(t *testing.T) {
	c := New[int](Config{})
	c.Resolve(1, ipA, 1, at(0))
	for s := 1; s <= 3; s++ {
		c.Tick(at(time.Duration(s)*time.Second), nil, nil)
	}
	c.Tick(at(4*time.Second), nil, nil)
	if _, st := c.Lookup(1, ipA, at(4*time.Second)); st != StateNone {
		t.Errorf("state after hold = %v, want removed", st)
	}
	if s := c.Stats(); s.Expired != 1 || s.Entries != 0 {
		t.Errorf("stats = %+v", s)
	}
}

func TestNeighAgingAndProbe(t *testing.T) {
	c := New[int](Config{})
	c.Resolve(1, ipA, 1, at(0))
	c.Learn(1, ipA, macA, HeardReply, at(0), nil)
	wantDecision(t, c.Resolve(1, ipA, 2, at(29*time.Second)), Decision[int]{Action: Send, MAC: macA})
	if _, st := c.Lookup(1, ipA, at(30*time.Second)); st != StateStale {
		t.Fatalf("state at 30 s = %v, want STALE", st)
	}
	// Used again: sent with the stale MAC, and probed once.
	wantDecision(t, c.Resolve(1, ipA, 3, at(31*time.Second)), Decision[int]{Action: SendAndProbe, MAC: macA})
	wantDecision(t, c.Resolve(1, ipA, 4, at(31*time.Second)), Decision[int]{Action: Send, MAC: macA})
	// Unicast probes retried by Tick.
	reqs, _ := c.Tick(at(32*time.Second), nil, nil)
	if diff := cmp.Diff([]Request{{Iface: 1, IP: ipA, MAC: macA}}, reqs); diff != "" {
		t.Errorf("probe (-want +got):\n%s", diff)
	}
	// A reply confirms it again.
	c.Learn(1, ipA, macA, HeardReply, at(32500*time.Millisecond), nil)
	if _, st := c.Lookup(1, ipA, at(33*time.Second)); st != StateReachable {
		t.Errorf("after reply: %v, want REACHABLE", st)
	}
	// Unanswered probes end in FAILED.
	c.Resolve(1, ipA, 5, at(70*time.Second))
	var n int
	for s := 71; s <= 73; s++ {
		reqs, _ := c.Tick(at(time.Duration(s)*time.Second), nil, nil)
		n += len(reqs)
	}
	if _, st := c.Lookup(1, ipA, at(73*time.Second)); st != StateFailed || n != 2 {
		t.Errorf("after unanswered probes: %v with %d retries, want FAILED after 2", st, n)
	}
	if s := c.Stats(); s.Probes != 5 {
		t.Errorf("probes = %d, want 5 (2 rounds)", s.Probes)
	}
}

func TestNeighQueueCap(t *testing.T) {
	c := New[int](Config{MaxQueue: 3})
	c.Resolve(1, ipA, 1, at(0))
	c.Resolve(1, ipA, 2, at(0))
	c.Resolve(1, ipA, 3, at(0))
	wantDecision(t, c.Resolve(1, ipA, 4, at(0)), Decision[int]{Action: Queued, Dropped: 1, HasDropped: true})
	wantDecision(t, c.Resolve(1, ipA, 5, at(0)), Decision[int]{Action: Queued, Dropped: 2, HasDropped: true})
	out := c.Learn(1, ipA, macA, HeardReply, at(0), nil)
	if diff := cmp.Diff([]int{3, 4, 5}, out); diff != "" {
		t.Errorf("released (-want +got):\n%s", diff)
	}
	if s := c.Stats(); s.QueueOverflow != 2 {
		t.Errorf("QueueOverflow = %d, want 2", s.QueueOverflow)
	}
}

func TestNeighLearn(t *testing.T) {
	c := New[int](Config{})
	// Unsolicited reply: not learned.
	c.Learn(1, ipA, macA, HeardReply, at(0), nil)
	// Someone else's ARP: not learned either.
	c.Learn(1, ipB, macB, HeardOther, at(0), nil)
	if _, st := c.Lookup(1, ipA, at(0)); st != StateNone {
		t.Errorf("unsolicited reply learned: %v", st)
	}
	// A request to the router is learned STALE.
	c.Learn(1, ipB, macB, HeardRequest, at(0), nil)
	if mac, st := c.Lookup(1, ipB, at(0)); st != StateStale || mac != macB {
		t.Errorf("request: %v %v, want STALE %v", mac, st, macB)
	}
	// A gratuitous ARP with a new MAC updates it.
	c.Learn(1, ipB, macA, HeardOther, at(0), nil)
	if mac, _ := c.Lookup(1, ipB, at(0)); mac != macA {
		t.Errorf("MAC after gratuitous ARP = %v, want %v", mac, macA)
	}
	// A request with the same MAC leaves a REACHABLE neighbour alone.
	c.Learn(1, ipB, macA, HeardReply, at(time.Second), nil)
	c.Learn(1, ipB, macA, HeardRequest, at(2*time.Second), nil)
	if _, st := c.Lookup(1, ipB, at(2*time.Second)); st != StateReachable {
		t.Errorf("state = %v, want REACHABLE", st)
	}
	// Bogus senders.
	for _, b := range []struct {
		ip  [4]byte
		mac [6]byte
	}{{ipA, [6]byte{1, 0, 0x5e, 0, 0, 1}}, {ipA, [6]byte{}}, {[4]byte{}, macA}, {[4]byte{255, 255, 255, 255}, macA}, {[4]byte{224, 0, 0, 1}, macA}} {
		c.Learn(1, b.ip, b.mac, HeardRequest, at(0), nil)
	}
	s := c.Stats()
	want := NeighStats{Entries: 1, Unsolicited: 1, LearnedReq: 1, LearnedReply: 1, Changed: 1, Bogus: 5}
	if diff := cmp.Diff(want, s); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
}

func TestNeighBounded(t *testing.T) {
	c := New[int](Config{MaxEntries: 4})
	ip := func(i int) [4]byte { return [4]byte{10, 0, 0, byte(i)} }
	mac := func(i int) [6]byte { return [6]byte{2, 0, 0, 0, 0, byte(i)} }
	// 1: REACHABLE, 2: STALE (older), 3: STALE (newer), 4: INCOMPLETE.
	c.Resolve(1, ip(1), 1, at(0))
	c.Learn(1, ip(1), mac(1), HeardReply, at(0), nil)
	c.Learn(1, ip(2), mac(2), HeardRequest, at(time.Second), nil)
	c.Learn(1, ip(3), mac(3), HeardRequest, at(2*time.Second), nil)
	c.Resolve(1, ip(4), 4, at(3*time.Second))

	// Full: the oldest STALE goes first.
	wantDecision(t, c.Resolve(1, ip(5), 5, at(3*time.Second)), Decision[int]{Action: QueueAndRequest})
	if _, st := c.Lookup(1, ip(2), at(3*time.Second)); st != StateNone {
		t.Errorf("oldest STALE kept (%v)", st)
	}
	// Then the other STALE.
	c.Learn(1, ip(6), mac(6), HeardRequest, at(3*time.Second), nil)
	if _, st := c.Lookup(1, ip(3), at(3*time.Second)); st != StateNone {
		t.Errorf("STALE kept (%v)", st)
	}
	// 1 REACHABLE, 4 and 5 INCOMPLETE, 6 STALE. A FAILED one goes before
	// any STALE: let 4 and 5 fail.
	for s := 4; s <= 6; s++ {
		c.Tick(at(time.Duration(s)*time.Second), nil, nil)
	}
	c.Resolve(1, ip(7), 7, at(6500*time.Millisecond))
	if _, st := c.Lookup(1, ip(6), at(6500*time.Millisecond)); st != StateStale {
		t.Errorf("STALE evicted before FAILED (%v)", st)
	}
	// Nothing evictable: 1 fresh REACHABLE, the rest INCOMPLETE.
	c.Learn(1, ip(1), mac(1), HeardReply, at(6500*time.Millisecond), nil)
	c.Resolve(1, ip(8), 8, at(6500*time.Millisecond)) // takes the other FAILED
	c.Resolve(1, ip(6), 6, at(6500*time.Millisecond)) // STALE -> PROBE
	wantDecision(t, c.Resolve(1, ip(9), 9, at(6500*time.Millisecond)), Decision[int]{Action: TableFull})
	c.Learn(1, ip(10), mac(10), HeardRequest, at(6500*time.Millisecond), nil)
	s := c.Stats()
	if s.Entries != 4 || s.TableFull != 2 || s.Evicted != 4 {
		t.Errorf("stats = %+v, want 4 entries, 2 table full, 4 evicted", s)
	}
}

// TestNeighFlood: 100k requests from distinct senders keep the table at its
// bound, and the index stays usable through rebuilds.
func TestNeighFlood(t *testing.T) {
	c := New[int](Config{MaxEntries: 1024})
	for i := range 100000 {
		ip := [4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}
		c.Learn(1, ip, [6]byte{2, 0, 0, byte(i >> 16), byte(i >> 8), byte(i)}, HeardRequest, at(time.Duration(i)), nil)
	}
	s := c.Stats()
	if s.Entries != 1024 || s.Evicted != 100000-1024 {
		t.Errorf("stats = %+v", s)
	}
	last := [4]byte{10, 1, 0x86, 0x9f} // 99999
	if _, st := c.Lookup(1, last, at(time.Second)); st != StateStale {
		t.Errorf("newest entry: %v", st)
	}
	if n := len(c.Entries(at(time.Second))); n != 1024 {
		t.Errorf("Entries = %d", n)
	}
}

func TestNeighHitAllocs(t *testing.T) {
	c := New[*int](Config{})
	c.Resolve(1, ipA, nil, at(0))
	c.Learn(1, ipA, macA, HeardReply, at(0), nil)
	item := new(int)
	var d Decision[*int]
	n := testing.AllocsPerRun(1000, func() { d = c.Resolve(1, ipA, item, at(time.Second)) })
	if n != 0 || d.Action != Send {
		t.Errorf("hit path: %v allocs, action %v", n, d.Action)
	}
}

// TestNeighConcurrent runs hits, learning, resolution and ticks together
// (meaningful under -race).
func TestNeighConcurrent(t *testing.T) {
	c := New[int](Config{MaxEntries: 64})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var out []int
			for i := range 5000 {
				ip := [4]byte{10, 0, byte(w), byte(i % 100)}
				now := at(time.Duration(i) * time.Millisecond)
				c.Resolve(1, ip, i, now)
				if i%3 == 0 {
					out = c.Learn(1, ip, macA, HeardReply, now, out[:0])
				}
				if i%50 == 0 {
					c.Tick(now, nil, nil)
				}
			}
		}()
	}
	wg.Wait()
	if s := c.Stats(); s.Entries > 64 {
		t.Errorf("entries = %d, over the bound", s.Entries)
	}
}

func BenchmarkNeighHit(b *testing.B) {
	c := New[int](Config{})
	c.Resolve(1, ipA, 0, at(0))
	c.Learn(1, ipA, macA, HeardReply, at(0), nil)
	b.ReportAllocs()
	for b.Loop() {
		c.Resolve(1, ipA, 0, at(time.Second))
	}
}
