package l2switch

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestUnicastUntil checks UnicastUntil against Lookup (what Forward
// would decide, without writing) on a random stream of frames: whenever
// it answers, every time before the one it returns gets the same
// unicast with nothing learned, while Gen stays, and the time it returns
// does not; when it does not answer, Lookup now is no such unicast.
func TestUnicastUntil(t *testing.T) {
	s := mustSwitch(t, Config{AgingTime: 8 * time.Second}, twoNets)
	rng := rand.New(rand.NewPCG(1, 2))
	now := at(0)
	answered := 0
	for i := 0; i < 20000; i++ {
		now += int64(rng.IntN(200)) * int64(time.Millisecond)
		in, src, dst := PortID(rng.IntN(5)), vm(rng.IntN(6)), vm(rng.IntN(6))
		lvid := uint16(1)
		if in == 3 {
			lvid = 2
		}
		if rng.IntN(50) == 0 {
			s.FlushPort(PortID(rng.IntN(5)))
		}
		s.Forward(in, lvid, &dst, &src, now)

		in, src, dst = PortID(rng.IntN(5)), vm(rng.IntN(6)), vm(rng.IntN(6))
		gen := s.Gen()
		for out := PortID(0); out < 5; out++ {
			until, ok := s.UnicastUntil(in, out, lvid, &dst, &src, now)
			if !ok {
				if d := s.Lookup(in, lvid, &dst, &src, now); d == unicast(out, LearnNone) {
					t.Fatalf("frame %d: no answer, but Lookup gives %+v", i, d)
				}
				continue
			}
			answered++
			if s.Gen() != gen {
				continue
			}
			ms := Millis(now)
			if until <= ms {
				t.Fatalf("frame %d: until %d is not after now %d", i, until, ms)
			}
			for _, t1 := range []int64{ms, ms + rng.Int64N(until-ms), until - 1} {
				if d := s.Lookup(in, lvid, &dst, &src, t1*1e6); d != unicast(out, LearnNone) {
					t.Fatalf("frame %d: at %d, before %d, Lookup gives %+v, want unicast to %d", i, t1-ms, until-ms, d, out)
				}
			}
			if d := s.Lookup(in, lvid, &dst, &src, until*1e6); d == unicast(out, LearnNone) {
				t.Fatalf("frame %d: at until, Lookup still gives %+v", i, d)
			}
		}
	}
	if answered < 1000 {
		t.Fatalf("only %d answers: the test tells little", answered)
	}
}
