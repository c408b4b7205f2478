package nat

import (
	"encoding/binary"
	"testing"

	"neutrino/packet/header"
)

// needsCsum turns the TCP or UDP checksum of frame into what a guest sends
// with virtio-net NEEDS_CSUM: the pseudo-header sum, not complemented, for
// the NIC (or the segmentation) to complete.
func needsCsum(t *testing.T, frame []byte) []byte {
	f := clone(frame)
	l := parse(t, f)
	ip := header.IPv4(f[l.L3:])
	off := tcpCsum
	if l.Proto == header.ProtoUDP {
		off = udpCsum
	}
	s := header.PseudoHeaderChecksum(l.Proto, ip.Src(), ip.Dst(), uint16(len(l.Transport(f))))
	binary.BigEndian.PutUint16(f[int(l.L4)+off:], s)
	return f
}

// complete does what the NIC does with a NEEDS_CSUM frame: sums the
// segment from the L4 header on, the field holding the pseudo-header sum,
// and stores the complement.
func complete(f []byte, l *header.Layout, off int) {
	c := ^header.Checksum(l.Transport(f), 0)
	if l.Proto == header.ProtoUDP && c == 0 {
		c = 0xffff
	}
	binary.BigEndian.PutUint16(f[int(l.L4)+off:], c)
}

// TestRewritePartial: with a partial checksum, the field afterwards holds
// exactly the pseudo-header sum of the new addresses (port changes leave it
// alone), and completing it gives a checksum the oracle accepts.
func TestRewritePartial(t *testing.T) {
	tests := []struct {
		name  string
		frame []byte
		to    Addrs
	}{
		{"tcp snat with port", tcpFrame(t, vmIP, extIP, 40000, 5201, 1448), Addrs{gwIP, extIP, 1025, 5201}},
		{"tcp ports only", tcpFrame(t, vmIP, extIP, 40000, 5201, 1448), Addrs{vmIP, extIP, 1025, 5202}},
		{"tcp both addresses", tcpFrame(t, vmIP, fipIP, 40000, 80, 99), Addrs{gwIP, vm2IP, 40000, 80}},
		{"tso super-frame", tcpFrame(t, vmIP, extIP, 40000, 5201, 65535-40), Addrs{fipIP, extIP, 40000, 5201}},
		{"udp snat", udpFrame(t, vmIP, extIP, 40000, 9000, 1000), Addrs{gwIP, extIP, 20000, 9000}},
		{"udp dnat", udpFrame(t, extIP, fipIP, 9000, 40000, 1), Addrs{extIP, vmIP, 9000, 40000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := needsCsum(t, tt.frame)
			l := parse(t, f)
			before := clone(f)
			off := tcpCsum
			if l.Proto == header.ProtoUDP {
				off = udpCsum
			}
			Rewrite(f, l, tt.to, true)
			got := binary.BigEndian.Uint16(f[int(l.L4)+off:])
			want := header.PseudoHeaderChecksum(l.Proto, tt.to.Src, tt.to.Dst, uint16(len(l.Transport(f))))
			if got != want {
				t.Errorf("partial sum %#04x, want the new pseudo-header sum %#04x", got, want)
			}
			if c := carried(f, l); c != tt.to {
				t.Errorf("carries %+v, want %+v", c, tt.to)
			}
			if err := untouched(before, f, rewritable(f, l)); err != nil {
				t.Error(err)
			}
			if !header.IPv4(f[l.L3:]).ChecksumValid() {
				t.Error("IPv4 checksum invalid")
			}
			if len(f) < 10000 { // gopacket's oracle on the frames it can serialize quickly
				complete(f, l, off)
				verifyChecksums(t, f)
			}
		})
	}
}

// TestRewritePartialEcho: an ICMP checksum left to the NIC is not touched
// when the identifier changes.
func TestRewritePartialEcho(t *testing.T) {
	f := echoFrame(t, vmIP, extIP, header.ICMPv4Echo, 7)
	l := parse(t, f)
	binary.BigEndian.PutUint16(f[int(l.L4)+icmpCsum:], 0)
	Rewrite(f, l, Addrs{gwIP, extIP, 900, 900}, true)
	if c := header.ICMPv4(f[l.L4:]).Checksum(); c != 0 {
		t.Errorf("partial ICMP checksum changed to %#04x", c)
	}
	if id := header.ICMPv4(f[l.L4:]).ID(); id != 900 {
		t.Errorf("id %d, want 900", id)
	}
}
