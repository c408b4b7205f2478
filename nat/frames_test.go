package nat

import (
	"encoding/binary"
	"net"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"neutrino/packet/header"
)

// Addresses of the test topology: a VM behind the router, its floating IP
// and the router's gateway IP on the external network, a host outside and
// a router on the way to it.
var (
	vmIP   = [4]byte{10, 0, 0, 5}
	vm2IP  = [4]byte{10, 0, 0, 6}
	fipIP  = [4]byte{172, 24, 4, 10}
	gwIP   = [4]byte{172, 24, 4, 2}
	extIP  = [4]byte{203, 0, 113, 7}
	hopIP  = [4]byte{198, 51, 100, 1}
	macVM  = net.HardwareAddr{0xfa, 0x16, 0x3e, 0x00, 0x00, 0x05}
	macRtr = net.HardwareAddr{0xfa, 0x16, 0x3e, 0x2e, 0x5b, 0x23}
)

// serialize builds a frame from gopacket layers with lengths and
// checksums computed.
func serialize(t testing.TB, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, ls...); err != nil {
		t.Fatalf("serialize: %v", err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

func eth() *layers.Ethernet {
	return &layers.Ethernet{SrcMAC: macVM, DstMAC: macRtr, EthernetType: layers.EthernetTypeIPv4}
}

func ip4(proto layers.IPProtocol, src, dst [4]byte) *layers.IPv4 {
	return &layers.IPv4{Version: 4, TTL: 64, Id: 0x3c1d, Flags: layers.IPv4DontFragment,
		Protocol: proto, SrcIP: net.IP(src[:]), DstIP: net.IP(dst[:])}
}

// payload returns n bytes of a pattern that is not all zeros.
func payload(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*31 + 7)
	}
	return b
}

// tcpLayers returns the layers of a TCP segment from src:sport to
// dst:dport carrying n bytes of data.
func tcpLayers(src, dst [4]byte, sport, dport uint16, n int) []gopacket.SerializableLayer {
	ip := ip4(layers.IPProtocolTCP, src, dst)
	tcp := &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport),
		Seq: 0x11223344, Ack: 0x55667788, ACK: true, PSH: true, Window: 502}
	if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
		panic(err)
	}
	return []gopacket.SerializableLayer{ip, tcp, gopacket.Payload(payload(n))}
}

// tcpFrame is Ethernet/IPv4/TCP.
func tcpFrame(t testing.TB, src, dst [4]byte, sport, dport uint16, n int) []byte {
	return serialize(t, append([]gopacket.SerializableLayer{eth()}, tcpLayers(src, dst, sport, dport, n)...)...)
}

// synFrame is a TCP SYN, or with ack a SYN-ACK.
func synFrame(t testing.TB, src, dst [4]byte, sport, dport uint16, ack bool) []byte {
	ls := tcpLayers(src, dst, sport, dport, 0)
	tcp := ls[1].(*layers.TCP)
	tcp.SYN, tcp.ACK, tcp.PSH = true, ack, false
	return serialize(t, append([]gopacket.SerializableLayer{eth()}, ls...)...)
}

// tcpOptionsFrame is a SYN with MSS, SACK-permitted, timestamps and window
// scale, in an IPv4 header with a router alert option (IHL 6).
func tcpOptionsFrame(t testing.TB, src, dst [4]byte, sport, dport uint16) []byte {
	ip := ip4(layers.IPProtocolTCP, src, dst)
	ip.Options = []layers.IPv4Option{{OptionType: 148, OptionLength: 4, OptionData: []byte{0, 0}}}
	tcp := &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport),
		Seq: 0xdeadbeef, SYN: true, Window: 64240, Options: []layers.TCPOption{
			{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: []byte{0x05, 0xb4}},
			{OptionType: layers.TCPOptionKindSACKPermitted, OptionLength: 2},
			{OptionType: layers.TCPOptionKindTimestamps, OptionLength: 10, OptionData: []byte{1, 2, 3, 4, 0, 0, 0, 0}},
			{OptionType: layers.TCPOptionKindNop},
			{OptionType: layers.TCPOptionKindWindowScale, OptionLength: 3, OptionData: []byte{7}},
		}}
	if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	return serialize(t, eth(), ip, tcp)
}

// taggedTCPFrame is tcpFrame in an 802.1Q tag.
func taggedTCPFrame(t testing.TB, src, dst [4]byte, sport, dport uint16) []byte {
	e := eth()
	e.EthernetType = layers.EthernetTypeDot1Q
	return serialize(t, append([]gopacket.SerializableLayer{e,
		&layers.Dot1Q{VLANIdentifier: 101, Type: layers.EthernetTypeIPv4}},
		tcpLayers(src, dst, sport, dport, 33)...)...)
}

// udpLayers returns the layers of a UDP datagram with n bytes of data.
func udpLayers(src, dst [4]byte, sport, dport uint16, n int) []gopacket.SerializableLayer {
	ip := ip4(layers.IPProtocolUDP, src, dst)
	udp := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}
	if err := udp.SetNetworkLayerForChecksum(ip); err != nil {
		panic(err)
	}
	return []gopacket.SerializableLayer{ip, udp, gopacket.Payload(payload(n))}
}

// udpFrame is Ethernet/IPv4/UDP.
func udpFrame(t testing.TB, src, dst [4]byte, sport, dport uint16, n int) []byte {
	return serialize(t, append([]gopacket.SerializableLayer{eth()}, udpLayers(src, dst, sport, dport, n)...)...)
}

// echoLayers returns the layers of an ICMP echo request or reply.
func echoLayers(src, dst [4]byte, typ uint8, id uint16) []gopacket.SerializableLayer {
	return []gopacket.SerializableLayer{ip4(layers.IPProtocolICMPv4, src, dst),
		&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(typ, 0), Id: id, Seq: 3},
		gopacket.Payload(payload(56))}
}

// echoFrame is Ethernet/IPv4/ICMP echo.
func echoFrame(t testing.TB, src, dst [4]byte, typ uint8, id uint16) []byte {
	return serialize(t, append([]gopacket.SerializableLayer{eth()}, echoLayers(src, dst, typ, id)...)...)
}

// icmpErrorFrame is an ICMP error from src to dst quoting the first n
// bytes of the IP packet of frame about (all of it when n is larger).
func icmpErrorFrame(t testing.TB, src, dst [4]byte, typ, code uint8, about []byte, n int) []byte {
	q := about[header.EthernetLen:]
	q = q[:binary.BigEndian.Uint16(q[2:4])]
	if n < len(q) {
		q = q[:n]
	}
	ic := &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(typ, code)}
	if typ == header.ICMPv4DestUnreach && code == header.ICMPv4FragNeeded {
		ic.Seq = 1400 // next-hop MTU
	}
	return serialize(t, eth(), ip4(layers.IPProtocolICMPv4, src, dst), ic, gopacket.Payload(q))
}

// parse runs header.Parse and fails the test unless the frame is OK.
func parse(t testing.TB, frame []byte) *header.Layout {
	t.Helper()
	var l header.Layout
	if m := header.Parse(frame, &l); m != header.OK {
		t.Fatalf("test frame malformed: %v", m)
	}
	return &l
}

// clone returns a copy of b.
func clone(b []byte) []byte { return append([]byte(nil), b...) }
