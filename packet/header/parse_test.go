package header

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// parseResult is what Parse returns, in one value for cmp.
type parseResult struct {
	Layout Layout
	Err    Malformed
}

// parseCase is a frame and what Parse must say about it.
type parseCase struct {
	name  string
	frame []byte
	want  parseResult
}

// parseCases returns the table for TestParse; the fuzz target uses the
// frames as seeds.
func parseCases(t testing.TB) []parseCase {
	tcp := tcpFrame(t, []byte("payload"))
	opts := tcpOptionsFrame(t)
	udp := udpFrame(t)
	icmp := icmpFrame(t)
	arp := arpFrame(t)
	tagged := taggedTCPFrame(t)
	vx := vxlanFrame(t)
	v6 := ipv6Frame(t)
	super := superFrame(t)

	// mutate returns a copy of frame changed by f.
	mutate := func(frame []byte, f func(b []byte)) []byte { b := clone(frame); f(b); return b }
	ipOf := func(b []byte) IPv4 { return IPv4(b[EthernetLen:]) }

	qinq := serialize(t, ethLayer(layers.EthernetTypeQinQ),
		&layers.Dot1Q{VLANIdentifier: 300, Type: layers.EthernetTypeDot1Q},
		&layers.Dot1Q{VLANIdentifier: 10, Type: layers.EthernetTypeIPv4},
		ip4Layer(layers.IPProtocolICMPv4), &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(8, 0)})
	taggedICMP := serialize(t, ethLayer(layers.EthernetTypeDot1Q),
		&layers.Dot1Q{VLANIdentifier: 300, Type: layers.EthernetTypeIPv4},
		ip4Layer(layers.IPProtocolICMPv4), &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(8, 0)})
	adOnly := serialize(t, ethLayer(layers.EthernetTypeQinQ),
		&layers.Dot1Q{Priority: 1, VLANIdentifier: 4094, Type: layers.EthernetTypeARP}, arpLayer())
	ip := ip4Layer(layers.IPProtocolUDP)
	ip.Flags, ip.FragOffset = 0, 185
	laterFrag := serialize(t, ethLayer(layers.EthernetTypeIPv4), ip, gopacket.Payload(make([]byte, 100)))
	// A first fragment of a 3000-byte UDP datagram: the UDP length counts
	// bytes in later fragments.
	firstFrag := mutate(udp, func(b []byte) {
		ipOf(b).SetFlagsFragment(IPv4FlagMF)
		UDP(b[34:]).SetLength(3000)
	})
	gre := serialize(t, ethLayer(layers.EthernetTypeIPv4), ip4Layer(layers.IPProtocolGRE), gopacket.Payload(make([]byte, 24)))
	// 60-byte minimum frame: 18 bytes of Ethernet padding after a 28-byte
	// IPv4/UDP datagram with no data.
	small := serialize(t, ethLayer(layers.EthernetTypeIPv4), ip, udpLayer(ip4Layer(layers.IPProtocolUDP), 1, 2))
	small = mutate(small, func(b []byte) { ipOf(b).SetFlagsFragment(0); b[23] = ProtoUDP })
	llc := append([]byte{1, 0x80, 0xc2, 0, 0, 0, 2, 0, 0, 0, 0, 1, 0, 38, 0x42, 0x42, 3}, make([]byte, 43)...)
	nonEthARP := mutate(arp, func(b []byte) { b[15] = 6 }) // htype 6
	arp8 := mutate(arp, func(b []byte) { b[18] = 8 })      // hlen 8
	arpP16 := mutate(arp, func(b []byte) { b[19] = 16 })   // plen 16

	ipv4L := func(flags LayoutFlags, proto uint8) Layout {
		return Layout{EtherType: EtherTypeIPv4, L3: 14, Proto: proto, Flags: IsIPv4 | flags}
	}
	withL4 := func(l Layout, l4, payload uint16) Layout {
		l.L4, l.Payload, l.Flags = l4, payload, l.Flags|HasL4
		return l
	}
	l3Only := Layout{EtherType: EtherTypeIPv4, L3: 14}

	return []parseCase{
		// Good frames.
		{"tcp", tcp, parseResult{withL4(ipv4L(0, ProtoTCP), 34, 54), OK}},
		{"tcp with ip and tcp options", opts, parseResult{withL4(ipv4L(0, ProtoTCP), 38, 78), OK}},
		{"udp", udp, parseResult{withL4(ipv4L(0, ProtoUDP), 34, 42), OK}},
		{"icmp echo", icmp, parseResult{withL4(ipv4L(0, ProtoICMP), 34, 42), OK}},
		{"arp", arp, parseResult{Layout{EtherType: EtherTypeARP, L3: 14, Flags: IsARP}, OK}},
		{"802.1q tcp", tagged, parseResult{Layout{EtherType: EtherTypeIPv4, TCI: 5<<13 | 1<<12 | 100, L3: 18,
			L4: 38, Payload: 58, Proto: ProtoTCP, Flags: Tagged | IsIPv4 | HasL4}, OK}},
		{"802.1ad arp", adOnly, parseResult{Layout{EtherType: EtherTypeARP, TCI: 1<<13 | 4094, L3: 18,
			Flags: Tagged | IsARP}, OK}},
		{"qinq stops at the inner tag", qinq, parseResult{Layout{EtherType: EtherTypeVLAN, TCI: 300, L3: 18,
			Flags: Tagged}, OK}},
		{"vxlan (outer only)", vx, parseResult{withL4(ipv4L(0, ProtoUDP), 34, 42), OK}},
		{"ipv6", v6, parseResult{Layout{EtherType: EtherTypeIPv6, L3: 14}, OK}},
		{"802.3 llc", llc, parseResult{Layout{EtherType: 38, L3: 14}, OK}},
		{"arp, not ethernet hardware", nonEthARP, parseResult{Layout{EtherType: EtherTypeARP, L3: 14}, OK}},
		{"arp, 8-byte hardware addresses", arp8, parseResult{Layout{EtherType: EtherTypeARP, L3: 14}, OK}},
		{"arp, 16-byte protocol addresses", arpP16, parseResult{Layout{EtherType: EtherTypeARP, L3: 14}, OK}},
		{"later fragment", laterFrag, parseResult{ipv4L(Fragment, ProtoUDP), OK}},
		{"first fragment, udp length past it", firstFrag, parseResult{withL4(ipv4L(0, ProtoUDP), 34, 42), OK}},
		{"gre: no l4", gre, parseResult{ipv4L(0, 47), OK}},
		{"ethernet padding", small, parseResult{withL4(ipv4L(0, ProtoUDP), 34, 42), OK}},
		{"64k superframe", super, parseResult{withL4(ipv4L(0, ProtoTCP), 34, 54), OK}},
		{"tcp header only", tcp[:54], parseResult{Layout: l3Only, Err: BadIPv4TotalLength}},

		// Malformed frames, one or more per reason.
		{"empty", nil, parseResult{Err: Runt}},
		{"13 bytes", tcp[:13], parseResult{Err: Runt}},
		{"tag cut short", tagged[:17], parseResult{Err: TruncatedVLAN}},
		{"802.1ad tag cut short", adOnly[:14], parseResult{Err: TruncatedVLAN}},
		{"arp 27 bytes", arp[:14+27], parseResult{Layout{EtherType: EtherTypeARP, L3: 14}, TruncatedARP}},
		{"tagged arp 27 bytes", adOnly[:18+27], parseResult{Layout{EtherType: EtherTypeARP, TCI: 1<<13 | 4094,
			L3: 18, Flags: Tagged}, TruncatedARP}},
		{"ipv4 ethertype, no header", tcp[:14], parseResult{l3Only, TruncatedIPv4}},
		{"ipv4 19 bytes", tcp[:33], parseResult{l3Only, TruncatedIPv4}},
		{"ipv6 in an ipv4 ethertype", mutate(v6, func(b []byte) { b[12], b[13] = 8, 0 }),
			parseResult{l3Only, BadIPv4Version}},
		{"ihl 4", mutate(tcp, func(b []byte) { b[14] = 0x44 }), parseResult{l3Only, BadIPv4HeaderLength}},
		{"ihl 15 past the frame", mutate(opts, func(b []byte) { b[14] = 0x4f })[:70],
			parseResult{l3Only, BadIPv4HeaderLength}},
		{"total length 0", mutate(super, func(b []byte) { ipOf(b).SetTotalLength(0) }),
			parseResult{l3Only, BadIPv4TotalLength}},
		{"total length below ihl", mutate(opts, func(b []byte) { ipOf(b).SetTotalLength(20) }),
			parseResult{l3Only, BadIPv4TotalLength}},
		{"total length past the frame", tcp[:len(tcp)-1], parseResult{l3Only, BadIPv4TotalLength}},
		{"tcp 19 bytes", mutate(tcp, func(b []byte) { ipOf(b).SetTotalLength(39) }),
			parseResult{ipv4L(0, ProtoTCP), TruncatedTCP}},
		{"tcp data offset 4", mutate(tcp, func(b []byte) { TCP(b[34:]).SetDataOffset(4) }),
			parseResult{ipv4L(0, ProtoTCP), TruncatedTCP}},
		{"tcp options past the datagram", mutate(opts, func(b []byte) { ipOf(b).SetTotalLength(24 + 39) }),
			parseResult{ipv4L(0, ProtoTCP), TruncatedTCP}},
		{"tcp data offset 15 past the datagram", mutate(tcp, func(b []byte) { TCP(b[34:]).SetDataOffset(15) }),
			parseResult{ipv4L(0, ProtoTCP), TruncatedTCP}},
		{"udp 7 bytes", mutate(udp, func(b []byte) { ipOf(b).SetTotalLength(27) }),
			parseResult{ipv4L(0, ProtoUDP), TruncatedUDP}},
		{"udp length 7", mutate(udp, func(b []byte) { UDP(b[34:]).SetLength(7) }),
			parseResult{ipv4L(0, ProtoUDP), TruncatedUDP}},
		{"udp length past the datagram", mutate(small, func(b []byte) { UDP(b[34:]).SetLength(9) }),
			parseResult{ipv4L(0, ProtoUDP), TruncatedUDP}},
		{"udp length 7 in a first fragment", mutate(firstFrag, func(b []byte) { UDP(b[34:]).SetLength(7) }),
			parseResult{ipv4L(0, ProtoUDP), TruncatedUDP}},
		{"icmp 7 bytes", mutate(icmp, func(b []byte) { ipOf(b).SetTotalLength(27) }),
			parseResult{ipv4L(0, ProtoICMP), TruncatedICMP}},
		{"tagged icmp 7 bytes", mutate(taggedICMP, func(b []byte) { IPv4(b[18:]).SetTotalLength(27) })[:18+27],
			parseResult{Layout{EtherType: EtherTypeIPv4, L3: 18, TCI: 300, Proto: ProtoICMP, Flags: Tagged | IsIPv4},
				TruncatedICMP}},
	}
}

func TestParse(t *testing.T) {
	for _, tt := range parseCases(t) {
		t.Run(tt.name, func(t *testing.T) {
			var got parseResult
			got.Layout = Layout{EtherType: 0xffff, L4: 7, Flags: 0xff} // Parse must clear old contents
			got.Err = Parse(tt.frame, &got.Layout)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse (-want +got):\n%s", diff)
			}
		})
	}
}

// TestParseCoversEveryReason makes sure the table keeps a case for each
// Malformed value.
func TestParseCoversEveryReason(t *testing.T) {
	seen := make(map[Malformed]bool)
	for _, tt := range parseCases(t) {
		seen[tt.want.Err] = true
	}
	for m := OK; m < NumMalformed; m++ {
		if !seen[m] {
			t.Errorf("no Parse case returns %v", m)
		}
	}
}

// TestLayoutViews checks the views Layout hands out after a good Parse.
func TestLayoutViews(t *testing.T) {
	frame := append(tcpFrame(t, []byte("abc")), 0, 0, 0) // with padding
	var l Layout
	if m := Parse(frame, &l); m != OK {
		t.Fatal(m)
	}
	if diff := cmp.Diff(frame[14:57], []byte(l.IPv4(frame))); diff != "" {
		t.Errorf("IPv4 (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(frame[34:57], l.Transport(frame)); diff != "" {
		t.Errorf("Transport (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]byte("abc"), l.L4Payload(frame)); diff != "" {
		t.Errorf("L4Payload (-want +got):\n%s", diff)
	}
	if !l.IPv4(frame).Valid() || !TCP(l.Transport(frame)).Valid() {
		t.Errorf("views not Valid")
	}
}

func TestParseAllocs(t *testing.T) {
	cases := parseCases(t)
	var l Layout
	allocs := testing.AllocsPerRun(100, func() {
		for _, tt := range cases {
			Parse(tt.frame, &l)
		}
	})
	if allocs != 0 {
		t.Errorf("Parse allocates %v times per run of %d frames, want 0", allocs, len(cases))
	}
}

var sinkMalformed Malformed

func BenchmarkParse(b *testing.B) {
	ip := ip4Layer(layers.IPProtocolTCP)
	for _, bb := range []struct {
		name  string
		frame []byte
	}{
		{"tcp", serialize(b, ethLayer(layers.EthernetTypeIPv4), ip, tcpLayer(ip), gopacket.Payload(make([]byte, 1400)))},
		{"tagged_tcp", taggedTCPFrame(b)},
		{"udp", udpFrame(b)},
		{"arp", arpFrame(b)},
		{"superframe", superFrame(b)},
	} {
		b.Run(bb.name, func(b *testing.B) {
			var l Layout
			b.ReportAllocs()
			for b.Loop() {
				sinkMalformed = Parse(bb.frame, &l)
			}
			if sinkMalformed != OK {
				b.Fatal(sinkMalformed)
			}
		})
	}
}
