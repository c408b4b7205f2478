package datapath

import (
	"bytes"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"neutrino/packet"
)

// dhcpMAC is the MAC of red's DHCP port in dhcpSpec.
var dhcpMAC = net.HardwareAddr{0xfa, 0x16, 0x3e, 0xdd, 0, 1}

// dhcpNetSpec is twoNetSpec with a DHCP port on red at 10.1.0.2.
func dhcpNetSpec() *Spec {
	s := twoNetSpec()
	s.Networks[0].DHCP = &DHCPSpec{MAC: dhcpMAC, IPs: []netip.Addr{netip.MustParseAddr("10.1.0.2")}}
	return s
}

// arpRequestFrame asks who has target, from src/srcIP, broadcast,
// tagged with vid when not 0.
func arpRequestFrame(t testing.TB, src net.HardwareAddr, srcIP, target string, vid uint16) []byte {
	t.Helper()
	eth := &layers.Ethernet{SrcMAC: src, DstMAC: broadcast, EthernetType: layers.EthernetTypeARP}
	arp := &layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
		Operation: layers.ARPRequest, SourceHwAddress: src, SourceProtAddress: net.ParseIP(srcIP).To4(),
		DstHwAddress: make(net.HardwareAddr, 6), DstProtAddress: net.ParseIP(target).To4()}
	ls := []gopacket.SerializableLayer{eth}
	if vid != 0 {
		eth.EthernetType = layers.EthernetTypeDot1Q
		ls = append(ls, &layers.Dot1Q{VLANIdentifier: vid, Type: layers.EthernetTypeARP})
	}
	ls = append(ls, arp)
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true}, ls...); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// checkARPReply checks that f is the DHCP port's answer to src asking for ip.
func checkARPReply(t *testing.T, f []byte, src net.HardwareAddr, srcIP, ip string) {
	t.Helper()
	p := gopacket.NewPacket(f, layers.LayerTypeEthernet, gopacket.Default)
	eth, _ := p.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
	arp, _ := p.Layer(layers.LayerTypeARP).(*layers.ARP)
	if eth == nil || arp == nil {
		t.Fatalf("not an ARP frame: %v", p)
	}
	if !bytes.Equal(eth.DstMAC, src) || !bytes.Equal(eth.SrcMAC, dhcpMAC) {
		t.Errorf("ethernet %s -> %s, want %s -> %s", eth.SrcMAC, eth.DstMAC, dhcpMAC, src)
	}
	if arp.Operation != layers.ARPReply || !bytes.Equal(arp.SourceHwAddress, dhcpMAC) ||
		!net.IP(arp.SourceProtAddress).Equal(net.ParseIP(ip)) || !bytes.Equal(arp.DstHwAddress, src) ||
		!net.IP(arp.DstProtAddress).Equal(net.ParseIP(srcIP)) {
		t.Errorf("ARP op %d %s/%s -> %s/%s, want a reply %s/%s -> %s/%s", arp.Operation,
			net.HardwareAddr(arp.SourceHwAddress), net.IP(arp.SourceProtAddress), net.HardwareAddr(arp.DstHwAddress), net.IP(arp.DstProtAddress),
			dhcpMAC, ip, src, srcIP)
	}
}

// An ARP request for the DHCP port from a VM port is answered on the
// node, back to that port only; nothing floods.
func TestDHCPPortAnswersARPFromVM(t *testing.T) {
	n, eps := memNode(t, dhcpNetSpec(), Options{})
	send(t, n, "r1", arpRequestFrame(t, mac(0x11), "10.1.0.11", "10.1.0.2", 0))
	if diff := cmp.Diff(map[string]int{"r1": 1}, received(eps)); diff != "" {
		t.Fatalf("ARP for the DHCP port (-want +got):\n%s", diff)
	}
	checkARPReply(t, eps["r1"].Sent()[0].Data, mac(0x11), "10.1.0.11", "10.1.0.2")
	if got := n.Counters().DHCP["red"]["arp_requests"]; got != 1 {
		t.Errorf("arp_requests = %d, want 1", got)
	}
}

// Copy-on-write: an ARP request flooded from the uplink reaches the DHCP
// port and the VM ports as one shared buffer; the DHCP port answers in a
// copy, and every VM gets the request byte for byte as it came in.
func TestFloodCopyOnWrite(t *testing.T) {
	spec := dhcpNetSpec()
	spec.Ports = append(spec.Ports, PortSpec{Name: "r3", Device: "tapr3", MAC: mac(0x13), MTU: 1500, Network: "red", LVID: 1})
	n, eps := memNode(t, spec, Options{})
	host := net.HardwareAddr{0x52, 0x54, 0, 0, 0, 0x0a}
	in := arpRequestFrame(t, host, "10.1.0.50", "10.1.0.2", 101)
	untagged := append(append([]byte{}, in[:12]...), in[16:]...) // the tag goes, nothing else changes
	send(t, n, "physnet1", in)
	if diff := cmp.Diff(map[string]int{"r1": 1, "r2": 1, "r3": 1, "physnet1": 1}, received(eps)); diff != "" {
		t.Fatalf("flooded ARP (-want +got):\n%s", diff)
	}
	for _, vm := range []string{"r1", "r2", "r3"} {
		if got := eps[vm].Sent()[0].Data; !bytes.Equal(got, untagged) {
			t.Errorf("%s got\n%x\nwant the request unchanged\n%x", vm, got, untagged)
		}
	}
	reply := eps["physnet1"].Sent()[0].Data
	if vidOf(reply) != 101 {
		t.Errorf("reply on the uplink has tag %d, want 101", vidOf(reply))
	}
	checkARPReply(t, reply, host, "10.1.0.50", "10.1.0.2")
}

// An empty buffer pool makes the copy impossible: the DHCP port's answer
// is a counted drop, and the flood itself is not disturbed.
func TestEmptyPoolIsCountedDrop(t *testing.T) {
	n, eps := memNode(t, dhcpNetSpec(), Options{})
	w := n.NewWorker(1)
	w.pool = packet.NewPool(0, 64)
	b := packet.NewBuffer(packet.MaxFrame)
	b.SetData(arpRequestFrame(t, net.HardwareAddr{0x52, 0x54, 0, 0, 0, 0x0a}, "10.1.0.50", "10.1.0.2", 101))
	n.Process(w, 4, []*packet.Buffer{b})
	if diff := cmp.Diff(map[string]int{"r1": 1, "r2": 1}, received(eps)); diff != "" {
		t.Fatalf("flood with an empty pool (-want +got):\n%s", diff)
	}
	c := n.Counters()
	if c.Drops["no_buffer"] != 1 || c.Stages["graph"]["no_buffer"] != 1 {
		t.Errorf("drops %v by stage %v, want no_buffer 1 at stage graph", c.Drops, c.Stages)
	}
}

// An ICMP echo to the DHCP port's address is answered.
func TestDHCPPortAnswersPing(t *testing.T) {
	n, eps := memNode(t, dhcpNetSpec(), Options{})
	eth := &layers.Ethernet{SrcMAC: mac(0x11), DstMAC: dhcpMAC, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolICMPv4, SrcIP: net.IP{10, 1, 0, 11}, DstIP: net.IP{10, 1, 0, 2}}
	icmp := &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeEchoRequest, 0), Id: 7, Seq: 3}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		eth, ip, icmp, gopacket.Payload("ping payload")); err != nil {
		t.Fatal(err)
	}
	send(t, n, "r1", buf.Bytes())
	if diff := cmp.Diff(map[string]int{"r1": 1}, received(eps)); diff != "" {
		t.Fatalf("ping the DHCP port (-want +got):\n%s", diff)
	}
	p := gopacket.NewPacket(eps["r1"].Sent()[0].Data, layers.LayerTypeEthernet, gopacket.Default)
	gotIP, _ := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
	gotICMP, _ := p.Layer(layers.LayerTypeICMPv4).(*layers.ICMPv4)
	if gotIP == nil || gotICMP == nil {
		t.Fatalf("reply is not ICMP: %v", p)
	}
	if gotICMP.TypeCode.Type() != layers.ICMPv4TypeEchoReply || gotICMP.Id != 7 || gotICMP.Seq != 3 ||
		!gotIP.SrcIP.Equal(net.IP{10, 1, 0, 2}) || !gotIP.DstIP.Equal(net.IP{10, 1, 0, 11}) {
		t.Errorf("reply %v %s -> %s id %d seq %d", gotICMP.TypeCode, gotIP.SrcIP, gotIP.DstIP, gotICMP.Id, gotICMP.Seq)
	}
	checkIPv4Checksums(t, eps["r1"].Sent()[0].Data)
}

// checkIPv4Checksums verifies the IPv4 header checksum and the ICMP, UDP
// or TCP checksum of frame, as a receiver would.
func checkIPv4Checksums(t *testing.T, frame []byte) {
	t.Helper()
	p := gopacket.NewPacket(frame, layers.LayerTypeEthernet, gopacket.Default)
	ip, _ := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
	if ip == nil {
		t.Fatal("no IPv4 header")
	}
	hdr := frame[14 : 14+int(ip.IHL)*4]
	if sum := onesSum(hdr); sum != 0xffff {
		t.Errorf("IPv4 header checksum wrong (sum %#04x)", sum)
	}
	l4 := frame[14+int(ip.IHL)*4 : 14+int(ip.Length)]
	switch ip.Protocol {
	case layers.IPProtocolICMPv4:
		if sum := onesSum(l4); sum != 0xffff {
			t.Errorf("ICMP checksum wrong (sum %#04x)", sum)
		}
	case layers.IPProtocolUDP:
		pseudo := append(append(append([]byte{}, ip.SrcIP.To4()...), ip.DstIP.To4()...), 0, 17, byte(len(l4)>>8), byte(len(l4)))
		if sum := onesSum(append(pseudo, l4...)); sum != 0xffff && !(l4[6] == 0 && l4[7] == 0) {
			t.Errorf("UDP checksum wrong (sum %#04x)", sum)
		}
	}
}

func onesSum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return uint16(s)
}

// loop is an element wired to itself.
type loop struct{ out target }

func (l *loop) name() string                                  { return "loop" }
func (l *loop) receive(w *Worker, _ uint16, b *packet.Buffer) { w.emit(l.out, b) }

// A wiring loop is a counted drop after maxHops elements, never a spin.
func TestHopLimit(t *testing.T) {
	n, _ := memNode(t, twoNetSpec(), Options{})
	l := &loop{}
	l.out = target{elem: l}
	w := n.NewWorker(1)
	w.g = &graph{elems: []element{l}, wires: [][]target{{l.out}}}
	b := packet.NewBuffer(128)
	b.SetData(udpFrame(t, mac(0x11), broadcast, 0, 10))
	w.hops = 0
	w.emit(l.out, b)
	if got := n.Counters().Stages["graph"]["hop_limit"]; got != 1 {
		t.Fatalf("hop_limit drops = %d, want 1", got)
	}
}

// A trace is a tree: each flood copy and each generated reply is a branch.
func TestTraceTree(t *testing.T) {
	n, _ := memNode(t, dhcpNetSpec(), Options{})
	var tr packet.Trace
	b := packet.NewBuffer(packet.MaxFrame)
	b.SetData(arpRequestFrame(t, net.HardwareAddr{0x52, 0x54, 0, 0, 0, 0x0a}, "10.1.0.50", "10.1.0.2", 101))
	b.Meta.Trace = &tr
	n.Process(n.NewWorker(1), 4, []*packet.Buffer{b})
	got := tr.String()
	for _, want := range []string{
		"br-int             flood      ff:ff:ff:ff:ff:ff vlan 1 -> 3 ports",
		"├─ qdhcp:red          arp-reply  10.1.0.2 is-at fa:16:3e:dd:00:01",
		"│  uplink:physnet1    output     802.1Q vid 101",
		"├─ port:r1            output     untagged",
		"└─ port:r2            output     untagged",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("trace lacks %q:\n%s", want, got)
		}
	}
}

// A dry run traces what would happen and changes nothing: no MAC learned,
// no counter moved, nothing written.
func TestDryRun(t *testing.T) {
	n, eps := memNode(t, dhcpNetSpec(), Options{})
	w := n.NewWorker(1)
	w.SetDryRun(true)
	var tr packet.Trace
	b := packet.NewBuffer(packet.MaxFrame)
	b.SetData(arpRequestFrame(t, mac(0x11), "10.1.0.11", "10.1.0.99", 0))
	b.Meta.Trace = &tr
	n.Process(w, 0, []*packet.Buffer{b})
	got := tr.String()
	for _, want := range []string{"br-int             learn      fa:16:3e:00:00:11 on vlan 1", "dry run: not written"} {
		if !strings.Contains(got, want) {
			t.Errorf("dry-run trace lacks %q:\n%s", want, got)
		}
	}
	if len(n.FDB()) != 0 {
		t.Errorf("a dry run learned %v", n.FDB())
	}
	if diff := cmp.Diff(map[string]int{}, received(eps)); diff != "" {
		t.Errorf("a dry run wrote frames (-want +got):\n%s", diff)
	}
	for _, p := range n.Counters().Ports {
		if p.RxFrames != 0 || p.TxFrames != 0 {
			t.Errorf("a dry run moved %s's counters: %+v", p.Port, p)
		}
	}
	// The same frame for real: learned and written.
	w.SetDryRun(false)
	tr.Reset()
	n.Process(w, 0, []*packet.Buffer{b})
	if len(n.FDB()) != 1 || received(eps)["r2"] != 1 {
		t.Errorf("after the real run: fdb %v, received %v", n.FDB(), received(eps))
	}
}
