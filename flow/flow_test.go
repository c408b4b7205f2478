package flow

import (
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

var (
	vmMAC = net.HardwareAddr{0xfa, 0x16, 0x3e, 0, 0, 1}
	gwMAC = net.HardwareAddr{0xfa, 0x16, 0x3e, 0, 0, 0xfe}
	vmIP  = netip.MustParseAddr("10.0.0.5")
)

func build(t *testing.T, s string) gopacket.Packet {
	t.Helper()
	f, err := Parse(s)
	if err != nil {
		t.Fatalf("Parse(%q): %v", s, err)
	}
	f.Defaults(vmMAC, vmIP, func(netip.Addr) net.HardwareAddr { return gwMAC })
	b, err := f.Frame()
	if err != nil {
		t.Fatal(err)
	}
	p := gopacket.NewPacket(b, layers.LayerTypeEthernet, gopacket.Default)
	if el := p.ErrorLayer(); el != nil {
		t.Fatalf("%q: frame does not decode: %v", s, el.Error())
	}
	return p
}

func TestParseAndBuild(t *testing.T) {
	p := build(t, "icmp,nw_dst=192.168.1.15")
	ip := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
	ic := p.Layer(layers.LayerTypeICMPv4).(*layers.ICMPv4)
	eth := p.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
	if ip.SrcIP.String() != "10.0.0.5" || ip.DstIP.String() != "192.168.1.15" || ip.TTL != 64 || ic.TypeCode.Type() != 8 ||
		eth.SrcMAC.String() != vmMAC.String() || eth.DstMAC.String() != gwMAC.String() {
		t.Errorf("icmp: %v", p)
	}
	p = build(t, "tcp, nw_src=10.0.0.9, tp_dst=22, tcp_flags=+ack")
	tc := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
	if tc.DstPort != 22 || tc.SrcPort != 32768 || !tc.ACK || tc.SYN || p.Layer(layers.LayerTypeIPv4).(*layers.IPv4).SrcIP.String() != "10.0.0.9" {
		t.Errorf("tcp: %v", p)
	}
	p = build(t, "udp,nw_dst=10.0.0.7,dl_vlan=101,payload=100")
	if u := p.Layer(layers.LayerTypeUDP).(*layers.UDP); u.DstPort != 53 || len(u.Payload) != 100 {
		t.Errorf("udp: %v", p)
	}
	if v := p.Layer(layers.LayerTypeDot1Q); v == nil || v.(*layers.Dot1Q).VLANIdentifier != 101 {
		t.Errorf("udp: no tag 101: %v", p)
	}
	p = build(t, "arp,arp_tpa=10.0.0.1")
	a := p.Layer(layers.LayerTypeARP).(*layers.ARP)
	if a.Operation != layers.ARPRequest || net.IP(a.SourceProtAddress).String() != "10.0.0.5" || net.IP(a.DstProtAddress).String() != "10.0.0.1" {
		t.Errorf("arp: %v", p)
	}
	// Checksums are right.
	p = build(t, "tcp,nw_dst=10.0.0.7")
	if !verifyChecksums(t, p) {
		t.Errorf("bad checksums: %v", p)
	}
}

func verifyChecksums(t *testing.T, p gopacket.Packet) bool {
	ip := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
	raw := append([]byte(nil), ip.Contents...)
	raw[10], raw[11] = 0, 0
	var sum uint32
	for i := 0; i+1 < len(raw); i += 2 {
		sum += uint32(raw[i])<<8 | uint32(raw[i+1])
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return uint16(^sum) == ip.Checksum
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ flow, want string }{
		{"", "column 1: empty"},
		{"icmpp", `column 1: unknown protocol "icmpp"`},
		{"icmp,nw_dts=1.2.3.4", `column 6: unknown field "nw_dts"`},
		{"icmp,nw_dst=1.2.3", `column 13: nw_dst="1.2.3": want an IPv4 address`},
		{"tcp,tp_dst=70000", `column 12: tp_dst="70000": want a port`},
		{"icmp,tp_dst=22", "tp_dst is not a field of icmp"},
		{"tcp,udp", `a second protocol "udp"`},
		{"tcp,,tp_dst=1", "column 5: an empty item"},
		{"tcp,tcp_flags=+sny", "want flags"},
	} {
		_, err := Parse(tc.flow)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q): %v, want %q", tc.flow, err, tc.want)
		}
	}
}

// FuzzParse: any text parses or fails with an Error; a flow that parses
// builds a frame that decodes.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"icmp,nw_dst=192.168.1.15", "tcp,tp_dst=80,tcp_flags=+syn+ack", "arp,arp_tpa=10.0.0.1", "udp,dl_vlan=5", ",,", "x=y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fl, err := Parse(s)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("%q: error of type %T", s, err)
			}
			return
		}
		fl.Defaults(vmMAC, vmIP, nil)
		b, err := fl.Frame()
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		if p := gopacket.NewPacket(b, layers.LayerTypeEthernet, gopacket.Default); p.ErrorLayer() != nil && fl.PayloadLen < 0 {
			t.Fatalf("%q: frame does not decode: %v", s, p.ErrorLayer().Error())
		}
	})
}
