package nat

import (
	"testing"

	"neutrino/conntrack"
	"neutrino/packet/header"
)

// BenchmarkRewrite: one translation a packet, alternating the two
// directions' addresses so every call changes the frame.
func BenchmarkRewrite(b *testing.B) {
	for _, bb := range []struct {
		name    string
		frame   []byte
		to      Addrs
		partial bool
	}{
		{"tcp-snat-port", tcpFrame(b, vmIP, extIP, 40000, 5201, 1400), Addrs{gwIP, extIP, 1025, 5201}, false},
		{"tcp-snat-addr", tcpFrame(b, vmIP, extIP, 40000, 5201, 1400), Addrs{gwIP, extIP, 40000, 5201}, false},
		{"tcp-partial", tcpFrame(b, vmIP, extIP, 40000, 5201, 1400), Addrs{gwIP, extIP, 1025, 5201}, true},
		{"udp-snat-port", udpFrame(b, vmIP, extIP, 40000, 9000, 1400), Addrs{gwIP, extIP, 1025, 9000}, false},
		{"echo-snat-id", echoFrame(b, vmIP, extIP, header.ICMPv4Echo, 7), Addrs{gwIP, extIP, 99, 99}, false},
	} {
		b.Run(bb.name, func(b *testing.B) {
			f := bb.frame
			l := parse(b, f)
			back := carried(f, l)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if i&1 == 0 {
					Rewrite(f, l, bb.to, bb.partial)
				} else {
					Rewrite(f, l, back, bb.partial)
				}
			}
		})
	}
}

func BenchmarkRewriteICMPError(b *testing.B) {
	e := icmpErrorFrame(b, hopIP, gwIP, 11, 0, udpFrame(b, gwIP, extIP, 1025, 9000, 20), 1000)
	l := parse(b, e)
	inner, _, _ := ICMPErrorInner(e, l)
	to := Addrs{vmIP, extIP, 40000, 9000}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if i&1 == 0 {
			RewriteICMPError(e, l, hopIP, vmIP, to)
		} else {
			RewriteICMPError(e, l, hopIP, gwIP, inner)
		}
	}
}

// BenchmarkPick: a port search against a conntrack table, the original
// port free (one lookup) or taken (a random one found next).
func BenchmarkPick(b *testing.B) {
	tab := conntrack.New(conntrack.Config{})
	now := int64(1e18)
	k := conntrack.Key{Src: vmIP, Dst: extIP, SPort: 40000, DPort: 9000, Zone: 1, Proto: header.ProtoUDP}
	v := conntrack.NewVerdict(k, now)
	tab.CommitReply(&v, SNATReply(k, gwIP, 40000), now)
	a := NewAllocator(1)
	for _, bb := range []struct {
		name string
		orig uint16
	}{{"original-free", 40001}, {"original-taken", 40000}} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				a.Pick(bb.orig, func(p uint16) bool {
					_, _, used := tab.Lookup(SNATReply(k, gwIP, p), now)
					return !used
				})
			}
		})
	}
}
