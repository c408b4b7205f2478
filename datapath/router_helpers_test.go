package datapath

import (
	"net"
	"net/netip"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"neutrino/link/mem"
	"neutrino/packet/header"
)

// seed002 is the node of the seed 002 example: router1 with qr- ports on
// net-91 and net-81 and its gateway on ext-net (uplink physnet1), the
// floating IP 192.168.1.104 of vm-91-14. Its VM ports are unfiltered
// (see seed002Spec).
func seed002(t testing.TB) (*Node, map[string]*mem.Endpoint) {
	t.Helper()
	return memNode(t, seed002Spec(t), Options{})
}

// seed002Spec is the seed 002 example's node with its VM ports'
// security groups taken off: the router's tests send what the groups
// would drop (connections from the outside, sources of their own);
// the security groups' tests load it whole.
func seed002Spec(t testing.TB) *Spec {
	return unfiltered(loadTestSpec(t, "../configs/examples/seed002-router.yaml", ""))
}

// unfiltered takes the security groups off every port of spec.
func unfiltered(spec *Spec) *Spec {
	for i := range spec.Ports {
		spec.Ports[i].Security = nil
	}
	return spec
}

// The seed's addresses.
var (
	qr91MAC   = hw("fa:16:3e:90:e5:50")
	qr81MAC   = hw("fa:16:3e:87:40:f3")
	qgMAC     = hw("fa:16:3e:2e:5b:23")
	vm91MAC   = hw("fa:16:3e:f3:1e:c0")
	vm81MAC   = hw("fa:16:3e:2b:3e:2a")
	upMAC     = hw("52:54:00:00:01:01") // the upstream router 192.168.1.1
	outMAC    = hw("52:54:00:00:01:15") // the outside host 192.168.1.15
	vm91IP    = v4("91.1.180.14")
	vm81IP    = v4("81.1.180.12")
	qr91IP    = v4("91.1.180.1")
	gwIP      = v4("192.168.1.110")
	fipIP     = v4("192.168.1.104")
	upIP      = v4("192.168.1.1")
	outIP     = v4("192.168.1.15")
	internet  = v4("8.8.8.8")
	extSubnet = netip.MustParsePrefix("192.168.1.0/24")
)

func hw(s string) net.HardwareAddr {
	m, err := net.ParseMAC(s)
	if err != nil {
		panic(err)
	}
	return m
}

func v4(s string) net.IP { return net.ParseIP(s).To4() }

// frame serializes layers with lengths and checksums computed.
func frame(t testing.TB, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	for _, l := range ls {
		switch x := l.(type) {
		case *layers.TCP:
			x.SetNetworkLayerForChecksum(ls[1].(*layers.IPv4))
		case *layers.UDP:
			x.SetNetworkLayerForChecksum(ls[1].(*layers.IPv4))
		}
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func eth(src, dst net.HardwareAddr, et layers.EthernetType) *layers.Ethernet {
	return &layers.Ethernet{SrcMAC: src, DstMAC: dst, EthernetType: et}
}

func ipv4(src, dst net.IP, proto layers.IPProtocol, ttl uint8) *layers.IPv4 {
	return &layers.IPv4{Version: 4, TTL: ttl, Protocol: proto, SrcIP: src, DstIP: dst, Id: 1}
}

func arpWhoHas(t testing.TB, srcMAC net.HardwareAddr, srcIP, target net.IP) []byte {
	return frame(t, eth(srcMAC, broadcast, layers.EthernetTypeARP), &layers.ARP{
		AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
		Operation: layers.ARPRequest, SourceHwAddress: srcMAC, SourceProtAddress: srcIP,
		DstHwAddress: make(net.HardwareAddr, 6), DstProtAddress: target})
}

func arpIsAt(t testing.TB, srcMAC net.HardwareAddr, srcIP net.IP, dstMAC net.HardwareAddr, dstIP net.IP) []byte {
	return frame(t, eth(srcMAC, dstMAC, layers.EthernetTypeARP), &layers.ARP{
		AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
		Operation: layers.ARPReply, SourceHwAddress: srcMAC, SourceProtAddress: srcIP,
		DstHwAddress: dstMAC, DstProtAddress: dstIP})
}

func echo(t testing.TB, srcMAC, dstMAC net.HardwareAddr, src, dst net.IP, ttl uint8, id, seq uint16, reply bool) []byte {
	typ := uint8(layers.ICMPv4TypeEchoRequest)
	if reply {
		typ = layers.ICMPv4TypeEchoReply
	}
	return frame(t, eth(srcMAC, dstMAC, layers.EthernetTypeIPv4), ipv4(src, dst, layers.IPProtocolICMPv4, ttl),
		&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(typ, 0), Id: id, Seq: seq}, gopacket.Payload("neutrino-ping-56"))
}

func tcpSeg(t testing.TB, srcMAC, dstMAC net.HardwareAddr, src, dst net.IP, sport, dport uint16, syn, ack bool) []byte {
	return frame(t, eth(srcMAC, dstMAC, layers.EthernetTypeIPv4), ipv4(src, dst, layers.IPProtocolTCP, 64),
		&layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport), SYN: syn, ACK: ack, Seq: 1000, Window: 64240})
}

func udpDgram(t testing.TB, srcMAC, dstMAC net.HardwareAddr, src, dst net.IP, sport, dport uint16, ttl uint8, payload int) []byte {
	return frame(t, eth(srcMAC, dstMAC, layers.EthernetTypeIPv4), ipv4(src, dst, layers.IPProtocolUDP, ttl),
		&layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}, gopacket.Payload(make([]byte, payload)))
}

// checked decodes a frame a router sent, failing the test unless every
// IPv4 header checksum and L4 checksum in it (those of an ICMP error's
// quoted packet too, where whole) is right.
func checked(t testing.TB, f []byte) gopacket.Packet {
	t.Helper()
	var l header.Layout
	if m := header.Parse(f, &l); m != header.OK {
		t.Fatalf("frame does not parse: %v", m)
	}
	if l.Flags&header.IsIPv4 != 0 {
		ip := l.IPv4(f)
		if !ip.ChecksumValid() {
			t.Errorf("IPv4 header checksum wrong: % x", f)
		}
		if l.Flags&header.HasL4 != 0 {
			tr := l.Transport(f)
			src, dst := ip.Src(), ip.Dst()
			switch l.Proto {
			case header.ProtoTCP:
				if !header.TCP(tr).ChecksumValid(src, dst) {
					t.Errorf("TCP checksum wrong")
				}
			case header.ProtoUDP:
				if u := header.UDP(tr); u.Checksum() != 0 && !u.ChecksumValid(src, dst) {
					t.Errorf("UDP checksum wrong")
				}
			case header.ProtoICMP:
				ic := header.ICMPv4(tr)
				if !ic.ChecksumValid() {
					t.Errorf("ICMP checksum wrong")
				}
				if typ := ic.Type(); typ == 3 || typ == 11 {
					inner := header.IPv4(ic.Payload())
					if len(inner) >= 20 && !inner.ChecksumValid() {
						t.Errorf("quoted IPv4 header checksum wrong")
					}
				}
			}
		}
	}
	return gopacket.NewPacket(f, layers.LayerTypeEthernet, gopacket.Default)
}

// outbox hands out the frames the node's ports sent since the last look.
type outbox struct {
	eps  map[string]*mem.Endpoint
	seen map[string]int
}

func newOutbox(eps map[string]*mem.Endpoint) *outbox {
	return &outbox{eps: eps, seen: map[string]int{}}
}

// take returns the new frames of every port that sent any.
func (o *outbox) take() map[string][][]byte {
	got := map[string][][]byte{}
	for name, e := range o.eps {
		s := e.Sent()
		for _, f := range s[o.seen[name]:] {
			got[name] = append(got[name], f.Data)
		}
		o.seen[name] = len(s)
	}
	return got
}

// only returns the one new frame, out of port, failing unless that is all
// the node sent.
func (o *outbox) only(t testing.TB, port string) gopacket.Packet {
	t.Helper()
	got := o.take()
	if len(got) != 1 || len(got[port]) != 1 {
		counts := map[string]int{}
		for k, v := range got {
			counts[k] = len(v)
		}
		t.Fatalf("want one frame out of %s, got %v", port, counts)
	}
	return checked(t, got[port][0])
}
