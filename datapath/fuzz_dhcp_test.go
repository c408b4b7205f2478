package datapath

import (
	"net"
	"net/netip"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/insomniacslk/dhcp/dhcpv4"

	"neutrino/dhcp"
	"neutrino/link/mem"
	"neutrino/packet"
)

// dhcpServedSpec is dhcpNetSpec with a DHCP server on red (10.1.0.0/24,
// pool .100-.199, r1 static at .11); r2 has no port security.
func dhcpServedSpec() *Spec {
	s := dhcpNetSpec()
	s.Ports[0].PortSecurity = true
	s.Networks[0].DHCP.Server = &dhcp.Config{
		Network: "red", ServerMAC: dhcp.MAC(dhcpMAC),
		Subnets: []dhcp.Subnet{{
			Name: "red-subnet", CIDR: netip.MustParsePrefix("10.1.0.0/24"), Gateway: netip.MustParseAddr("10.1.0.1"),
			ServerIP: netip.MustParseAddr("10.1.0.2"), MTU: 1500, LeaseTime: 600,
			Pool: &dhcp.Range{Start: netip.MustParseAddr("10.1.0.100"), End: netip.MustParseAddr("10.1.0.199")},
		}},
		Hosts: []dhcp.Host{{MAC: dhcp.MAC(mac(0x11)), IP: netip.MustParseAddr("10.1.0.11"), Port: "r1"}},
	}
	return s
}

// dhcpFrame wraps a DHCP payload in Ethernet/IPv4/UDP 68 -> 67, broadcast.
func dhcpFrame(t testing.TB, src net.HardwareAddr, payload []byte) []byte {
	t.Helper()
	eth := &layers.Ethernet{SrcMAC: src, DstMAC: broadcast, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: net.IPv4zero, DstIP: net.IPv4bcast}
	udp := &layers.UDP{SrcPort: 68, DstPort: 67}
	udp.SetNetworkLayerForChecksum(ip)
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		eth, ip, udp, gopacket.Payload(payload)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// A DISCOVER from a VM port is answered with an OFFER of its fixed IP,
// back out that port only, with correct checksums.
func TestDHCPPortOffers(t *testing.T) {
	n, eps := memNode(t, dhcpServedSpec(), Options{})
	d, err := dhcpv4.NewDiscovery(mac(0x11))
	if err != nil {
		t.Fatal(err)
	}
	send(t, n, "r1", dhcpFrame(t, mac(0x11), d.ToBytes()))
	got := received(eps)
	if got["r1"] != 1 || len(got) != 1 {
		t.Fatalf("DISCOVER answered on %v, want r1 only", got)
	}
	f := eps["r1"].Sent()[0].Data
	checkIPv4Checksums(t, f)
	m, err := dhcpv4.FromBytes(f[14+20+8:])
	if err != nil {
		t.Fatal(err)
	}
	if m.MessageType() != dhcpv4.MessageTypeOffer || !m.YourIPAddr.Equal(net.IP{10, 1, 0, 11}) {
		t.Fatalf("reply %s yiaddr %s, want an OFFER of 10.1.0.11", m.MessageType(), m.YourIPAddr)
	}
}

// FuzzDHCPPort sends any bytes as the DHCP payload of a frame to the DHCP
// port, from a port with port security and from a trusted one: nothing
// panics, and every message is answered or counted.
func FuzzDHCPPort(f *testing.F) {
	d, _ := dhcpv4.NewDiscovery(mac(0x11))
	f.Add(uint8(0), d.ToBytes())
	r, _ := dhcpv4.NewRequestFromOffer(d, dhcpv4.WithGatewayIP(net.IP{10, 1, 0, 12}))
	f.Add(uint8(1), r.ToBytes())
	f.Add(uint8(0), []byte{1, 1, 6, 0})
	f.Fuzz(func(t *testing.T, port uint8, payload []byte) {
		if len(payload) > 1400 {
			return
		}
		n, _ := memNode(t, dhcpServedSpec(), Options{}, mem.AsSink())
		in := int(port) % 2 // r1 (port security) or r2 (trusted)
		src := mac(0x11 + byte(in))
		b := packet.NewBuffer(packet.MaxFrame)
		b.SetData(dhcpFrame(t, src, payload))
		n.Process(n.NewWorker(1), in, []*packet.Buffer{b})
		c := n.Counters()
		handled := c.DHCP["red"]["dhcp_messages"]
		var results uint64
		for _, e := range n.g.Load().elems {
			if d, ok := e.(*dhcpPort); ok {
				st := d.server.Stats()
				for _, v := range st.Results {
					results += v
				}
			}
		}
		if handled != 1 || results != 1 {
			t.Fatalf("dhcp_messages %d, results %d: want the message handled and counted once", handled, results)
		}
	})
}
