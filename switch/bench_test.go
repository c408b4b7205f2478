package l2switch

import (
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"
)

// benchNet is a warm br-int: benchPorts VM ports spread over benchLVIDs
// networks, each port owning benchMACs MACs (4096 entries in all).
const (
	benchPorts = 8
	benchLVIDs = 4
	benchMACs  = 512
	benchRing  = 4096 // frames per port, a power of two
)

type benchFrame struct {
	lvid     uint16
	dst, src MAC
}

// benchSwitch learns every MAC and returns, per port, a ring of frames:
// sources from the port's own MACs, destinations mostly known MACs of other
// ports in the same lvid, some broadcast and some unknown.
func benchSwitch(b *testing.B) (*Switch, [][]benchFrame) {
	m := Membership{}
	for p := range benchPorts {
		m[PortID(p)] = []uint16{uint16(1 + p%benchLVIDs)}
	}
	s := mustSwitch(b, Config{}, m)
	mac := func(p, j int) MAC { return MAC{0xfa, 0x16, 0x3e, byte(p), byte(j >> 8), byte(j)} }
	for p := range benchPorts {
		for j := range benchMACs {
			src := mac(p, j)
			s.Forward(PortID(p), m[PortID(p)][0], &bcast, &src, at(0))
		}
	}
	rng := rand.New(rand.NewPCG(5, 6))
	rings := make([][]benchFrame, benchPorts)
	for p := range benchPorts {
		lvid := m[PortID(p)][0]
		for range benchRing {
			f := benchFrame{lvid: lvid, src: mac(p, rng.IntN(benchMACs))}
			switch r := rng.IntN(100); {
			case r < 2:
				f.dst = bcast
			case r < 4:
				f.dst = vm(rng.IntN(1000)) // unknown unicast
			default: // a port of the same lvid, not p
				q := (p + benchLVIDs*(1+rng.IntN(benchPorts/benchLVIDs-1))) % benchPorts
				f.dst = mac(q, rng.IntN(benchMACs))
			}
			rings[p] = append(rings[p], f)
		}
	}
	if n := len(s.Entries(at(0))); n != benchPorts*benchMACs {
		b.Fatalf("warm table has %d entries, want %d", n, benchPorts*benchMACs)
	}
	return s, rings
}

// frameGap is the clock step per frame (15 Mpps), so entries get refreshed
// as they would under traffic.
const frameGap = int64(time.Second) / 15e6

func BenchmarkForward(b *testing.B) {
	s, rings := benchSwitch(b)
	ring := rings[0]
	now := at(time.Second)
	var unicasts int
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		f := &ring[i&(benchRing-1)]
		now += frameGap
		if s.Forward(0, f.lvid, &f.dst, &f.src, now).Action == Unicast {
			unicasts++
		}
	}
	if unicasts == 0 {
		b.Fatal("no unicast decisions: the table is cold")
	}
}

// BenchmarkForwardParallel runs one forwarding goroutine per core, each as
// a different ingress port, over the same table. Each op is a batch of
// parBatch frames, as the datapath hands them over (and so that the
// testing.PB counter, written per op, does not dominate); ns/frame is the
// figure to compare with BenchmarkForward.
func BenchmarkForwardParallel(b *testing.B) {
	const parBatch = 32
	s, rings := benchSwitch(b)
	var next atomic.Int32
	start := at(time.Second)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		p := int(next.Add(1)-1) % benchPorts
		ring := rings[p]
		now := start
		i := 0
		for pb.Next() {
			for range parBatch {
				f := &ring[i&(benchRing-1)]
				now += frameGap
				s.Forward(PortID(p), f.lvid, &f.dst, &f.src, now)
				i++
			}
		}
	})
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*parBatch), "ns/frame")
}

// BenchmarkForwardLearnChurn measures the slow path: every frame's source
// is a MAC with no live entry (65536 MACs in turn, each aged out before it
// comes back), with Expire running every 1024 frames as the datapath would.
// About 10000 entries are live at any time.
func BenchmarkForwardLearnChurn(b *testing.B) {
	s := mustSwitch(b, Config{MaxMACsPerPort: -1, AgingTime: 10 * time.Millisecond}, Membership{0: {1}, 1: {1}})
	now := at(0)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		src := MAC{0xfa, 0x16, 0x3e, 0, byte(i >> 8), byte(i)}
		now += int64(time.Microsecond)
		if d := s.Forward(0, 1, &bcast, &src, now); d.Learn != LearnNew {
			b.Fatalf("frame %d: learn %v, want new", i, d.Learn)
		}
		if i&1023 == 0 {
			s.Expire(now)
		}
	}
}

func BenchmarkEntries(b *testing.B) {
	s, _ := benchSwitch(b)
	b.ReportAllocs()
	for b.Loop() {
		s.Entries(at(time.Second))
	}
}

// BenchmarkForwardEvict measures learning on a full table: every frame
// comes from a new MAC behind the uplink and evicts the oldest sampled
// uplink entry.
func BenchmarkForwardEvict(b *testing.B) {
	s := mustSwitch(b, Config{MaxEntries: 4096}, Membership{0: {1}, 1: {1}})
	s.SetUnlimited(0, true)
	now := at(0)
	for i := range 4096 {
		src := up(i)
		s.Forward(0, 1, &bcast, &src, now)
	}
	b.ReportAllocs()
	for i := 4096; b.Loop(); i++ {
		src := up(i)
		now += int64(time.Microsecond)
		if d := s.Forward(0, 1, &bcast, &src, now); d.Learn != LearnNew {
			b.Fatalf("frame %d: learn %v, want new", i, d.Learn)
		}
	}
	if st := s.Stats(); st.MACs != 4096 {
		b.Fatalf("%d entries, want 4096", st.MACs)
	}
}

func BenchmarkLookup(b *testing.B) {
	s, rings := benchSwitch(b)
	ring := rings[0]
	now := at(time.Second)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		f := &ring[i&(benchRing-1)]
		s.Lookup(0, f.lvid, &f.dst, &f.src, now)
	}
}

func BenchmarkEach(b *testing.B) {
	s, _ := benchSwitch(b)
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		s.Each(at(time.Second), func(Entry) bool { n++; return true })
	}
}
