package tap

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"neutrino/packet"
	"neutrino/packet/header"
)

func TestVnetRoundTrip(t *testing.T) {
	for _, g := range []packet.GSO{
		{},
		{NeedsCsum: true, CsumStart: 34, CsumOffset: 16},
		{DataValid: true},
		{Type: packet.GSOTCPv4 | packet.GSOECN, NeedsCsum: true, HdrLen: 66, Size: 1448, CsumStart: 34, CsumOffset: 16},
		{Type: packet.GSOTCPv6, NeedsCsum: true, HdrLen: 86, Size: 1428, CsumStart: 58, CsumOffset: 16},
	} {
		var h [vnetLen]byte
		encodeVnet(h[:], &g)
		var got packet.GSO
		decodeVnet(header.VirtioNet(h[:]), &got)
		if diff := cmp.Diff(g, got); diff != "" {
			t.Errorf("round trip (-want +got):\n%s", diff)
		}
	}
	// The wire layout: flags, type, then little-endian hdr_len, gso_size,
	// csum_start, csum_offset.
	var h [vnetLen]byte
	encodeVnet(h[:], &packet.GSO{Type: packet.GSOTCPv4, NeedsCsum: true, HdrLen: 0x0102, Size: 0x0304, CsumStart: 0x0506, CsumOffset: 0x0708})
	want := [vnetLen]byte{1, 1, 2, 1, 4, 3, 6, 5, 8, 7}
	if h != want {
		t.Fatalf("encoded % x, want % x", h, want)
	}
}
