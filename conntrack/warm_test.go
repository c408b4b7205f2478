package conntrack

import (
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
