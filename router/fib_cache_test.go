package router

import (
	"math/rand/v2"
	"net/netip"
	"sync"
	"testing"
)

// Route4 answers what Lookup4 answers, from the cache or not, and says
// ECMP where the route has several next hops.
func TestRoute4MatchesLookup(t *testing.T) {
	f := mustBuild(t, seedRoutes())
	noDefault := mustBuild(t, seedRoutes()[:3])
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		var dst [4]byte
		switch i % 4 {
		case 0: // a few hot destinations, hitting the cache
			dst = [4]byte{10, 0, byte(i % 2), byte(i % 7)}
		case 1:
			dst = [4]byte{198, 51, 100, byte(i)}
		default:
			v := r.Uint32()
			dst = [4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
		}
		for _, fib := range []*FIB{f, noDefault} {
			for pass := 0; pass < 2; pass++ { // a miss, then a hit
				h, ecmp, ok := fib.Route4(dst)
				want, wantOK := fib.Lookup4(dst, 0)
				if ok != wantOK {
					t.Fatalf("%v: Route4 ok %v, Lookup4 %v", dst, ok, wantOK)
				}
				if !ok {
					continue
				}
				hops, _ := fib.t.Lookup(netip.AddrFrom4(dst))
				if ecmp != (len(hops) > 1) {
					t.Fatalf("%v: ecmp %v with %d next hops", dst, ecmp, len(hops))
				}
				if ecmp {
					continue
				}
				if h.Interface != want.Interface || h.OnLink != want.OnLink() || !h.OnLink && netip.AddrFrom4(h.Gateway) != want.Gateway {
					t.Fatalf("%v: Route4 %+v, Lookup4 %+v", dst, h, want)
				}
				if nb := h.Neighbour(dst); netip.AddrFrom4(nb) != want.Neighbour(netip.AddrFrom4(dst)) {
					t.Fatalf("%v: neighbour %v, want %v", dst, nb, want.Neighbour(netip.AddrFrom4(dst)))
				}
			}
		}
	}
}

func TestRoute4Concurrent(t *testing.T) {
	f := mustBuild(t, seedRoutes())
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50000; i++ {
				dst := [4]byte{byte(i), byte(i >> 8), 0, byte(g)}
				h, ecmp, ok := f.Route4(dst)
				want, _ := f.Lookup4(dst, 0)
				if ok && !ecmp && h.Interface != want.Interface {
					t.Errorf("%v: %+v, want %+v", dst, h, want)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestRoute4Allocs(t *testing.T) {
	f := mustBuild(t, seedRoutes())
	dst := [4]byte{8, 8, 8, 8}
	if a := testing.AllocsPerRun(1000, func() { f.Route4(dst) }); a != 0 {
		t.Errorf("%.1f allocations per lookup", a)
	}
}

func BenchmarkRoute4(b *testing.B) {
	f := mustBuild(b, bigRoutes(1000))
	dsts := make([][4]byte, 256)
	for i := range dsts {
		dsts[i] = [4]byte{10, byte(i), byte(i * 7), 1}
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		f.Route4(dsts[i&255])
	}
}
