package nat

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"neutrino/packet/header"
)

// errorRewritable returns which bytes of an ICMP error RewriteICMPError
// may change: the outer addresses and header checksum, the ICMP checksum,
// the quoted addresses and header checksum, the quoted ports (or echo id)
// and the quoted L4 checksum.
func errorRewritable(frame []byte, l *header.Layout) []bool {
	m := make([]bool, len(frame))
	mark := func(from, to int) {
		for i := from; i < to && i < len(m); i++ {
			m[i] = true
		}
	}
	mark(int(l.L3)+10, int(l.L3)+20)
	mark(int(l.L4)+icmpCsum, int(l.L4)+icmpCsum+2)
	in := int(l.Payload)
	mark(in+10, in+20)
	q := in + int(frame[in]&0x0f)*4
	switch frame[in+9] {
	case header.ProtoTCP:
		mark(q, q+4)
		mark(q+tcpCsum, q+tcpCsum+2)
	case header.ProtoUDP:
		mark(q, q+4)
		mark(q+udpCsum, q+udpCsum+2)
	case header.ProtoICMP:
		mark(q+icmpCsum, q+6)
	}
	return m
}

// errorCase is an ICMP error as it arrives and what it becomes.
type errorCase struct {
	name               string
	frame              []byte
	outerSrc, outerDst [4]byte
	inner              Addrs
	want               []string // checksums the oracle compared
}

func errorCases(t testing.TB) []errorCase {
	// What left the router: the VM's packets after SNAT to the gateway.
	udpOut := udpFrame(t, gwIP, extIP, 1025, 9000, 21)
	noSum := clone(udpOut)
	binary.BigEndian.PutUint16(noSum[header.EthernetLen+header.IPv4MinLen+udpCsum:], 0)
	tcpOut := tcpFrame(t, gwIP, extIP, 1025, 5201, 40)
	echoOut := echoFrame(t, gwIP, extIP, header.ICMPv4Echo, 4242)
	ipOpts := tcpOptionsFrame(t, gwIP, extIP, 1025, 5201)
	// What the VM sent back on a DNATed flow (extIP -> fipIP:9000 -> vmIP:9000).
	dnatIn := udpFrame(t, extIP, vmIP, 51000, 9000, 4)
	back := Addrs{Src: vmIP, Dst: extIP, SPort: 40000, DPort: 9000}
	backTCP := Addrs{Src: vmIP, Dst: extIP, SPort: 40000, DPort: 5201}

	// The source port that makes the quoted checksum come out 0: sent
	// as 0xffff, which the oracle's recomputation gives too.
	zero := Addrs{Src: vmIP, Dst: extIP, DPort: 9000}
	zero.SPort = zeroSumPort(t, udpOut, zero)

	tagged := icmpErrorFrame(t, extIP, gwIP, 3, 3, udpOut, 1000)
	tagged = append(tagged[:12:12], append([]byte{0x81, 0x00, 0x00, 0x65}, tagged[12:]...)...)

	return []errorCase{
		{"port unreachable about a SNATed datagram", icmpErrorFrame(t, extIP, gwIP, 3, 3, udpOut, 1000),
			extIP, vmIP, back, []string{"IPv4", "ICMPv4", "quoted IPv4", "quoted UDP"}},
		{"quoted UDP checksum patched to zero goes out as 0xffff", icmpErrorFrame(t, extIP, gwIP, 3, 3, udpOut, 1000),
			extIP, vmIP, zero, []string{"IPv4", "ICMPv4", "quoted IPv4", "quoted UDP"}},
		{"quoted datagram without UDP checksum", icmpErrorFrame(t, extIP, gwIP, 3, 3, noSum, 1000),
			extIP, vmIP, back, []string{"IPv4", "ICMPv4", "quoted IPv4", "quoted UDP (none)"}},
		{"8 bytes of UDP quoted", icmpErrorFrame(t, hopIP, gwIP, 11, 0, udpOut, 28),
			hopIP, vmIP, back, []string{"IPv4", "ICMPv4"}},
		{"time exceeded quoting 8 bytes of TCP", icmpErrorFrame(t, hopIP, gwIP, 11, 0, tcpOut, 28),
			hopIP, vmIP, backTCP, []string{"IPv4", "ICMPv4"}},
		{"18 bytes of TCP quoted: checksum field kept", icmpErrorFrame(t, hopIP, gwIP, 11, 0, tcpOut, 38),
			hopIP, vmIP, backTCP, []string{"IPv4", "ICMPv4"}},
		{"a whole TCP segment quoted", icmpErrorFrame(t, extIP, gwIP, 3, 10, tcpOut, 1000),
			extIP, vmIP, backTCP, []string{"IPv4", "ICMPv4", "quoted IPv4", "quoted TCP"}},
		{"fragmentation needed keeps its MTU", icmpErrorFrame(t, hopIP, gwIP, 3, 4, tcpOut, 1000),
			hopIP, vmIP, backTCP, []string{"IPv4", "ICMPv4", "quoted IPv4", "quoted TCP"}},
		{"quoted echo request", icmpErrorFrame(t, hopIP, gwIP, 11, 0, echoOut, 1000),
			hopIP, vmIP, Addrs{Src: vmIP, Dst: extIP, SPort: 7, DPort: 7},
			[]string{"IPv4", "ICMPv4", "quoted IPv4", "quoted ICMPv4"}},
		{"quoted IPv4 options", icmpErrorFrame(t, extIP, gwIP, 12, 0, ipOpts, 1000),
			extIP, vmIP, backTCP, []string{"IPv4", "ICMPv4", "quoted IPv4", "quoted TCP"}},
		{"redirect", icmpErrorFrame(t, hopIP, gwIP, 5, 1, udpOut, 1000),
			hopIP, vmIP, back, []string{"IPv4", "ICMPv4", "quoted IPv4", "quoted UDP"}},
		{"source quench", icmpErrorFrame(t, hopIP, gwIP, 4, 0, udpOut, 1000),
			hopIP, vmIP, back, []string{"IPv4", "ICMPv4", "quoted IPv4", "quoted UDP"}},
		{"vlan-tagged", tagged, extIP, vmIP, back, []string{"IPv4", "ICMPv4", "quoted IPv4", "quoted UDP"}},
		{"error from a VM behind a floating IP", icmpErrorFrame(t, vmIP, extIP, 3, 3, dnatIn, 1000),
			fipIP, extIP, Addrs{Src: extIP, Dst: fipIP, SPort: 51000, DPort: 9000},
			[]string{"IPv4", "ICMPv4", "quoted IPv4", "quoted UDP"}},
	}
}

func TestRewriteICMPError(t *testing.T) {
	for _, tt := range errorCases(t) {
		t.Run(tt.name, func(t *testing.T) {
			f := clone(tt.frame)
			l := parse(t, f)
			orig, proto, ok := ICMPErrorInner(f, l)
			if !ok {
				t.Fatal("ICMPErrorInner: not ok")
			}
			if !RewriteICMPError(f, l, tt.outerSrc, tt.outerDst, tt.inner) {
				t.Fatal("RewriteICMPError returned false")
			}
			if got := fmt.Sprint(verifyChecksums(t, f)); got != fmt.Sprint(tt.want) {
				t.Errorf("oracle compared %v, want %v", got, tt.want)
			}
			in := header.IPv4(f[l.Payload:])
			if !in.ChecksumValid() {
				t.Error("quoted IPv4 checksum invalid")
			}
			ip := header.IPv4(f[l.L3:])
			if ip.Src() != tt.outerSrc || ip.Dst() != tt.outerDst {
				t.Errorf("outer %v -> %v, want %v -> %v", ip.Src(), ip.Dst(), tt.outerSrc, tt.outerDst)
			}
			got, gotProto, ok := ICMPErrorInner(f, l)
			if !ok || got != tt.inner || gotProto != proto {
				t.Errorf("quoted now %+v proto %d (ok %v), want %+v proto %d", got, gotProto, ok, tt.inner, proto)
			}
			if err := untouched(tt.frame, f, errorRewritable(f, l)); err != nil {
				t.Error(err)
			}
			// Back again: the very bytes of the original.
			o := header.IPv4(tt.frame[l.L3:])
			if !RewriteICMPError(f, l, o.Src(), o.Dst(), orig) || !bytes.Equal(f, tt.frame) {
				t.Error("rewriting back does not restore the frame")
			}
		})
	}
}

// TestRewriteICMPErrorTCPChecksum: the quoted TCP checksum is patched only
// when the whole 20-byte header is quoted (Linux's tcp_manip_pkt): with 18
// bytes its field is there but kept.
func TestRewriteICMPErrorTCPChecksum(t *testing.T) {
	tcpOut := tcpFrame(t, gwIP, extIP, 1025, 5201, 40)
	want := header.TCP(tcpOut[header.EthernetLen+header.IPv4MinLen:]).Checksum()
	for _, n := range []int{38, 39, 40} {
		f := icmpErrorFrame(t, hopIP, gwIP, 11, 0, tcpOut, n)
		l := parse(t, f)
		if !RewriteICMPError(f, l, hopIP, vmIP, Addrs{Src: vmIP, Dst: extIP, SPort: 40000, DPort: 5201}) {
			t.Fatalf("%d bytes: refused", n)
		}
		got := header.TCP(f[int(l.Payload)+header.IPv4MinLen:]).Checksum()
		if patched := got != want; patched != (n >= 40) {
			t.Errorf("%d bytes quoted: checksum %#04x (was %#04x), patched %v", n, got, want, patched)
		}
		if !header.ICMPv4(l.Transport(f)).ChecksumValid() {
			t.Errorf("%d bytes quoted: ICMP checksum invalid", n)
		}
	}
}

// TestRewriteICMPErrorRefused: frames that are not ICMP errors, or whose
// quote is unusable, are refused and left alone, and ICMPErrorInner says
// not ok for the same.
func TestRewriteICMPErrorRefused(t *testing.T) {
	udpOut := udpFrame(t, gwIP, extIP, 1025, 9000, 21)
	good := icmpErrorFrame(t, extIP, gwIP, 3, 3, udpOut, 1000)
	in := header.EthernetLen + header.IPv4MinLen + header.ICMPv4Len // the quote
	mutate := func(f func(b []byte) []byte) []byte {
		b := f(clone(good))
		fixICMP(b)
		return b
	}
	laterFragment := udpFrame(t, gwIP, extIP, 1025, 9000, 21)
	binary.BigEndian.PutUint16(laterFragment[header.EthernetLen+6:], 0x0010)
	laterFragment[header.EthernetLen+10], laterFragment[header.EthernetLen+11] = 0, 0
	fi := header.IPv4(laterFragment[header.EthernetLen:])
	fi.SetChecksum(fi.CalculateChecksum())

	tests := []struct {
		name  string
		frame []byte
	}{
		{"quote shorter than the header and 8 bytes", icmpErrorFrame(t, extIP, gwIP, 3, 3, udpOut, 27)},
		{"quote shorter than an IPv4 header", icmpErrorFrame(t, extIP, gwIP, 3, 3, udpOut, 12)},
		{"nothing quoted", icmpErrorFrame(t, extIP, gwIP, 3, 3, udpOut, 0)},
		{"quote is IPv6", mutate(func(b []byte) []byte { b[in] = 0x65; return b })},
		{"quoted IHL below 5", mutate(func(b []byte) []byte { b[in] = 0x44; return b })},
		{"quoted IHL past the quote", mutate(func(b []byte) []byte { b[in] = 0x4f; return b })},
		{"quote of a later fragment", icmpErrorFrame(t, extIP, gwIP, 3, 3, laterFragment, 1000)},
		{"error about an error", icmpErrorFrame(t, extIP, gwIP, 3, 3, good, 1000)},
		{"echo request", echoFrame(t, extIP, gwIP, header.ICMPv4Echo, 1)},
		{"timestamp", mutate(func(b []byte) []byte { b[in-8] = header.ICMPv4TimestampReq; return b })},
		{"UDP", udpOut},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var l header.Layout
			header.Parse(tt.frame, &l)
			if _, _, ok := ICMPErrorInner(tt.frame, &l); ok {
				t.Error("ICMPErrorInner ok")
			}
			f := clone(tt.frame)
			if RewriteICMPError(f, &l, hopIP, vmIP, Addrs{Src: vmIP, Dst: extIP, SPort: 1, DPort: 2}) {
				t.Error("RewriteICMPError returned true")
			}
			if !bytes.Equal(f, tt.frame) {
				t.Error("frame changed")
			}
		})
	}
	// The base frame itself is accepted: the mutations are what is refused.
	l := parse(t, good)
	if _, _, ok := ICMPErrorInner(good, l); !ok {
		t.Error("the unmutated error is refused")
	}
}

// fixICMP recomputes the ICMP checksum of an Ethernet/IPv4/ICMP frame
// without options.
func fixICMP(b []byte) {
	ic := header.ICMPv4(b[header.EthernetLen+header.IPv4MinLen:])
	ic.SetChecksum(ic.CalculateChecksum())
}

func TestICMPErrorInner(t *testing.T) {
	gre := serialize(t, eth(), ip4(layers.IPProtocolGRE, gwIP, extIP), gopacket.Payload(payload(24)))
	tests := []struct {
		name  string
		about []byte
		want  Addrs
		proto uint8
	}{
		{"udp", udpFrame(t, gwIP, extIP, 1025, 9000, 5), Addrs{gwIP, extIP, 1025, 9000}, header.ProtoUDP},
		{"tcp", tcpFrame(t, gwIP, extIP, 1026, 5201, 5), Addrs{gwIP, extIP, 1026, 5201}, header.ProtoTCP},
		{"echo", echoFrame(t, gwIP, extIP, header.ICMPv4Echo, 77), Addrs{gwIP, extIP, 77, 77}, header.ProtoICMP},
		{"echo reply", echoFrame(t, gwIP, extIP, header.ICMPv4EchoReply, 78), Addrs{gwIP, extIP, 78, 78}, header.ProtoICMP},
		{"gre: no ports", gre, Addrs{Src: gwIP, Dst: extIP}, 47},
	}
	for _, tt := range tests {
		f := icmpErrorFrame(t, extIP, gwIP, 3, 3, tt.about, 28)
		got, proto, ok := ICMPErrorInner(f, parse(t, f))
		if !ok || got != tt.want || proto != tt.proto {
			t.Errorf("%s: %+v proto %d ok %v, want %+v proto %d", tt.name, got, proto, ok, tt.want, tt.proto)
		}
	}
}

// TestRewriteICMPErrorShortQuote: however much of the packet is quoted,
// the quote is translated to the same bytes as the start of the whole
// packet's translation, the quoted UDP checksum included; only a TCP
// checksum quoted without the rest of its header is kept.
func TestRewriteICMPErrorShortQuote(t *testing.T) {
	for _, about := range [][]byte{
		udpFrame(t, gwIP, extIP, 1025, 9000, 21),
		tcpFrame(t, gwIP, extIP, 1025, 5201, 12),
	} {
		l := parse(t, about)
		to := Addrs{Src: vmIP, Dst: extIP, SPort: 40000, DPort: carried(about, l).DPort}
		whole := icmpErrorFrame(t, hopIP, gwIP, 11, 0, about, 1000)
		wl := parse(t, whole)
		if !RewriteICMPError(whole, wl, hopIP, vmIP, to) {
			t.Fatal("whole quote refused")
		}
		wantQuote := whole[wl.Payload:]
		for n := header.IPv4MinLen + 8; n < len(wantQuote); n++ {
			f := icmpErrorFrame(t, hopIP, gwIP, 11, 0, about, n)
			fl := parse(t, f)
			if !RewriteICMPError(f, fl, hopIP, vmIP, to) {
				t.Fatalf("proto %d, %d bytes: refused", l.Proto, n)
			}
			got, want := f[fl.Payload:], clone(wantQuote[:n])
			// The quoted TCP checksum keeps its value, if quoted.
			if c := header.IPv4MinLen + tcpCsum; l.Proto == header.ProtoTCP && c < n && n < header.IPv4MinLen+header.TCPMinLen {
				copy(want[c:n], about[header.EthernetLen+c:])
			}
			if !bytes.Equal(got, want) {
				t.Errorf("proto %d, %d bytes quoted:\n got % x\nwant % x", l.Proto, n, got, want)
			}
			if !header.ICMPv4(fl.Transport(f)).ChecksumValid() || !header.IPv4(f[fl.L3:]).ChecksumValid() {
				t.Errorf("proto %d, %d bytes quoted: ICMP or IPv4 checksum invalid", l.Proto, n)
			}
		}
	}
}
