package datapath

import (
	"net"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"neutrino/packet"
)

// tcpSuperFrame builds a TCP super-frame as a TAP device hands it over:
// one IPv4/TCP header, payload bytes of data, and virtio-net metadata
// asking for segments of mss bytes with the checksum left partial.
func tcpSuperFrame(t *testing.T, src, dst net.HardwareAddr, payload, mss int) *packet.Buffer {
	t.Helper()
	eth := &layers.Ethernet{SrcMAC: src, DstMAC: dst, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, Id: 100,
		SrcIP: net.IP{10, 1, 0, 11}, DstIP: net.IP{10, 1, 0, 12}}
	tcp := &layers.TCP{SrcPort: 40000, DstPort: 5201, Seq: 1000, Ack: 1, ACK: true, PSH: true, Window: 512}
	tcp.SetNetworkLayerForChecksum(ip)
	data := make([]byte, payload)
	for i := range data {
		data[i] = byte(i)
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		eth, ip, tcp, gopacket.Payload(data)); err != nil {
		t.Fatal(err)
	}
	b := packet.NewBuffer(packet.MaxFrame)
	b.SetData(buf.Bytes())
	// The checksum field of a partial checksum holds the folded
	// pseudo-header sum, not the full checksum.
	d := b.Data()
	l4len := len(d) - 34
	sum := uint32(0)
	for i := 26; i < 34; i += 2 {
		sum += uint32(d[i])<<8 | uint32(d[i+1])
	}
	sum += 6 + uint32(l4len)
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	d[34+16], d[34+17] = byte(sum>>8), byte(sum)
	b.Meta.GSO = packet.GSO{Type: packet.GSOTCPv4, NeedsCsum: true, HdrLen: 54, Size: uint16(mss), CsumStart: 34, CsumOffset: 16}
	return b
}

func TestSuperFrameToUplinkIsSegmented(t *testing.T) {
	n, eps := memNode(t, twoNetSpec(), Options{})
	b := tcpSuperFrame(t, mac(0x11), broadcast, 10000, 1448)
	n.Process(n.NewWorker(1), 0, []*packet.Buffer{b})

	// r2 takes offloads: the super-frame arrives whole, still partial.
	if got := eps["r2"].Sent(); len(got) != 1 || !got[0].GSO.IsGSO() || len(got[0].Data) != 10054 {
		t.Fatalf("r2 got %d frames, want the one super-frame", len(got))
	}
	// The uplink takes none: 7 segments of at most 1448 bytes, tagged
	// 101, with correct checksums and the payload in order.
	segs := eps["physnet1"].Sent()
	if len(segs) != 7 {
		t.Fatalf("uplink got %d frames, want 7", len(segs))
	}
	var payload []byte
	for i, s := range segs {
		p := gopacket.NewPacket(s.Data, layers.LayerTypeEthernet, gopacket.Default)
		vlan, _ := p.Layer(layers.LayerTypeDot1Q).(*layers.Dot1Q)
		ip, _ := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		tcp, _ := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
		if vlan == nil || vlan.VLANIdentifier != 101 || ip == nil || tcp == nil {
			t.Fatalf("segment %d: not a tagged TCP/IPv4 frame: %v", i, p)
		}
		if len(s.Data) > 1500+18 {
			t.Errorf("segment %d is %d bytes, over the uplink MTU", i, len(s.Data))
		}
		if s.GSO.IsGSO() || s.GSO.NeedsCsum {
			t.Errorf("segment %d still carries offload metadata %+v", i, s.GSO)
		}
		verifyTCPChecksum(t, s.Data)
		payload = append(payload, tcp.Payload...)
	}
	for i, c := range payload {
		if c != byte(i) {
			t.Fatalf("payload differs at byte %d", i)
		}
	}
	if len(payload) != 10000 {
		t.Errorf("payload %d bytes, want 10000", len(payload))
	}
	// The original is untouched for whoever else got it.
	if b.Len() != 10054 || !b.Meta.GSO.IsGSO() {
		t.Errorf("the super-frame was changed: %d bytes, %+v", b.Len(), b.Meta.GSO)
	}
}
