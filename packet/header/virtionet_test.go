package header

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// virtioNetFields is everything the VirtioNet view reports, laid out as
// struct virtio_net_hdr so that encoding/binary can decode it too.
type virtioNetFields struct {
	Flags, GSOType                         uint8
	HdrLen, GSOSize, CsumStart, CsumOffset uint16
}

func virtioNetFieldsOf(b VirtioNet) virtioNetFields {
	return virtioNetFields{Flags: b.Flags(), GSOType: b.GSOType(), HdrLen: b.HdrLen(), GSOSize: b.GSOSize(),
		CsumStart: b.CsumStart(), CsumOffset: b.CsumOffset()}
}

// virtioNetFieldsFromBinary decodes b with encoding/binary, little-endian.
func virtioNetFieldsFromBinary(b []byte) (virtioNetFields, error) {
	var f virtioNetFields
	err := binary.Read(bytes.NewReader(b), binary.LittleEndian, &f)
	return f, err
}

func TestVirtioNet(t *testing.T) {
	// What Linux hands over for a TSO super-frame from a TAP device: NEEDS_CSUM,
	// TCPv4, 66 header bytes (Ethernet, IPv4, TCP with timestamps), MSS 1448,
	// checksum from byte 34 (the TCP header), field at offset 16 in it.
	tso := []byte{0x01, 0x01, 0x42, 0x00, 0xa8, 0x05, 0x22, 0x00, 0x10, 0x00, 0xaa}
	tests := []struct {
		name  string
		b     []byte
		valid bool
		want  virtioNetFields
	}{
		{"tso", tso, true, virtioNetFields{Flags: VirtioNetFlagNeedsCsum, GSOType: VirtioNetGSOTCPv4,
			HdrLen: 66, GSOSize: 1448, CsumStart: 34, CsumOffset: 16}},
		{"data valid ecn", []byte{2, 0x84, 0, 1, 2, 3, 4, 5, 6, 7}, true, virtioNetFields{
			Flags: VirtioNetFlagDataValid, GSOType: VirtioNetGSOTCPv6 | VirtioNetGSOECN,
			HdrLen: 0x100, GSOSize: 0x302, CsumStart: 0x504, CsumOffset: 0x706}},
		{"9 bytes", tso[:9], false, virtioNetFields{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := VirtioNet(tt.b)
			if got := b.Valid(); got != tt.valid {
				t.Fatalf("Valid() = %v, want %v", got, tt.valid)
			}
			if !tt.valid {
				return
			}
			if diff := cmp.Diff(tt.want, virtioNetFieldsOf(b)); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.b[VirtioNetLen:], b.Payload()); diff != "" {
				t.Errorf("payload (-want +got):\n%s", diff)
			}
		})
	}
}

func TestVirtioNetSetters(t *testing.T) {
	want := []byte{0x01, 0x03, 0x2a, 0x00, 0xc8, 0x05, 0x22, 0x00, 0x06, 0x00}
	got := VirtioNet(make([]byte, VirtioNetLen))
	got.SetFlags(VirtioNetFlagNeedsCsum)
	got.SetGSOType(VirtioNetGSOUDP)
	got.SetHdrLen(42)
	got.SetGSOSize(1480)
	got.SetCsumStart(34)
	got.SetCsumOffset(6)
	if diff := cmp.Diff(want, []byte(got)); diff != "" {
		t.Errorf("bytes (-want +got):\n%s", diff)
	}
}
