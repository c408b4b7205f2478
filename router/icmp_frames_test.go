package router

import (
	"net"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Fixtures of the ICMP, reset and fragmentation tests, built and decoded
// with gopacket: the oracle.

var (
	gwIP    = [4]byte{10, 0, 0, 1}        // the router's qr- address
	vmIP    = [4]byte{10, 0, 0, 5}        // a tenant VM
	farIP   = [4]byte{198, 51, 100, 7}    // somewhere beyond the gateway
	fipIP   = [4]byte{172, 24, 4, 110}    // a floating IP
	mcastIP = [4]byte{224, 0, 0, 5}       // OSPF routers
	limBcst = [4]byte{255, 255, 255, 255} // limited broadcast
)

// ip4Hdr returns an IPv4 layer from src to dst for proto, TTL 63, id 0x4242.
func ip4Hdr(src, dst [4]byte, proto layers.IPProtocol) *layers.IPv4 {
	return &layers.IPv4{Version: 4, TTL: 63, Id: 0x4242, Protocol: proto,
		SrcIP: net.IP(src[:]), DstIP: net.IP(dst[:])}
}

// serializeLayers serializes ls with lengths and checksums fixed.
func serializeLayers(t testing.TB, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, ls...); err != nil {
		t.Fatalf("serialize: %v", err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

// udpDatagram is an IPv4/UDP datagram from src to dst carrying n bytes.
func udpDatagram(t testing.TB, ip *layers.IPv4, n int) []byte {
	t.Helper()
	udp := &layers.UDP{SrcPort: 40000, DstPort: 53}
	if err := udp.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	return serializeLayers(t, ip, udp, gopacket.Payload(pattern(n)))
}

// icmpDatagram is an IPv4/ICMP datagram of the given type and code with n
// bytes of data.
func icmpDatagram(t testing.TB, ip *layers.IPv4, typ, code uint8, n int) []byte {
	t.Helper()
	ip.Protocol = layers.IPProtocolICMPv4
	m := &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(typ, code), Id: 0x77, Seq: 3}
	return serializeLayers(t, ip, m, gopacket.Payload(pattern(n)))
}

// withEthernet puts an untagged Ethernet header from src to dst before ip.
func withEthernet(dst, src [6]byte, ip []byte) []byte {
	f := make([]byte, 14, 14+len(ip))
	copy(f[0:6], dst[:])
	copy(f[6:12], src[:])
	f[12], f[13] = 0x08, 0x00
	return append(f, ip...)
}

// pattern returns n bytes that differ from their neighbours.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + 1)
	}
	return b
}

// decoded is what gopacket makes of a frame built here.
type decoded struct {
	eth  *layers.Ethernet
	ip   *layers.IPv4
	icmp *layers.ICMPv4
	tcp  *layers.TCP
	pkt  gopacket.Packet
}

// decodeFrame decodes frame with gopacket and fails t unless it is
// Ethernet/IPv4 with every checksum right.
func decodeFrame(t testing.TB, frame []byte) decoded {
	t.Helper()
	p := gopacket.NewPacket(frame, layers.LayerTypeEthernet, gopacket.Default)
	var d decoded
	d.pkt = p
	d.eth, _ = p.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
	d.ip, _ = p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
	d.icmp, _ = p.Layer(layers.LayerTypeICMPv4).(*layers.ICMPv4)
	d.tcp, _ = p.Layer(layers.LayerTypeTCP).(*layers.TCP)
	if d.eth == nil || d.ip == nil || p.ErrorLayer() != nil {
		t.Fatalf("gopacket cannot decode %x: %v", frame, p.ErrorLayer())
	}
	if d.tcp != nil {
		if err := d.tcp.SetNetworkLayerForChecksum(d.ip); err != nil {
			t.Fatal(err)
		}
	}
	err, bad := p.VerifyChecksums()
	if err != nil || len(bad) > 0 {
		t.Fatalf("checksums of %x: %v %+v", frame, err, bad)
	}
	return d
}
