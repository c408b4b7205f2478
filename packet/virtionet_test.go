package packet

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"neutrino/packet/header"
)

func TestVirtioNetRoundTrip(t *testing.T) {
	for _, g := range []GSO{
		{},
		{NeedsCsum: true, CsumStart: 34, CsumOffset: 16},
		{DataValid: true},
		{Type: GSOTCPv4 | GSOECN, NeedsCsum: true, HdrLen: 66, Size: 1448, CsumStart: 34, CsumOffset: 16},
		{Type: GSOTCPv6, NeedsCsum: true, HdrLen: 86, Size: 1428, CsumStart: 58, CsumOffset: 16},
	} {
		var h [header.VirtioNetLen]byte
		g.EncodeVirtioNet(h[:])
		var got GSO
		got.DecodeVirtioNet(header.VirtioNet(h[:]))
		if diff := cmp.Diff(g, got); diff != "" {
			t.Errorf("round trip (-want +got):\n%s", diff)
		}
	}
	// The wire layout: flags, type, then little-endian hdr_len, gso_size,
	// csum_start, csum_offset.
	var h [header.VirtioNetLen]byte
	(&GSO{Type: GSOTCPv4, NeedsCsum: true, HdrLen: 0x0102, Size: 0x0304, CsumStart: 0x0506, CsumOffset: 0x0708}).EncodeVirtioNet(h[:])
	want := [header.VirtioNetLen]byte{1, 1, 2, 1, 4, 3, 6, 5, 8, 7}
	if h != want {
		t.Fatalf("encoded % x, want % x", h, want)
	}
}
