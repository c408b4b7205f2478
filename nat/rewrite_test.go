package nat

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"testing"

	"neutrino/packet/header"
)

// rewritable returns, for a frame parsed into l, which bytes Rewrite may
// change: the IPv4 addresses and checksum and, with an L4 header, its
// ports (or echo id) and checksum.
func rewritable(frame []byte, l *header.Layout) []bool {
	m := make([]bool, len(frame))
	mark := func(from, to int) {
		for i := from; i < to; i++ {
			m[i] = true
		}
	}
	mark(int(l.L3)+10, int(l.L3)+20)
	if l.Flags&(header.Fragment|header.HasL4) != header.HasL4 {
		return m
	}
	l4 := int(l.L4)
	switch l.Proto {
	case header.ProtoTCP:
		mark(l4, l4+4)
		mark(l4+tcpCsum, l4+tcpCsum+2)
	case header.ProtoUDP:
		mark(l4, l4+4)
		mark(l4+udpCsum, l4+udpCsum+2)
	case header.ProtoICMP:
		if t := frame[l4]; t == header.ICMPv4Echo || t == header.ICMPv4EchoReply {
			mark(l4+2, l4+6)
		}
	}
	return m
}

// untouched returns an error naming the first byte outside may that
// differs between before and after.
func untouched(before, after []byte, may []bool) error {
	if len(before) != len(after) {
		return fmt.Errorf("length %d -> %d", len(before), len(after))
	}
	for i := range before {
		if !may[i] && before[i] != after[i] {
			return fmt.Errorf("byte %d changed: %#02x -> %#02x", i, before[i], after[i])
		}
	}
	return nil
}

// carried returns the addresses and ports frame carries, as Rewrite
// writes them (an echo's id in SPort and DPort).
func carried(frame []byte, l *header.Layout) Addrs {
	ip := header.IPv4(frame[l.L3:])
	a := Addrs{Src: ip.Src(), Dst: ip.Dst()}
	if l.Flags&(header.Fragment|header.HasL4) != header.HasL4 {
		return a
	}
	l4 := frame[l.L4:]
	switch l.Proto {
	case header.ProtoTCP, header.ProtoUDP:
		a.SPort = binary.BigEndian.Uint16(l4[0:2])
		a.DPort = binary.BigEndian.Uint16(l4[2:4])
	case header.ProtoICMP:
		if l4[0] == header.ICMPv4Echo || l4[0] == header.ICMPv4EchoReply {
			a.SPort = binary.BigEndian.Uint16(l4[4:6])
			a.DPort = a.SPort
		}
	}
	return a
}

// zeroSumPort returns the UDP source port that, with addresses to, makes
// the datagram of frame sum to zero: its computed checksum is then 0 and
// goes out as 0xffff.
func zeroSumPort(t testing.TB, frame []byte, to Addrs) uint16 {
	l := parse(t, frame)
	u := clone(frame[l.L4:l.Payload])
	data := l.L4Payload(frame)
	for p := 1024; p < 65536; p++ {
		binary.BigEndian.PutUint16(u[0:2], uint16(p))
		binary.BigEndian.PutUint16(u[2:4], to.DPort)
		binary.BigEndian.PutUint16(u[6:8], 0)
		s := header.PseudoHeaderChecksum(header.ProtoUDP, to.Src, to.Dst, uint16(len(u)+len(data)))
		if header.Checksum(data, header.Checksum(u, s)) == 0xffff {
			return uint16(p)
		}
	}
	t.Fatal("no port makes the sum zero")
	return 0
}

func TestRewrite(t *testing.T) {
	udp := udpFrame(t, vmIP, extIP, 40000, 9000, 100)
	zeroTo := Addrs{Src: gwIP, Dst: extIP, DPort: 9000}
	zeroTo.SPort = zeroSumPort(t, udp, zeroTo)
	noSum := clone(udp)
	binary.BigEndian.PutUint16(noSum[parse(t, noSum).L4+udpCsum:], 0)
	tests := []struct {
		name  string
		frame []byte
		to    Addrs
		want  []string // checksums the oracle compared
		check func(t *testing.T, after []byte, l *header.Layout)
	}{
		{name: "tcp snat address only", frame: tcpFrame(t, vmIP, extIP, 40000, 5201, 100),
			to: Addrs{Src: gwIP, Dst: extIP, SPort: 40000, DPort: 5201}, want: []string{"IPv4", "TCP"}},
		{name: "tcp snat address and port", frame: tcpFrame(t, vmIP, extIP, 40000, 5201, 100),
			to: Addrs{Src: gwIP, Dst: extIP, SPort: 1025, DPort: 5201}, want: []string{"IPv4", "TCP"}},
		{name: "tcp dnat of a floating IP", frame: tcpFrame(t, extIP, fipIP, 51000, 22, 0),
			to: Addrs{Src: extIP, Dst: vmIP, SPort: 51000, DPort: 22}, want: []string{"IPv4", "TCP"}},
		{name: "tcp reply un-snat", frame: tcpFrame(t, extIP, gwIP, 5201, 1025, 1400),
			to: Addrs{Src: extIP, Dst: vmIP, SPort: 5201, DPort: 40000}, want: []string{"IPv4", "TCP"}},
		{name: "tcp hairpin, everything changes", frame: tcpFrame(t, vmIP, fipIP, 40000, 80, 7),
			to: Addrs{Src: gwIP, Dst: vm2IP, SPort: 61000, DPort: 8080}, want: []string{"IPv4", "TCP"}},
		{name: "tcp odd payload length", frame: tcpFrame(t, vmIP, extIP, 40000, 5201, 1001),
			to: Addrs{Src: fipIP, Dst: extIP, SPort: 40000, DPort: 5201}, want: []string{"IPv4", "TCP"}},
		{name: "tcp and ip options", frame: tcpOptionsFrame(t, vmIP, extIP, 40000, 5201),
			to: Addrs{Src: gwIP, Dst: extIP, SPort: 2000, DPort: 5201}, want: []string{"IPv4", "TCP"}},
		{name: "tcp in a vlan tag", frame: taggedTCPFrame(t, vmIP, extIP, 40000, 5201),
			to: Addrs{Src: gwIP, Dst: extIP, SPort: 2000, DPort: 5201}, want: []string{"IPv4", "TCP"}},
		{name: "udp snat", frame: udp,
			to: Addrs{Src: gwIP, Dst: extIP, SPort: 33000, DPort: 9000}, want: []string{"IPv4", "UDP"}},
		{name: "udp dnat", frame: udpFrame(t, extIP, fipIP, 33000, 9000, 3),
			to: Addrs{Src: extIP, Dst: vmIP, SPort: 33000, DPort: 9000}, want: []string{"IPv4", "UDP"}},
		{name: "udp without checksum keeps none", frame: noSum,
			to: Addrs{Src: gwIP, Dst: extIP, SPort: 33000, DPort: 9000}, want: []string{"IPv4", "UDP (none)"},
			check: func(t *testing.T, f []byte, l *header.Layout) {
				if c := header.UDP(f[l.L4:]).Checksum(); c != 0 {
					t.Errorf("UDP checksum %#04x, want 0 (none)", c)
				}
			}},
		{name: "udp checksum patched to zero goes out as 0xffff", frame: udp, to: zeroTo,
			want: []string{"IPv4", "UDP"},
			check: func(t *testing.T, f []byte, l *header.Layout) {
				if c := header.UDP(f[l.L4:]).Checksum(); c != 0xffff {
					t.Errorf("UDP checksum %#04x, want 0xffff", c)
				}
			}},
		{name: "echo request snat with id", frame: echoFrame(t, vmIP, extIP, header.ICMPv4Echo, 7),
			to: Addrs{Src: gwIP, Dst: extIP, SPort: 4242, DPort: 4242}, want: []string{"IPv4", "ICMPv4"}},
		{name: "echo reply un-snat", frame: echoFrame(t, extIP, gwIP, header.ICMPv4EchoReply, 4242),
			to: Addrs{Src: extIP, Dst: vmIP, SPort: 7, DPort: 7}, want: []string{"IPv4", "ICMPv4"}},
		{name: "echo, address only", frame: echoFrame(t, vmIP, extIP, header.ICMPv4Echo, 7),
			to: Addrs{Src: fipIP, Dst: extIP, SPort: 7, DPort: 7}, want: []string{"IPv4", "ICMPv4"}},
		{name: "icmp error through Rewrite: outer addresses only",
			frame: icmpErrorFrame(t, extIP, gwIP, 3, 3, udp, 1000),
			to:    Addrs{Src: extIP, Dst: vmIP, SPort: 1, DPort: 2},
			want:  []string{"IPv4", "ICMPv4", "quoted IPv4", "quoted UDP"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := clone(tt.frame)
			l := parse(t, f)
			Rewrite(f, l, tt.to, false)
			if got := fmt.Sprint(verifyChecksums(t, f)); got != fmt.Sprint(tt.want) {
				t.Errorf("oracle compared %v, want %v", got, tt.want)
			}
			want := tt.to
			if l.Proto == header.ProtoICMP && !isEcho(f[l.L4]) {
				want.SPort, want.DPort = 0, 0
			}
			if got := carried(f, l); got != want {
				t.Errorf("carries %+v, want %+v", got, want)
			}
			if err := untouched(tt.frame, f, rewritable(f, l)); err != nil {
				t.Error(err)
			}
			if tt.check != nil {
				tt.check(t, f, l)
			}
			// Back again: the very bytes of the original.
			Rewrite(f, l, carried(tt.frame, l), false)
			if !bytes.Equal(f, tt.frame) {
				t.Error("rewriting back does not restore the frame")
			}
		})
	}
}

func isEcho(typ uint8) bool { return typ == header.ICMPv4Echo || typ == header.ICMPv4EchoReply }

// TestRewriteSameAddrs: translating to what the frame carries writes
// nothing, not even checksums a full computation would correct.
func TestRewriteSameAddrs(t *testing.T) {
	for _, f := range [][]byte{
		tcpFrame(t, vmIP, extIP, 40000, 5201, 10),
		udpFrame(t, vmIP, extIP, 40000, 9000, 10),
		echoFrame(t, vmIP, extIP, header.ICMPv4Echo, 9),
	} {
		l := parse(t, f)
		f[l.L3+10] ^= 0xff // wrong IPv4 checksum
		f[len(f)-1] ^= 0xff
		before := clone(f)
		for _, partial := range []bool{false, true} {
			Rewrite(f, l, carried(f, l), partial)
			if !bytes.Equal(f, before) {
				t.Errorf("proto %d partial %v: frame changed", l.Proto, partial)
			}
		}
	}
}

// TestRewriteKeepsBadChecksums: a wrong checksum stays wrong, so the
// receiver still drops the packet (a recomputation would launder it).
func TestRewriteKeepsBadChecksums(t *testing.T) {
	f := tcpFrame(t, vmIP, extIP, 40000, 5201, 50)
	l := parse(t, f)
	f[len(f)-1] ^= 0x01 // corrupt the data, not the checksum
	Rewrite(f, l, Addrs{Src: gwIP, Dst: extIP, SPort: 1111, DPort: 5201}, false)
	ip := header.IPv4(f[l.L3:])
	if header.TCP(l.Transport(f)).ChecksumValid(ip.Src(), ip.Dst()) {
		t.Error("TCP checksum of corrupted data became valid")
	}
	if !ip.ChecksumValid() {
		t.Error("IPv4 checksum invalid")
	}
}

func TestRewriteNotIPv4(t *testing.T) {
	f := tcpFrame(t, vmIP, extIP, 40000, 5201, 10)
	binary.BigEndian.PutUint16(f[12:14], header.EtherTypeARP) // now an (odd) ARP frame
	var l header.Layout
	header.Parse(f, &l)
	before := clone(f)
	Rewrite(f, &l, Addrs{Src: gwIP, Dst: extIP, SPort: 1, DPort: 2}, false)
	if !bytes.Equal(f, before) {
		t.Error("non-IPv4 frame changed")
	}
}
