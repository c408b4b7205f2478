package router

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// dstN is the n-th of many distinct destinations, 10.0.0.0/8 (vmIP is
// dstN(5)).
func dstN(n int) [4]byte { return [4]byte{10, byte(n >> 16), byte(n >> 8), byte(n)} }

// Types and codes of the limiter tests.
const (
	unreach, hostUnreach, fragNeeded = 3, 1, 4
	timeExceeded                     = 11
)

// allowN calls Allow n times at now and returns how many were allowed.
func allowN(l *ICMPLimiter, n int, dst func(i int) [4]byte, typ, code uint8, now int64) int {
	ok := 0
	for i := range n {
		if l.Allow(dst(i), typ, code, now) {
			ok++
		}
	}
	return ok
}

func TestICMPLimiterGlobal(t *testing.T) {
	l := NewICMPLimiter(ICMPLimitConfig{})
	next := 0
	distinct := func(int) [4]byte { next++; return dstN(next) } // no destination's limit bites
	steps := []struct {
		at   time.Duration
		n    int
		want int
	}{
		{0, 100, 50},                     // the burst
		{10 * time.Millisecond, 10, 0},   // no refill before 20 ms
		{19 * time.Millisecond, 10, 0},   // still not
		{20 * time.Millisecond, 100, 20}, // 20 ms at 1000/s
		{30 * time.Millisecond, 100, 0},  // refilled at 20 ms: wait again
		{45 * time.Millisecond, 100, 25}, // 25 ms since
		{5 * time.Second, 100, 50},       // at most one second's worth, capped at the burst
		{5*time.Second + 100*time.Millisecond, 100, 50},
	}
	total := 0
	for _, s := range steps {
		if got := allowN(l, s.n, distinct, unreach, hostUnreach, at(s.at)); got != s.want {
			t.Errorf("at %v: %d of %d allowed, want %d", s.at, got, s.n, s.want)
		}
		total += s.want
	}
	st := l.Stats()
	if st.Allowed != uint64(total) || st.LimitedGlobal != uint64(next-total) || st.LimitedHost != 0 {
		t.Errorf("stats %+v, want %d allowed, %d limited", st, total, next-total)
	}
}

// TestICMPLimiterSustained sends far more than allowed for ten seconds, a
// message per millisecond to new destinations: the global rate holds.
func TestICMPLimiterSustained(t *testing.T) {
	l := NewICMPLimiter(ICMPLimitConfig{})
	ok := 0
	for ms := range 10_000 {
		for k := range 5 {
			if l.Allow(dstN(ms*5+k), timeExceeded, 0, at(time.Duration(ms)*time.Millisecond)) {
				ok++
			}
		}
	}
	// The burst, then 1000/s in 20 ms chunks.
	if ok < 9_900 || ok > 10_050 {
		t.Errorf("%d allowed in 10 s", ok)
	}
}

func TestICMPLimiterPeer(t *testing.T) {
	l := NewICMPLimiter(ICMPLimitConfig{})
	same := func(int) [4]byte { return vmIP }
	if got := allowN(l, 20, same, timeExceeded, 0, at(0)); got != 6 {
		t.Fatalf("burst %d, want 6", got)
	}
	// Other destinations are not held back by this one, and its 14
	// refusals took no global tokens: 44 remain for others.
	if got := allowN(l, 100, func(i int) [4]byte { return dstN(1000 + i) }, unreach, hostUnreach, at(0)); got != 44 {
		t.Errorf("others: %d allowed, want 44", got)
	}
	steps := []struct {
		at   time.Duration
		n    int
		want int
	}{
		{999 * time.Millisecond, 5, 0},
		{time.Second, 5, 1}, // then one per second
		{1500 * time.Millisecond, 5, 0},
		{2 * time.Second, 5, 1},
		{4 * time.Second, 5, 2},   // two seconds saved
		{14 * time.Second, 20, 6}, // idle: a full burst again, no more
	}
	refused := 14
	for _, s := range steps {
		if got := allowN(l, s.n, same, timeExceeded, 0, at(s.at)); got != s.want {
			t.Errorf("at %v: %d of %d allowed, want %d", s.at, got, s.n, s.want)
		}
		refused += s.n - s.want
	}
	// Destinations refused by the global bucket are not tracked.
	if st := l.Stats(); st.LimitedHost != uint64(refused) || st.LimitedGlobal != 56 || st.Peers != 45 {
		t.Errorf("stats %+v, want %d limited by host, 56 globally, 45 peers", st, refused)
	}
}

func TestICMPLimiterExempt(t *testing.T) {
	l := NewICMPLimiter(ICMPLimitConfig{})
	same := func(int) [4]byte { return vmIP }
	for _, tc := range []struct {
		name      string
		typ, code uint8
	}{
		{"fragmentation needed", unreach, fragNeeded},
		{"echo reply", 0, 0},
		{"redirect", 5, 1},
		{"timestamp reply", 14, 0},
		{"type 19", 19, 0},
		{"type 255", 255, 0},
	} {
		if got := allowN(l, 1000, same, tc.typ, tc.code, at(0)); got != 1000 {
			t.Errorf("%s: %d of 1000 allowed", tc.name, got)
		}
	}
	// None of them took a global or per-destination token.
	if got := allowN(l, 10, same, unreach, hostUnreach, at(0)); got != 6 {
		t.Errorf("after exempt messages: %d allowed, want 6", got)
	}
	if got := allowN(l, 100, func(i int) [4]byte { return dstN(1000 + i) }, unreach, hostUnreach, at(0)); got != 44 {
		t.Errorf("after exempt messages: %d allowed, want 44", got)
	}
	// Every code of the limited types but 3/4 is limited.
	for _, tc := range [][2]uint8{{3, 0}, {3, 3}, {3, 13}, {4, 0}, {11, 1}, {12, 0}} {
		if l.Allow(dstN(9999), tc[0], tc[1], at(0)) {
			t.Errorf("type %d code %d allowed with the bucket empty", tc[0], tc[1])
		}
	}
}

func TestICMPLimiterConfig(t *testing.T) {
	l := NewICMPLimiter(ICMPLimitConfig{MsgsPerSec: 10, MsgsBurst: 3, RateLimit: 100 * time.Millisecond, RateMask: 1 << 5, MaxPeers: 2})
	same := func(int) [4]byte { return vmIP }
	if got := allowN(l, 10, same, unreach, hostUnreach, at(0)); got != 10 {
		t.Errorf("type 3 not in the mask: %d allowed", got)
	}
	if got := allowN(l, 10, func(i int) [4]byte { return dstN(i) }, 5, 0, at(0)); got != 3 {
		t.Errorf("burst 3: %d allowed", got)
	}
	// 10/s: a token per 100 ms; none in the first 20 ms, 0 in 50 ms.
	if got := allowN(l, 10, func(i int) [4]byte { return dstN(100 + i) }, 5, 0, at(50*time.Millisecond)); got != 0 {
		t.Errorf("after 50 ms: %d allowed", got)
	}
	// The refill time only moves when tokens were added: 300 ms' worth.
	if got := allowN(l, 10, func(i int) [4]byte { return dstN(200 + i) }, 5, 0, at(300*time.Millisecond)); got != 3 {
		t.Errorf("after 300 ms: %d allowed, want 3", got)
	}
	def := NewICMPLimiter(ICMPLimitConfig{}).Config()
	want := ICMPLimitConfig{MsgsPerSec: 1000, MsgsBurst: 50, RateLimit: time.Second, RateMask: 6168, MaxPeers: 4096}
	if def != want {
		t.Errorf("defaults %+v, want %+v", def, want)
	}
}

func TestICMPLimiterClockBack(t *testing.T) {
	l := NewICMPLimiter(ICMPLimitConfig{})
	allowN(l, 50, func(i int) [4]byte { return dstN(i) }, unreach, hostUnreach, at(time.Hour))
	if allowN(l, 10, func(i int) [4]byte { return dstN(100 + i) }, unreach, hostUnreach, at(0)) != 0 {
		t.Error("allowed right after the clock stepped back")
	}
	// Refills resume from the new time, not an hour later.
	if got := allowN(l, 100, func(i int) [4]byte { return dstN(200 + i) }, unreach, hostUnreach, at(time.Second)); got != 50 {
		t.Errorf("a second later: %d allowed", got)
	}
	// A destination last seen in the future (one message, 5 tokens left)
	// gains nothing from the hour and loses nothing either.
	if got := allowN(l, 10, func(int) [4]byte { return dstN(1) }, unreach, hostUnreach, at(2*time.Second)); got != 5 {
		t.Errorf("destination seen an hour ahead: %d allowed, want 5", got)
	}
}

func TestICMPLimiterBounded(t *testing.T) {
	l := NewICMPLimiter(ICMPLimitConfig{MaxPeers: 4, MsgsBurst: 1000})
	a := [4]byte{192, 0, 2, 1}
	exhaust := func(now int64) int { return allowN(l, 10, func(int) [4]byte { return a }, unreach, hostUnreach, now) }
	if got := exhaust(at(0)); got != 6 {
		t.Fatalf("burst %d", got)
	}
	// Three others fill the table; a is refused and so the most recent.
	for i := range 3 {
		l.Allow(dstN(i), unreach, hostUnreach, at(0))
	}
	if exhaust(at(0)) != 0 {
		t.Fatal("a allowed again")
	}
	// A fifth destination evicts dstN(0), the least recent: a keeps its
	// empty bucket.
	l.Allow(dstN(3), unreach, hostUnreach, at(0))
	if exhaust(at(0)) != 0 {
		t.Error("a forgotten although recently limited")
	}
	// Four more new destinations push a out: it comes back with a burst.
	for i := 4; i < 8; i++ {
		l.Allow(dstN(i), unreach, hostUnreach, at(0))
	}
	if got := exhaust(at(0)); got != 6 {
		t.Errorf("a after eviction: %d allowed, want a new burst of 6", got)
	}
	if st := l.Stats(); st.Peers != 4 || st.Evicted != 6 {
		t.Errorf("stats %+v, want 4 peers, 6 evicted", st)
	}

	big := NewICMPLimiter(ICMPLimitConfig{})
	for i := range 10_000 {
		big.Allow(dstN(i), unreach, hostUnreach, at(time.Duration(i)*time.Second))
	}
	if st := big.Stats(); st.Peers != 4096 || st.Evicted != 10_000-4096 {
		t.Errorf("default table: %+v", st)
	}
}

// TestICMPLimiterModel drives a small table with random destinations and
// times and compares every answer with a plain model: a map of buckets
// and a recency slice.
func TestICMPLimiterModel(t *testing.T) {
	const maxPeers, cost = 8, int64(time.Second)
	l := NewICMPLimiter(ICMPLimitConfig{MaxPeers: maxPeers, MsgsBurst: 1 << 30, MsgsPerSec: 1 << 30})
	type bucket struct{ tokens, last int64 }
	model := map[[4]byte]*bucket{}
	var order [][4]byte // least recent first
	r := rand.New(rand.NewPCG(1, 2))
	now := at(0)
	for step := range 20_000 {
		now += int64(r.IntN(400)) * int64(time.Millisecond)
		dst := dstN(r.IntN(20))
		b, seen := model[dst]
		if !seen {
			if len(order) == maxPeers {
				delete(model, order[0])
				order = order[1:]
			}
			b = &bucket{tokens: 6 * cost, last: now}
			model[dst] = b
		}
		for i, d := range order {
			if d == dst {
				order = append(order[:i], order[i+1:]...)
				break
			}
		}
		order = append(order, dst)
		b.tokens = min(b.tokens+now-b.last, 6*cost)
		b.last = now
		want := b.tokens >= cost
		if want {
			b.tokens -= cost
		}
		if got := l.Allow(dst, unreach, hostUnreach, now); got != want {
			t.Fatalf("step %d, %v: Allow = %v, model %v", step, dst, got, want)
		}
	}
	if st := l.Stats(); st.Peers != maxPeers {
		t.Errorf("peers %d", st.Peers)
	}
}

func TestICMPLimiterConcurrent(t *testing.T) {
	l := NewICMPLimiter(ICMPLimitConfig{})
	var ok atomic.Int64
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 1000 {
				if l.Allow(dstN(g*1000+i), unreach, hostUnreach, at(0)) {
					ok.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if ok.Load() != 50 {
		t.Errorf("%d allowed at one instant, want the burst of 50", ok.Load())
	}
	if st := l.Stats(); st.Allowed+st.LimitedGlobal+st.LimitedHost != 8000 {
		t.Errorf("stats %+v do not add up to 8000", st)
	}
}

func TestICMPLimiterAllocs(t *testing.T) {
	l := NewICMPLimiter(ICMPLimitConfig{MaxPeers: 64})
	i := 0
	n := testing.AllocsPerRun(1000, func() {
		i++
		l.Allow(dstN(i), unreach, hostUnreach, at(time.Duration(i)*time.Millisecond)) // new destinations, evicting
		l.Allow(dstN(i), unreach, fragNeeded, at(time.Duration(i)*time.Millisecond))
	})
	if n != 0 {
		t.Errorf("Allow allocates %v times", n)
	}
}

func BenchmarkICMPLimiterAllow(b *testing.B) {
	l := NewICMPLimiter(ICMPLimitConfig{})
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		i++
		l.Allow(dstN(i%8192), unreach, hostUnreach, at(time.Duration(i)*time.Microsecond))
	}
}

// TestPeerTableIndex churns a small table through many evictions and
// checks after each step that every destination held is found where it
// is, through probe runs the removals shifted back, and nothing else is
// indexed.
func TestPeerTableIndex(t *testing.T) {
	for seed := range uint64(20) {
		var pt peerTable
		pt.init(8)
		pt.seed = seed * 0x9e3779b97f4a7c15
		r := rand.New(rand.NewPCG(seed, 7))
		for step := range 2000 {
			pt.allow(dstN(r.IntN(40)), int64(step), 1)
			used := 0
			for _, s := range pt.slots {
				if s != 0 {
					used++
				}
			}
			if used != pt.n {
				t.Fatalf("seed %d step %d: %d slots used for %d peers", seed, step, used, pt.n)
			}
			for i := range pt.n {
				if got := pt.find(pt.peers[i].addr); got != int32(i) {
					t.Fatalf("seed %d step %d: %v found at %d, held at %d", seed, step, pt.peers[i].addr, got, i)
				}
			}
		}
	}
}
