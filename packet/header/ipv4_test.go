package header

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// addrComparer lets cmp compare netip.Addr values.
var addrComparer = cmp.Comparer(func(a, b netip.Addr) bool { return a == b })

// ipv4Fields is everything the IPv4 view reports.
type ipv4Fields struct {
	Version, IHL       uint8
	HeaderLen          int
	TOS                uint8
	TotalLength, ID    uint16
	FlagsFragment      uint16
	Flags              uint8
	DF, MF, IsFragment bool
	FragmentOffset     uint16
	TTL, Protocol      uint8
	Checksum           uint16
	Src, Dst           [4]byte
	SrcAddr, DstAddr   netip.Addr
	Options, Payload   []byte
}

func ipv4FieldsOf(b IPv4) ipv4Fields {
	return ipv4Fields{Version: b.Version(), IHL: b.IHL(), HeaderLen: b.HeaderLen(), TOS: b.TOS(),
		TotalLength: b.TotalLength(), ID: b.ID(), FlagsFragment: b.FlagsFragment(), Flags: b.Flags(),
		DF: b.DontFragment(), MF: b.MoreFragments(), IsFragment: b.IsFragment(), FragmentOffset: b.FragmentOffset(),
		TTL: b.TTL(), Protocol: b.Protocol(), Checksum: b.Checksum(), Src: b.Src(), Dst: b.Dst(),
		SrcAddr: b.SrcAddr(), DstAddr: b.DstAddr(), Options: b.Options(), Payload: b.Payload()}
}

func TestIPv4(t *testing.T) {
	plain := tcpFrame(t, []byte("payload"))[EthernetLen:]
	opts := tcpOptionsFrame(t)[EthernetLen:]
	frag := serialize(t, &layers.IPv4{Version: 4, IHL: 5, TOS: 0xb8, TTL: 1, Id: 0xbeef,
		Flags: layers.IPv4MoreFragments, FragOffset: 185, Protocol: layers.IPProtocolUDP, SrcIP: ipB, DstIP: ipA},
		gopacket.Payload(make([]byte, 16)))
	padded := append(clone(plain), 0, 0, 0, 0, 0, 0) // Ethernet padding
	a, b := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("192.168.7.200")
	tests := []struct {
		name string
		pkt  []byte
		want ipv4Fields
	}{
		{"tcp", plain, ipv4Fields{Version: 4, IHL: 5, HeaderLen: 20, TotalLength: 47, ID: 0x1234,
			FlagsFragment: 0x4000, Flags: 2, DF: true, TTL: 64, Protocol: ProtoTCP,
			Checksum: binary.BigEndian.Uint16(plain[10:12]), Src: [4]byte(ipA), Dst: [4]byte(ipB),
			SrcAddr: a, DstAddr: b, Options: []byte{}, Payload: plain[20:47]}},
		{"options", opts, ipv4Fields{Version: 4, IHL: 6, HeaderLen: 24, TotalLength: 64, ID: 0x1234,
			FlagsFragment: 0x4000, Flags: 2, DF: true, TTL: 64, Protocol: ProtoTCP,
			Checksum: binary.BigEndian.Uint16(opts[10:12]), Src: [4]byte(ipA), Dst: [4]byte(ipB),
			SrcAddr: a, DstAddr: b, Options: []byte{148, 4, 0, 0}, Payload: opts[24:64]}},
		{"fragment", frag, ipv4Fields{Version: 4, IHL: 5, HeaderLen: 20, TOS: 0xb8, TotalLength: 36, ID: 0xbeef,
			FlagsFragment: 0x2000 | 185, Flags: 1, MF: true, IsFragment: true, FragmentOffset: 1480,
			TTL: 1, Protocol: ProtoUDP, Checksum: binary.BigEndian.Uint16(frag[10:12]),
			Src: [4]byte(ipB), Dst: [4]byte(ipA), SrcAddr: b, DstAddr: a, Options: []byte{}, Payload: frag[20:]}},
		{"padded", padded, ipv4Fields{Version: 4, IHL: 5, HeaderLen: 20, TotalLength: 47, ID: 0x1234,
			FlagsFragment: 0x4000, Flags: 2, DF: true, TTL: 64, Protocol: ProtoTCP,
			Checksum: binary.BigEndian.Uint16(plain[10:12]), Src: [4]byte(ipA), Dst: [4]byte(ipB),
			SrcAddr: a, DstAddr: b, Options: []byte{}, Payload: plain[20:47]}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := IPv4(tt.pkt)
			if m := v.Check(); m != OK {
				t.Fatalf("Check() = %v, want ok", m)
			}
			if diff := cmp.Diff(tt.want, ipv4FieldsOf(v), addrComparer); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
			if !v.ChecksumValid() {
				t.Errorf("ChecksumValid() = false")
			}
			if got, want := v.CalculateChecksum(), v.Checksum(); got != want {
				t.Errorf("CalculateChecksum() = %#04x, want %#04x", got, want)
			}
		})
	}
}

func TestIPv4Check(t *testing.T) {
	good := udpFrame(t)[EthernetLen:]
	with := func(f func(b []byte)) []byte { b := clone(good); f(b); return b }
	tests := []struct {
		name string
		pkt  []byte
		want Malformed
	}{
		{"good", good, OK},
		{"header only", with(func(b []byte) { b[2], b[3] = 0, 20 })[:20], OK},
		{"empty", nil, TruncatedIPv4},
		{"19 bytes", good[:19], TruncatedIPv4},
		{"version 6", with(func(b []byte) { b[0] = 0x65 }), BadIPv4Version},
		{"version 0", with(func(b []byte) { b[0] = 0x05 }), BadIPv4Version},
		{"ihl 4", with(func(b []byte) { b[0] = 0x44 }), BadIPv4HeaderLength},
		{"ihl 0", with(func(b []byte) { b[0] = 0x40 }), BadIPv4HeaderLength},
		{"ihl past the end", with(func(b []byte) { b[0] = 0x4f })[:59], BadIPv4HeaderLength},
		{"total length 0", with(func(b []byte) { b[2], b[3] = 0, 0 }), BadIPv4TotalLength},
		{"total length below ihl", with(func(b []byte) { b[0], b[2], b[3] = 0x46, 0, 20 }), BadIPv4TotalLength},
		{"total length past the end", good[:len(good)-1], BadIPv4TotalLength},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := IPv4(tt.pkt)
			if got := v.Check(); got != tt.want {
				t.Errorf("Check() = %v, want %v", got, tt.want)
			}
			if got := v.Valid(); got != (tt.want == OK) {
				t.Errorf("Valid() = %v, want %v", got, tt.want == OK)
			}
		})
	}
}

func TestIPv4Setters(t *testing.T) {
	gp := &layers.IPv4{Version: 4, TOS: 0x10, Id: 0xabcd, Flags: layers.IPv4MoreFragments, FragOffset: 0x1ff,
		TTL: 17, Protocol: layers.IPProtocolICMPv4, SrcIP: ipB, DstIP: ipA}
	want := serialize(t, gp, gopacket.Payload("0123456789"))
	got := IPv4(make([]byte, len(want)))
	copy(got[IPv4MinLen:], "0123456789")
	got.SetHeaderLen(IPv4MinLen)
	got.SetTOS(0x10)
	got.SetTotalLength(uint16(len(want)))
	got.SetID(0xabcd)
	got.SetFlagsFragment(IPv4FlagMF | 0x1ff)
	got.SetTTL(17)
	got.SetProtocol(ProtoICMP)
	got.SetSrc([4]byte(ipB))
	got.SetDst([4]byte(ipA))
	got.SetChecksum(got.CalculateChecksum())
	if diff := cmp.Diff(want, []byte(got)); diff != "" {
		t.Errorf("bytes (-want +got):\n%s", diff)
	}
}

func TestIPv4DecrementTTL(t *testing.T) {
	for ttl := 1; ttl < 256; ttl++ {
		b := IPv4(clone(tcpOptionsFrame(t)[EthernetLen:]))
		b.SetTTL(uint8(ttl))
		b.SetChecksum(b.CalculateChecksum())
		b.DecrementTTL()
		if b.TTL() != uint8(ttl-1) {
			t.Fatalf("TTL %d: after DecrementTTL got %d", ttl, b.TTL())
		}
		if got, want := b.Checksum(), b.CalculateChecksum(); got != want {
			t.Fatalf("TTL %d: checksum %#04x, recomputed %#04x", ttl, got, want)
		}
	}
}

// ipv4FieldsFromGopacket is what gopacket decoded, in our terms. gopacket
// keeps the fragment offset in 8-byte units; the view gives bytes.
func ipv4FieldsFromGopacket(ip *layers.IPv4) ipv4Fields {
	ff := uint16(ip.Flags)<<13 | ip.FragOffset
	return ipv4Fields{Version: ip.Version, IHL: ip.IHL, HeaderLen: int(ip.IHL) * 4, TOS: ip.TOS,
		TotalLength: ip.Length, ID: ip.Id, FlagsFragment: ff, Flags: uint8(ip.Flags),
		DF: ip.Flags&layers.IPv4DontFragment != 0, MF: ip.Flags&layers.IPv4MoreFragments != 0,
		IsFragment: ip.Flags&layers.IPv4MoreFragments != 0 || ip.FragOffset != 0, FragmentOffset: ip.FragOffset * 8,
		TTL: ip.TTL, Protocol: uint8(ip.Protocol), Checksum: ip.Checksum,
		Src: [4]byte(ip.SrcIP), Dst: [4]byte(ip.DstIP),
		SrcAddr: netip.AddrFrom4([4]byte(ip.SrcIP)), DstAddr: netip.AddrFrom4([4]byte(ip.DstIP)),
		Options: ip.Contents[IPv4MinLen:], Payload: ip.Payload}
}

// decodeIPv4 decodes b with gopacket.
func decodeIPv4(b []byte) (*layers.IPv4, error) {
	var ip layers.IPv4
	return &ip, ip.DecodeFromBytes(b, gopacket.NilDecodeFeedback)
}
