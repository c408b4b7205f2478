package l2switch

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"neutrino/internal/clock"
)

// TestConcurrent forwards from several goroutines at once while another
// expires, lists, flushes and swaps the membership. Run it with -race.
//
// Each forwarder owns a set of MACs that only it sends from, so a unicast
// decision for one of them must name that forwarder's port: a torn read of
// the table would show up as a wrong port. A few roaming MACs are sent from
// every port to exercise moves.
func TestConcurrent(t *testing.T) {
	const (
		ports   = 4
		owned   = 100
		roaming = 20
		lvids   = 2
	)
	frames := 50000
	if testing.Short() {
		frames = 2000
	}
	m := Membership{}
	for p := range ports {
		m[PortID(p)] = []uint16{1, 2}
	}
	s := mustSwitch(t, Config{AgingTime: 5 * time.Second, MaxMACsPerPort: 2 * owned}, m)
	clk := clock.NewFake(time.Unix(0, t0))

	ownedMAC := func(p, j int) MAC { return vm(0x100*(p+1) + j) }
	owner := func(mac MAC) int { return int(mac[4]) - 1 } // -1 for roaming
	roamMAC := func(j int) MAC { return vm(j) }

	var stop atomic.Bool
	var wg sync.WaitGroup
	errc := make(chan string, 100)
	report := func(msg string) {
		select {
		case errc <- msg:
		default:
		}
	}

	for p := range ports {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(p), 7))
			in := PortID(p)
			for range frames {
				lvid := uint16(1 + rng.IntN(lvids))
				var src, dst MAC
				if rng.IntN(10) == 0 {
					src = roamMAC(rng.IntN(roaming))
				} else {
					src = ownedMAC(p, rng.IntN(owned))
				}
				switch r := rng.IntN(20); {
				case r == 0:
					dst = bcast
				case r < 3:
					dst = roamMAC(rng.IntN(roaming))
				default:
					dst = ownedMAC(rng.IntN(ports), rng.IntN(owned))
				}
				d := s.Forward(in, lvid, &dst, &src, clk.Now())
				switch d.Action {
				case Unicast:
					if d.Port == in || int(d.Port) >= ports {
						report(fmt.Sprintf("port %d: unicast to bad port %d", in, d.Port))
					}
					if o := owner(dst); o >= 0 && int(d.Port) != o {
						report(fmt.Sprintf("owned MAC %v unicast to port %d", dst, d.Port))
					}
				case Drop:
					if d.Drop == DropSamePort && owner(dst) >= 0 && owner(dst) != p {
						report("same_port for a MAC owned by another port")
					}
				}
			}
		}()
	}

	var maint sync.WaitGroup
	maint.Add(1)
	go func() {
		defer maint.Done()
		rng := rand.New(rand.NewPCG(99, 7))
		for i := 0; !stop.Load(); i++ {
			clk.Advance(50 * time.Millisecond)
			now := clk.Now()
			s.Expire(now)
			es := s.Entries(now)
			seen := map[uint64]bool{}
			for j, e := range es {
				k := fdbKey(e.LVID, &e.MAC)
				if seen[k] {
					report("duplicate entry " + e.MAC.String())
				}
				seen[k] = true
				if j > 0 && es[j-1].Port > e.Port {
					report("Entries not sorted by port")
				}
				if o := owner(e.MAC); o >= 0 && int(e.Port) != o {
					report("owned MAC listed on another port")
				}
			}
			_ = s.Stats()
			// The dry run and the iterator race the forwarders too.
			a, b := ownedMAC(0, i%owned), ownedMAC(1, i%owned)
			switch d := s.Lookup(0, 1, &b, &a, now); {
			case d.Action == Drop && d.Drop != DropMACLimit:
				report("Lookup: dropped a frame between owned MACs: " + d.Drop.String())
			case d.Action == Unicast && d.Port != 1:
				report(fmt.Sprintf("Lookup: port 1's MAC unicast to port %d", d.Port))
			}
			s.Each(now, func(e Entry) bool {
				if o := owner(e.MAC); o >= 0 && int(e.Port) != o {
					report("Each: owned MAC on another port")
				}
				return true
			})
			if i%10 == 0 {
				s.FlushPort(PortID(rng.IntN(ports)))
			}
			if i%25 == 0 {
				if err := s.SetMembership(m); err != nil {
					report(err.Error())
				}
			}
		}
	}()

	wg.Wait()
	stop.Store(true)
	maint.Wait()
	close(errc)
	for msg := range errc {
		t.Error(msg)
	}

	// Everything ages out eventually, and every created entry is
	// accounted for exactly once.
	s.Expire(clk.Now() + int64(time.Hour))
	st := s.Stats()
	if st.MACs != 0 {
		t.Errorf("after expiring everything, Stats.MACs = %d", st.MACs)
	}
	for p, ps := range st.Ports {
		if ps.MACs != 0 {
			t.Errorf("after expiring everything, port %d owns %d MACs", p, ps.MACs)
		}
	}
	if st.Learned != st.Aged+st.Flushed {
		t.Errorf("Learned %d != Aged %d + Flushed %d", st.Learned, st.Aged, st.Flushed)
	}
	if st.Learned == 0 || st.Moved == 0 {
		t.Errorf("test exercised nothing: %+v", st)
	}
}
