package router

import (
	"bytes"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"neutrino/packet/header"
)

// echoFrame is an Ethernet frame from vmMAC to qrMAC carrying an ICMP
// message (an echo request unless typ says otherwise) from src to dst with
// n bytes of data; vlan > 0 tags it.
type echoFrame struct {
	src, dst  [4]byte
	typ, code uint8
	id, seq   uint16
	n         int
	opts      []layers.IPv4Option
	vlan      uint16
	ethSrc    [6]byte
	flags     layers.IPv4Flag
}

func (e echoFrame) build(t testing.TB) []byte {
	t.Helper()
	if e.ethSrc == ([6]byte{}) {
		e.ethSrc = vmMAC
	}
	eth := &layers.Ethernet{SrcMAC: e.ethSrc[:], DstMAC: qrMAC[:], EthernetType: layers.EthernetTypeIPv4}
	ls := []gopacket.SerializableLayer{eth}
	if e.vlan > 0 {
		eth.EthernetType = layers.EthernetTypeDot1Q
		ls = append(ls, &layers.Dot1Q{VLANIdentifier: e.vlan, Type: layers.EthernetTypeIPv4})
	}
	ip := ip4Hdr(e.src, e.dst, layers.IPProtocolICMPv4)
	ip.TOS, ip.Options, ip.Flags = 0x10, e.opts, e.flags
	m := &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(e.typ, e.code), Id: e.id, Seq: e.seq}
	return serializeLayers(t, append(ls, ip, m, gopacket.Payload(pattern(e.n)))...)
}

func echoReq(n int) echoFrame {
	return echoFrame{src: vmIP, dst: gwIP, typ: 8, id: 0x1d2e, seq: 7, n: n}
}

var recordRoute = []layers.IPv4Option{{OptionType: 7, OptionLength: 39, OptionData: append([]byte{4}, make([]byte, 36)...)}}

func TestEchoReply(t *testing.T) {
	withRR := echoReq(56)
	withRR.opts = recordRoute
	tagged := echoReq(56)
	tagged.vlan = 101
	zero := echoFrame{src: vmIP, dst: gwIP, typ: 8} // every word but the checksum zero in the reply
	coded := echoReq(8)
	coded.code = 5
	df := echoReq(1472)
	df.flags = layers.IPv4DontFragment
	padded := echoReq(0).build(t)
	padded = append(padded, make([]byte, 60-len(padded))...)

	tests := []struct {
		name  string
		frame []byte
		l3    int
		optl  int // option bytes dropped
	}{
		{"ping -s 56", echoReq(56).build(t), 14, 0},
		{"odd length", echoReq(57).build(t), 14, 0},
		{"record route dropped", withRR.build(t), 14, 40},
		{"802.1Q tag kept", tagged.build(t), 18, 0},
		{"all-zero reply needs checksum 0xffff", zero.build(t), 14, 0},
		{"code kept", coded.build(t), 14, 0},
		{"DF request, large", df.build(t), 14, 0},
		{"Ethernet padding dropped", padded, 14, 0},
		{"to a floating IP", echoFrame{src: farIP, dst: fipIP, typ: 8, id: 1, seq: 1, n: 32}.build(t), 14, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.frame
			f := bytes.Clone(in)
			var l header.Layout
			if m := header.Parse(f, &l); m != header.OK {
				t.Fatalf("parse: %v", m)
			}
			n, ok := EchoReply(f, &l, qrMAC)
			if !ok {
				t.Fatal("not answered")
			}
			req := gopacket.NewPacket(in, layers.LayerTypeEthernet, gopacket.Default)
			rip := req.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
			ricmp := req.Layer(layers.LayerTypeICMPv4).(*layers.ICMPv4)
			if want := tt.l3 + int(rip.Length) - tt.optl; n != want {
				t.Fatalf("n = %d, want %d", n, want)
			}
			d := decodeFrame(t, f[:n])
			if !bytes.Equal(d.eth.DstMAC, vmMAC[:]) || !bytes.Equal(d.eth.SrcMAC, qrMAC[:]) {
				t.Errorf("Ethernet %v -> %v", d.eth.SrcMAC, d.eth.DstMAC)
			}
			if !bytes.Equal(f[12:tt.l3], in[12:tt.l3]) {
				t.Errorf("tag and type %x, want %x", f[12:tt.l3], in[12:tt.l3])
			}
			ip := d.ip
			if ip.IHL != 5 || len(ip.Options) != 0 || ip.TOS != rip.TOS || ip.TTL != 64 || ip.Flags != 0 || ip.FragOffset != 0 ||
				!ip.SrcIP.Equal(rip.DstIP) || !ip.DstIP.Equal(rip.SrcIP) || ip.Protocol != layers.IPProtocolICMPv4 {
				t.Errorf("IPv4 %+v", ip)
			}
			m := d.icmp
			if m == nil || m.TypeCode.Type() != 0 || m.TypeCode.Code() != ricmp.TypeCode.Code() ||
				m.Id != ricmp.Id || m.Seq != ricmp.Seq || !bytes.Equal(m.Payload, ricmp.Payload) {
				t.Errorf("ICMP %+v, request %+v", m, ricmp)
			}
		})
	}
}

func TestEchoReplyRefuses(t *testing.T) {
	badSum := echoReq(8).build(t)
	badSum[14+20+2] ^= 0x40
	frag := echoReq(56)
	frag.flags = layers.IPv4MoreFragments
	groupSrc := echoReq(8)
	groupSrc.ethSrc = [6]byte{0x01, 0x00, 0x5e, 0, 0, 1}
	udp := withEthernet(qrMAC, vmMAC, udpDatagram(t, ip4Hdr(vmIP, gwIP, layers.IPProtocolUDP), 8))
	short := echoReq(8).build(t)

	tests := []struct {
		name  string
		frame []byte
		l     func(l *header.Layout) // tampers with the parsed layout
	}{
		{"bad checksum", badSum, nil},
		{"echo reply", echoFrame{src: vmIP, dst: gwIP, typ: 0}.build(t), nil},
		{"timestamp request", echoFrame{src: vmIP, dst: gwIP, typ: 13, n: 12}.build(t), nil},
		{"destination unreachable", echoFrame{src: vmIP, dst: gwIP, typ: 3, code: 1, n: 28}.build(t), nil},
		{"first fragment", frag.build(t), nil},
		{"to a multicast group", echoFrame{src: vmIP, dst: mcastIP, typ: 8}.build(t), nil},
		{"to the limited broadcast", echoFrame{src: vmIP, dst: limBcst, typ: 8}.build(t), nil},
		{"from loopback", echoFrame{src: [4]byte{127, 0, 0, 1}, dst: gwIP, typ: 8}.build(t), nil},
		{"from 0.0.0.0", echoFrame{dst: gwIP, typ: 8}.build(t), nil},
		{"from a multicast address", echoFrame{src: mcastIP, dst: gwIP, typ: 8}.build(t), nil},
		{"from an Ethernet group address", groupSrc.build(t), nil},
		{"UDP", udp, nil},
		{"layout without L4", short, func(l *header.Layout) { l.Flags &^= header.HasL4 }},
		{"layout with a wrong L4", short, func(l *header.Layout) { l.L4 += 4 }},
		{"layout with L3 past the frame", short, func(l *header.Layout) { l.L3 = 200 }},
		{"layout with L3 inside Ethernet", short, func(l *header.Layout) { l.L3 = 4 }},
		{"layout saying fragment", short, func(l *header.Layout) { l.Flags |= header.Fragment }},
		{"zero layout", short, func(l *header.Layout) { *l = header.Layout{} }},
	}
	for _, tt := range tests {
		f := bytes.Clone(tt.frame)
		var l header.Layout
		header.Parse(f, &l)
		if tt.l != nil {
			tt.l(&l)
		}
		if n, ok := EchoReply(f, &l, qrMAC); ok || n != 0 {
			t.Errorf("%s: answered (%d bytes)", tt.name, n)
		}
		if !bytes.Equal(f, tt.frame) {
			t.Errorf("%s: frame changed", tt.name)
		}
	}
}

func TestEchoReplyAllocs(t *testing.T) {
	req := echoReq(56).build(t)
	f := make([]byte, len(req))
	var l header.Layout
	n := testing.AllocsPerRun(1000, func() {
		copy(f, req)
		header.Parse(f, &l)
		EchoReply(f, &l, qrMAC)
	})
	if n != 0 {
		t.Errorf("EchoReply allocates %v times", n)
	}
}

func BenchmarkEchoReply(b *testing.B) {
	req := echoReq(56).build(b)
	f := make([]byte, len(req))
	var l header.Layout
	header.Parse(req, &l)
	b.ReportAllocs()
	for b.Loop() {
		copy(f, req)
		EchoReply(f, &l, qrMAC)
	}
}
