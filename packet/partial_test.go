package packet

import (
	"bytes"
	"encoding/binary"
	"net"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"neutrino/packet/header"
)

// l4Frame serializes an Ethernet/IPv4 frame carrying l4 (a TCP or UDP
// layer) and payload, with right checksums (gopacket's).
func l4Frame(t testing.TB, l4 gopacket.SerializableLayer, payload []byte) []byte {
	t.Helper()
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{0xfa, 0x16, 0x3e, 0, 0x10, 2}, DstMAC: net.HardwareAddr{0xfa, 0x16, 0x3e, 0, 0x10, 1},
		EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Flags: layers.IPv4DontFragment,
		SrcIP: net.IP{10, 10, 0, 12}, DstIP: net.IP{10, 10, 0, 11}}
	switch l := l4.(type) {
	case *layers.TCP:
		ip.Protocol = layers.IPProtocolTCP
		_ = l.SetNetworkLayerForChecksum(ip)
	case *layers.UDP:
		ip.Protocol = layers.IPProtocolUDP
		_ = l.SetNetworkLayerForChecksum(ip)
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		eth, ip, l4, gopacket.Payload(payload)); err != nil {
		t.Fatal(err)
	}
	return bytes.Clone(buf.Bytes())
}

// offload leaves the L4 checksum of frame f partial, as a sender with
// checksum offload does: the field holds the pseudo-header sum.
func offload(f []byte, field int) []byte {
	f = bytes.Clone(f)
	ip := f[14:34]
	l4len := int(binary.BigEndian.Uint16(ip[2:4])) - 20
	binary.BigEndian.PutUint16(f[field:], header.PseudoHeaderChecksum(ip[9], [4]byte(ip[12:16]), [4]byte(ip[16:20]), uint16(l4len)))
	return f
}

func TestLeftPartial(t *testing.T) {
	// The SYN a Linux client sends: its options make it 74 bytes, no
	// Ethernet padding.
	syn := l4Frame(t, &layers.TCP{SrcPort: 51510, DstPort: 5201, Seq: 3177088895, SYN: true, Window: 64860,
		Options: []layers.TCPOption{
			{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: []byte{0x05, 0x82}},
			{OptionType: layers.TCPOptionKindSACKPermitted, OptionLength: 2},
			{OptionType: layers.TCPOptionKindTimestamps, OptionLength: 10, OptionData: []byte{0x7b, 0x50, 0x3e, 0x74, 0, 0, 0, 0}},
			{OptionType: layers.TCPOptionKindNop},
			{OptionType: layers.TCPOptionKindWindowScale, OptionLength: 3, OptionData: []byte{10}},
		}}, nil)
	// A bare SYN is 54 bytes, padded to 60.
	bare := l4Frame(t, &layers.TCP{SrcPort: 51510, DstPort: 5201, Seq: 3177088895, SYN: true, Window: 64860}, nil)
	data := l4Frame(t, &layers.TCP{SrcPort: 51510, DstPort: 5201, Seq: 1, Ack: 1, ACK: true, PSH: true, Window: 63}, []byte("hello, partial"))
	udp := l4Frame(t, &layers.UDP{SrcPort: 40000, DstPort: 5201}, make([]byte, 18))
	for _, tc := range []struct {
		name  string
		f     []byte
		field int // of the checksum; 0 when not partial
	}{
		{"TCP SYN, right checksum", syn, 0},
		{"TCP SYN, left partial", offload(syn, 50), 50},
		{"TCP data, left partial", offload(data, 50), 50},
		{"TCP data, right checksum", data, 0},
		{"UDP, right checksum", udp, 0},
		{"UDP, left partial", offload(udp, 40), 40},
		{"UDP without a checksum", func() []byte { f := bytes.Clone(udp); f[40], f[41] = 0, 0; return f }(), 0},
		{"a fragment", func() []byte { f := offload(udp, 40); f[20] |= 0x20; return f }(), 0},
		{"cut short", offload(data, 50)[:60], 0},
		{"ICMP", func() []byte { f := offload(udp, 40); f[23] = 1; return f }(), 0},
		{"not IPv4", func() []byte { f := offload(udp, 40); f[12] = 0x86; f[13] = 0xdd; return f }(), 0},
		{"a corrupt checksum", func() []byte { f := bytes.Clone(data); f[50]++; return f }(), 0},
		{"Ethernet padding", offload(bare, 50), 0},
		{"UDP length short of the datagram", func() []byte { f := offload(udp, 40); f[39]--; return offload(f, 40) }(), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start, off, ok := LeftPartial(tc.f)
			if ok != (tc.field != 0) || (ok && start+off != tc.field) {
				t.Fatalf("LeftPartial: start %d offset %d ok %v, want the field at %d", start, off, ok, tc.field)
			}
			if !ok {
				return
			}
			// Finished, it is the frame gopacket made.
			b := NewBuffer(2048)
			b.SetData(tc.f)
			b.Meta.GSO = GSO{NeedsCsum: true, CsumStart: uint16(start), CsumOffset: uint16(off)}
			if err := CompleteChecksum(b); err != nil {
				t.Fatal(err)
			}
			want := syn
			switch {
			case bytes.Equal(tc.f[:34], data[:34]):
				want = data
			case tc.f[23] == header.ProtoUDP:
				want = udp
			}
			if !bytes.Equal(b.Data(), want) {
				t.Fatalf("finished:\n got  %x\n want %x", b.Data(), want)
			}
		})
	}
}

func FuzzLeftPartial(f *testing.F) {
	f.Add(offload(l4Frame(f, &layers.UDP{SrcPort: 1, DstPort: 2}, []byte{1, 2, 3}), 40))
	f.Add(offload(l4Frame(f, &layers.TCP{SrcPort: 1, DstPort: 2, SYN: true}, nil), 50))
	f.Fuzz(func(t *testing.T, b []byte) {
		start, off, ok := LeftPartial(b)
		if !ok {
			return
		}
		if start < 34 || start+off+2 > len(b) {
			t.Fatalf("checksum at %d+%d in a frame of %d bytes", start, off, len(b))
		}
		// What LeftPartial accepts, CompleteChecksum finishes, and
		// gopacket then finds right.
		buf := NewBuffer(len(b) + 64)
		buf.SetData(b)
		buf.Meta.GSO = GSO{NeedsCsum: true, CsumStart: uint16(start), CsumOffset: uint16(off)}
		if err := CompleteChecksum(buf); err != nil {
			t.Fatal(err)
		}
		ipLen := 14 + int(binary.BigEndian.Uint16(b[16:18]))
		p := gopacket.NewPacket(buf.Data()[:ipLen], layers.LayerTypeEthernet, gopacket.Default)
		if p.ErrorLayer() != nil {
			return // gopacket refuses some IPv4 options LeftPartial skips over
		}
		switch l := p.TransportLayer().(type) {
		case *layers.TCP:
			if err := l.SetNetworkLayerForChecksum(p.NetworkLayer()); err == nil {
				if err, v := l.VerifyChecksum(); err == nil && !v.Valid {
					t.Fatalf("finished TCP checksum wrong: %+v", v)
				}
			}
		case *layers.UDP:
			if err := l.SetNetworkLayerForChecksum(p.NetworkLayer()); err == nil {
				if err, v := l.VerifyChecksum(); err == nil && !v.Valid {
					t.Fatalf("finished UDP checksum wrong: %+v", v)
				}
			}
		}
	})
}
