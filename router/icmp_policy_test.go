package router

import (
	"bytes"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

func TestShouldSendError(t *testing.T) {
	udp := func(src, dst [4]byte) []byte {
		return udpDatagram(t, ip4Hdr(src, dst, layers.IPProtocolUDP), 16)
	}
	icmp := func(typ uint8) []byte {
		return icmpDatagram(t, ip4Hdr(vmIP, farIP, 0), typ, 0, 8)
	}
	frag := func(flags layers.IPv4Flag, off uint16) []byte {
		ip := ip4Hdr(vmIP, farIP, layers.IPProtocolUDP)
		ip.Flags, ip.FragOffset = flags, off
		return udpDatagram(t, ip, 16)
	}
	fragICMP := func(typ uint8, off uint16) []byte {
		ip := ip4Hdr(vmIP, farIP, 0)
		ip.FragOffset = off
		return icmpDatagram(t, ip, typ, 0, 8)
	}
	bareICMP := serializeLayers(t, ip4Hdr(vmIP, farIP, layers.IPProtocolICMPv4)) // no ICMP header at all
	oneByte := serializeLayers(t, ip4Hdr(vmIP, farIP, layers.IPProtocolICMPv4), gopacket.Payload{8})
	v6 := udp(vmIP, farIP)
	v6[0] = 0x65

	tests := []struct {
		name string
		orig []byte
		want bool
	}{
		{"UDP from a VM", udp(vmIP, farIP), true},
		{"to a subnet's directed broadcast (the caller's check)", udp(vmIP, [4]byte{10, 0, 0, 255}), true},
		{"first fragment", frag(layers.IPv4MoreFragments, 0), true},
		{"DF", frag(layers.IPv4DontFragment, 0), true},
		{"middle fragment", frag(layers.IPv4MoreFragments, 185), false},
		{"last fragment", frag(0, 185), false},
		{"echo request", icmp(8), true},
		{"echo reply", icmp(0), true},
		{"timestamp", icmp(13), true},
		{"timestamp reply", icmp(14), true},
		{"information request", icmp(15), true},
		{"address mask reply", icmp(18), true},
		{"destination unreachable", icmp(3), false},
		{"source quench", icmp(4), false},
		{"redirect", icmp(5), false},
		{"time exceeded", icmp(11), false},
		{"parameter problem", icmp(12), false},
		{"unassigned type 1", icmp(1), false},
		{"alternate host address 6", icmp(6), false},
		{"unassigned type 10", icmp(10), false},
		{"type 19, above Linux's table", icmp(19), false},
		{"extended echo 42", icmp(42), false},
		{"type 255", icmp(255), false},
		{"first fragment of an echo request", icmp(8), true},
		{"non-first fragment of ICMP", fragICMP(8, 10), false},
		{"ICMP without a header", bareICMP, false},
		{"ICMP with one byte, an echo request's type", oneByte, true},
		{"source 0.0.0.0", udp([4]byte{0, 0, 0, 0}, farIP), false},
		{"source 0.1.2.3", udp([4]byte{0, 1, 2, 3}, farIP), false},
		{"source 127.0.0.1", udp([4]byte{127, 0, 0, 1}, farIP), false},
		{"source 127.255.0.9", udp([4]byte{127, 255, 0, 9}, farIP), false},
		{"source 224.0.0.1", udp([4]byte{224, 0, 0, 1}, farIP), false},
		{"source 239.1.1.1", udp([4]byte{239, 1, 1, 1}, farIP), false},
		{"source 240.0.0.1 (class E)", udp([4]byte{240, 0, 0, 1}, farIP), false},
		{"source 255.255.255.255", udp(limBcst, farIP), false},
		{"source 223.255.255.254", udp([4]byte{223, 255, 255, 254}, farIP), true},
		{"source 1.0.0.1", udp([4]byte{1, 0, 0, 1}, farIP), true},
		{"source 126.255.255.255", udp([4]byte{126, 255, 255, 255}, farIP), true},
		{"destination multicast", udp(vmIP, mcastIP), false},
		{"destination 239.255.255.250", udp(vmIP, [4]byte{239, 255, 255, 250}), false},
		{"destination limited broadcast", udp(vmIP, limBcst), false},
		{"destination class E unicast-looking", udp(vmIP, [4]byte{240, 0, 0, 1}), true},
		{"empty", nil, false},
		{"truncated header", udp(vmIP, farIP)[:19], false},
		{"version 6", v6, false},
		{"total length past the slice", udp(vmIP, farIP)[:30], false},
	}
	for _, tt := range tests {
		in := bytes.Clone(tt.orig)
		if got := ShouldSendError(tt.orig); got != tt.want {
			t.Errorf("%s: ShouldSendError = %v, want %v", tt.name, got, tt.want)
		}
		if !bytes.Equal(in, tt.orig) {
			t.Errorf("%s: the datagram changed", tt.name)
		}
	}
}
