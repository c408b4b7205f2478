package afpacket

import (
	"encoding/binary"

	"neutrino/packet"
	"neutrino/packet/header"
)

// insertTag puts an 802.1Q (or 802.1ad, by tpid) tag back into a frame
// whose tag the kernel moved out: 4 bytes are pushed into the headroom and
// the MAC addresses moved forward over them. Offsets in the GSO metadata
// move with the headers. It reports false, leaving the frame alone, when
// there is no headroom or the frame has no MAC addresses.
func insertTag(b *packet.Buffer, tpid, tci uint16) bool {
	if b.Headroom() < header.VLANTagLen || b.Len() < 12 {
		return false
	}
	b.Push(header.VLANTagLen)
	f := b.Data()
	copy(f[0:12], f[header.VLANTagLen:12+header.VLANTagLen])
	binary.BigEndian.PutUint16(f[12:], tpid)
	binary.BigEndian.PutUint16(f[14:], tci)
	g := &b.Meta.GSO
	if g.NeedsCsum || g.CsumStart != 0 {
		g.CsumStart += header.VLANTagLen
	}
	if g.HdrLen != 0 {
		g.HdrLen += header.VLANTagLen
	}
	return true
}
