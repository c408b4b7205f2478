package nat

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"neutrino/packet/header"
)

// A Plan does to every packet of its flow exactly what Rewrite and a TTL
// decrement do, byte for byte: random addresses, ports, TTLs and
// checksums (full, partial, UDP's zero), with and without NAT.
func TestPlanIsRewrite(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	addr := func() [4]byte {
		var a [4]byte
		binary.BigEndian.PutUint32(a[:], rng.Uint32())
		return a
	}
	for i := range 20000 {
		from := Addrs{Src: addr(), Dst: addr(), SPort: uint16(rng.Uint32()), DPort: uint16(rng.Uint32())}
		to := from
		switch rng.IntN(4) {
		case 0: // no NAT
		case 1:
			to.Src, to.SPort = addr(), uint16(rng.Uint32())
		case 2:
			to.Dst = addr()
		default:
			to = Addrs{Src: addr(), Dst: addr(), SPort: uint16(rng.Uint32()), DPort: uint16(rng.Uint32())}
		}
		var f []byte
		if i%2 == 0 {
			f = tcpFrame(t, from.Src, from.Dst, from.SPort, from.DPort, rng.IntN(40))
		} else {
			f = udpFrame(t, from.Src, from.Dst, from.SPort, from.DPort, rng.IntN(40))
		}
		var l header.Layout
		if m := header.Parse(f, &l); m != header.OK {
			t.Fatal(m)
		}
		ip := header.IPv4(f[l.L3:])
		ip[8] = uint8(2 + rng.IntN(254))
		ip.SetChecksum(ip.CalculateChecksum())
		partial := rng.IntN(3) == 0
		c := l.L4 + 16
		if l.Proto == header.ProtoUDP {
			c = l.L4 + 6
			if rng.IntN(4) == 0 {
				f[c], f[c+1] = 0, 0 // no checksum
			}
		}
		if partial {
			binary.BigEndian.PutUint16(f[c:], uint16(rng.Uint32()))
		}
		want := append([]byte(nil), f...)
		Rewrite(want, &l, to, partial)
		wip := header.IPv4(want[l.L3:])
		old := binary.BigEndian.Uint16(wip[8:10])
		wip[8]--
		wip.SetChecksum(^fold(uint32(^wip.Checksum()) + uint32(^old) + uint32(binary.BigEndian.Uint16(wip[8:10]))))
		p := NewPlan(from, to)
		p.Apply(f, &l, partial)
		if !bytes.Equal(f, want) {
			t.Fatalf("case %d (%+v -> %+v, partial %v):\nplan    %x\nrewrite %x", i, from, to, partial, f, want)
		}
	}
}
