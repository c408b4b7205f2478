package header

import (
	"net"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Addresses used by the test frames.
var (
	macA = net.HardwareAddr{0x02, 0x00, 0x00, 0x00, 0x00, 0x0a}
	macB = net.HardwareAddr{0xfa, 0x16, 0x3e, 0x12, 0x34, 0x56}
	ipA  = net.IP{10, 0, 0, 1}
	ipB  = net.IP{192, 168, 7, 200}
)

// serialize builds a packet from gopacket layers with lengths and checksums
// fixed, the way the rest of the tree builds fixtures.
func serialize(t testing.TB, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, ls...); err != nil {
		t.Fatalf("serialize: %v", err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

func ethLayer(t layers.EthernetType) *layers.Ethernet {
	return &layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: t}
}

func ip4Layer(proto layers.IPProtocol) *layers.IPv4 {
	return &layers.IPv4{Version: 4, TTL: 64, Id: 0x1234, Flags: layers.IPv4DontFragment,
		Protocol: proto, SrcIP: ipA, DstIP: ipB}
}

func tcpLayer(ip *layers.IPv4) *layers.TCP {
	tcp := &layers.TCP{SrcPort: 40000, DstPort: 443, Seq: 0x01020304, Ack: 0xa0b0c0d0,
		SYN: true, ACK: true, Window: 64240, Urgent: 0}
	if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
		panic(err)
	}
	return tcp
}

func udpLayer(ip *layers.IPv4, src, dst layers.UDPPort) *layers.UDP {
	udp := &layers.UDP{SrcPort: src, DstPort: dst}
	if err := udp.SetNetworkLayerForChecksum(ip); err != nil {
		panic(err)
	}
	return udp
}

// tcpFrame is Ethernet/IPv4/TCP carrying payload.
func tcpFrame(t testing.TB, payload []byte) []byte {
	ip := ip4Layer(layers.IPProtocolTCP)
	return serialize(t, ethLayer(layers.EthernetTypeIPv4), ip, tcpLayer(ip), gopacket.Payload(payload))
}

// tcpOptionsFrame is a SYN with the usual Linux options (20 option bytes)
// and an IPv4 header with a router alert option (IHL 6).
func tcpOptionsFrame(t testing.TB) []byte {
	ip := ip4Layer(layers.IPProtocolTCP)
	ip.Options = []layers.IPv4Option{{OptionType: 148, OptionLength: 4, OptionData: []byte{0, 0}}}
	tcp := tcpLayer(ip)
	tcp.Options = []layers.TCPOption{
		{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: []byte{0x05, 0xb4}},
		{OptionType: layers.TCPOptionKindSACKPermitted, OptionLength: 2},
		{OptionType: layers.TCPOptionKindTimestamps, OptionLength: 10, OptionData: []byte{1, 2, 3, 4, 0, 0, 0, 0}},
		{OptionType: layers.TCPOptionKindNop},
		{OptionType: layers.TCPOptionKindWindowScale, OptionLength: 3, OptionData: []byte{7}},
	}
	return serialize(t, ethLayer(layers.EthernetTypeIPv4), ip, tcp)
}

// udpFrame is Ethernet/IPv4/UDP (a DNS-looking query).
func udpFrame(t testing.TB) []byte {
	ip := ip4Layer(layers.IPProtocolUDP)
	return serialize(t, ethLayer(layers.EthernetTypeIPv4), ip, udpLayer(ip, 53000, 53),
		gopacket.Payload("\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07example\x03com\x00\x00\x01\x00\x01"))
}

// icmpFrame is Ethernet/IPv4/ICMPv4 echo request.
func icmpFrame(t testing.TB) []byte {
	return serialize(t, ethLayer(layers.EthernetTypeIPv4), ip4Layer(layers.IPProtocolICMPv4),
		&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeEchoRequest, 0), Id: 0x4242, Seq: 7},
		gopacket.Payload("abcdefghijklmnopqrstuvwabcdefghi"))
}

// arpFrame is an Ethernet ARP request for ipB from macA/ipA.
func arpFrame(t testing.TB) []byte {
	return serialize(t, ethLayer(layers.EthernetTypeARP), arpLayer())
}

func arpLayer() *layers.ARP {
	return &layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4,
		HwAddressSize: 6, ProtAddressSize: 4, Operation: layers.ARPRequest,
		SourceHwAddress: macA, SourceProtAddress: ipA,
		DstHwAddress: net.HardwareAddr{0, 0, 0, 0, 0, 0}, DstProtAddress: ipB}
}

// taggedTCPFrame is tcpFrame inside an 802.1Q tag (VID 100, PCP 5, DEI).
func taggedTCPFrame(t testing.TB) []byte {
	ip := ip4Layer(layers.IPProtocolTCP)
	return serialize(t, ethLayer(layers.EthernetTypeDot1Q),
		&layers.Dot1Q{Priority: 5, DropEligible: true, VLANIdentifier: 100, Type: layers.EthernetTypeIPv4},
		ip, tcpLayer(ip), gopacket.Payload("hello"))
}

// vxlanFrame is Ethernet/IPv4/UDP 4789/VXLAN (VNI 0x123456) around an ARP
// request.
func vxlanFrame(t testing.TB) []byte {
	ip := ip4Layer(layers.IPProtocolUDP)
	return serialize(t, ethLayer(layers.EthernetTypeIPv4), ip, udpLayer(ip, 51234, 4789),
		&layers.VXLAN{ValidIDFlag: true, VNI: 0x123456}, ethLayer(layers.EthernetTypeARP), arpLayer())
}

// ipv6Frame is Ethernet/IPv6/UDP.
func ipv6Frame(t testing.TB) []byte {
	ip := &layers.IPv6{Version: 6, NextHeader: layers.IPProtocolUDP, HopLimit: 64,
		SrcIP: net.ParseIP("fd00::1"), DstIP: net.ParseIP("fd00::2")}
	udp := &layers.UDP{SrcPort: 546, DstPort: 547}
	if err := udp.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	return serialize(t, ethLayer(layers.EthernetTypeIPv6), ip, udp, gopacket.Payload("x"))
}

// superFrame is a TCP super-frame of the largest size GSO hands over: IPv4
// total length 65535.
func superFrame(t testing.TB) []byte {
	payload := make([]byte, 65535-IPv4MinLen-TCPMinLen)
	for i := range payload {
		payload[i] = byte(i * 7)
	}
	return tcpFrame(t, payload)
}

// clone returns a copy of b to mutate.
func clone(b []byte) []byte { return append([]byte(nil), b...) }
