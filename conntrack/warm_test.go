package conntrack

import (
	"math/rand/v2"
	"testing"
)

// The hash Prefetch and Ahead compute from a raw frame is the one Track
// looks the frame's tuple up by, tagged or not, and nothing else is
// taken for a TCP or UDP packet.
func TestFrameHash(t *testing.T) {
	e := newEnv(t, Config{})
	src, dst := [4]byte{10, 0, 0, 1}, [4]byte{192, 0, 2, 7}
	tagged := func(f []byte) []byte {
		g := make([]byte, 0, len(f)+4)
		g = append(g, f[:12]...)
		g = append(g, 0x81, 0x00, 0x00, 0x05)
		return append(g, f[12:]...)
	}
	for _, f := range [][]byte{
		udpFrame(src, dst, 1000, 53),
		tcpFrame(src, dst, 40000, 443, fSYN),
	} {
		for _, zone := range []uint16{0, 7} {
			v := e.track(f, zone)
			want := e.tab.seed.hash(v.k0, v.k1)
			for _, g := range [][]byte{f, tagged(f)} {
				if h, ok := e.tab.frameHash(g, zone); !ok || h != want {
					t.Errorf("frameHash of %x in zone %d = %x, %v; want %x", g, zone, h, ok, want)
				}
			}
		}
	}
	frag := udpFrame(src, dst, 1000, 53)
	frag[14+6] = 0x20 // more fragments
	for _, f := range [][]byte{echoFrame(src, dst, 8, 1), frag, udpFrame(src, dst, 1, 2)[:30]} {
		if _, ok := e.tab.frameHash(f, 0); ok {
			t.Errorf("frameHash of %x: ok, want not a tuple to look up", f)
		}
	}
}

// Deletion shifts keys back by the distance their slots keep, and by
// their hash once that distance is too large to keep: a probe run of 300
// keys with one home slot, deleted from in random order, keeps every
// other key findable.
func TestDeleteLongRun(t *testing.T) {
	tab := New(Config{})
	sd := &tab.seed
	var sh shard
	sh.init()
	sh.tab.Store(newSlots(1024))
	home := func(h uint64) uint64 { return sh.tab.Load().home(h) }
	type kh struct{ w0, w1, h uint64 }
	var keys []kh
	want := uint64(1000)
	for i := uint64(0); len(keys) < 300; i++ {
		w0, w1 := i, uint64(usedBit)|i>>32
		if h := sd.hash(w0, w1); home(h) == want%1024 || home(h) == (want+1)%1024 {
			keys = append(keys, kh{w0, w1, h})
		}
	}
	for i, k := range keys {
		sh.put(k.w0, k.w1, k.h, packRef(0, uint32(i), 1, Original), sd)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	order := rng.Perm(len(keys))
	gone := map[int]bool{}
	for n, i := range order {
		k := keys[i]
		sh.seq.Add(1)
		sh.del(k.w0, k.w1, k.h, packRef(0, uint32(i), 1, Original), sd)
		sh.seq.Add(1)
		gone[i] = true
		if n%7 != 0 && n != len(order)-1 {
			continue
		}
		for j, k := range keys {
			r, ok := sh.getLocked(k.w0, k.w1, k.h)
			if ok == gone[j] || ok && r != packRef(0, uint32(j), 1, Original) {
				t.Fatalf("after %d deletions: key %d found %v (ref %x), want %v", n+1, j, ok, r, !gone[j])
			}
		}
	}
	if sh.n != 0 {
		t.Errorf("%d slots counted after deleting every key", sh.n)
	}
}
