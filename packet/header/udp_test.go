package header

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// udpFields is everything the UDP view reports.
type udpFields struct {
	SrcPort, DstPort, Length, Checksum uint16
	Payload                            []byte
}

func udpFieldsOf(b UDP) udpFields {
	return udpFields{SrcPort: b.SrcPort(), DstPort: b.DstPort(), Length: b.Length(), Checksum: b.Checksum(),
		Payload: b.Payload()}
}

func TestUDP(t *testing.T) {
	dns := udpFrame(t)[EthernetLen+IPv4MinLen:]
	with := func(f func(b UDP)) []byte { b := UDP(clone(dns)); f(b); return b }
	tests := []struct {
		name string
		dgm  []byte
		want Malformed
		f    udpFields
	}{
		{"dns", dns, OK, udpFields{SrcPort: 53000, DstPort: 53, Length: uint16(len(dns)),
			Checksum: UDP(dns).Checksum(), Payload: dns[8:]}},
		{"trailing bytes", append(clone(dns), 0, 0), OK, udpFields{SrcPort: 53000, DstPort: 53,
			Length: uint16(len(dns)), Checksum: UDP(dns).Checksum(), Payload: dns[8:]}},
		{"empty payload", with(func(b UDP) { b.SetLength(8) }), OK, udpFields{SrcPort: 53000, DstPort: 53, Length: 8,
			Checksum: UDP(dns).Checksum(), Payload: []byte{}}},
		{"7 bytes", dns[:7], TruncatedUDP, udpFields{}},
		{"length 7", with(func(b UDP) { b.SetLength(7) }), TruncatedUDP, udpFields{}},
		{"length 0", with(func(b UDP) { b.SetLength(0) }), TruncatedUDP, udpFields{}},
		{"length past the end", dns[:len(dns)-1], TruncatedUDP, udpFields{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := UDP(tt.dgm)
			if got := b.Check(); got != tt.want {
				t.Fatalf("Check() = %v, want %v", got, tt.want)
			}
			if got := b.Valid(); got != (tt.want == OK) {
				t.Fatalf("Valid() = %v, want %v", got, tt.want == OK)
			}
			if tt.want != OK {
				return
			}
			if diff := cmp.Diff(tt.f, udpFieldsOf(b)); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUDPSetters(t *testing.T) {
	ip := ip4Layer(layers.IPProtocolUDP)
	want := serialize(t, udpLayer(ip, 68, 67), gopacket.Payload("dhcp"))
	got := UDP(make([]byte, len(want)))
	copy(got[UDPLen:], "dhcp")
	got.SetSrcPort(68)
	got.SetDstPort(67)
	got.SetLength(uint16(len(want)))
	got.SetChecksum(got.CalculateChecksum([4]byte(ipA), [4]byte(ipB)))
	if diff := cmp.Diff(want, []byte(got)); diff != "" {
		t.Errorf("bytes (-want +got):\n%s", diff)
	}
	if !got.ChecksumValid([4]byte(ipA), [4]byte(ipB)) {
		t.Errorf("ChecksumValid() = false")
	}
	if got.ChecksumValid([4]byte{10, 0, 0, 9}, [4]byte(ipB)) {
		t.Errorf("ChecksumValid() = true for another source address")
	}
	got.SetChecksum(0)
	if !got.ChecksumValid([4]byte{1, 2, 3, 4}, [4]byte{5, 6, 7, 8}) {
		t.Errorf("ChecksumValid() = false for checksum 0 (none)")
	}
}

// TestUDPChecksumZero: a computed checksum of 0 goes out as 0xffff.
func TestUDPChecksumZero(t *testing.T) {
	b := UDP(make([]byte, 10))
	b.SetLength(10)
	src, dst := [4]byte{0, 0, 0, 0}, [4]byte{0, 0, 0, 0}
	// Choose the two payload bytes so that the sum is 0xffff.
	s := ^Checksum(b, PseudoHeaderChecksum(ProtoUDP, src, dst, 10))
	b[8], b[9] = byte(s>>8), byte(s)
	if got := b.CalculateChecksum(src, dst); got != 0xffff {
		t.Fatalf("CalculateChecksum() = %#04x, want 0xffff", got)
	}
	b.SetChecksum(0xffff)
	if !b.ChecksumValid(src, dst) {
		t.Errorf("ChecksumValid() = false for 0xffff")
	}
}

// udpFieldsFromGopacket is what gopacket decoded, in our terms.
func udpFieldsFromGopacket(u *layers.UDP) udpFields {
	return udpFields{SrcPort: uint16(u.SrcPort), DstPort: uint16(u.DstPort), Length: u.Length,
		Checksum: u.Checksum, Payload: u.Payload}
}

// decodeUDP decodes b with gopacket.
func decodeUDP(b []byte) (*layers.UDP, error) {
	var u layers.UDP
	return &u, u.DecodeFromBytes(b, gopacket.NilDecodeFeedback)
}
