package packet

import (
	"encoding/binary"

	"neutrino/packet/header"
)

// macLen is the length of the two MAC addresses a tag follows.
const macLen = 2 * 6

// PushVLAN inserts an 802.1Q (tpid 0x8100) or 802.1ad (0x88a8) tag after
// the MAC addresses, in the headroom: the addresses move 4 bytes forward.
// Offload offsets, which count from the Ethernet header, move with the
// headers. It reports false, changing nothing, when there is no headroom
// or the frame has no MAC addresses.
func (p *Buffer) PushVLAN(tpid, tci uint16) bool {
	if p.Headroom() < header.VLANTagLen || p.Len() < macLen {
		return false
	}
	p.Push(header.VLANTagLen)
	d := p.Data()
	copy(d[:macLen], d[header.VLANTagLen:macLen+header.VLANTagLen])
	binary.BigEndian.PutUint16(d[macLen:], tpid)
	binary.BigEndian.PutUint16(d[macLen+2:], tci)
	p.shiftOffload(header.VLANTagLen)
	return true
}

// PopVLAN removes the tag after the MAC addresses (the caller knows there
// is one): the addresses move 4 bytes back and the frame starts 4 bytes
// later. Offload offsets move with the headers.
func (p *Buffer) PopVLAN() {
	d := p.Data()
	copy(d[header.VLANTagLen:macLen+header.VLANTagLen], d[:macLen])
	p.Pull(header.VLANTagLen)
	p.shiftOffload(-header.VLANTagLen)
}

// shiftOffload moves the offload offsets when a tag is pushed or popped in
// front of them.
func (p *Buffer) shiftOffload(by int) {
	g := &p.Meta.GSO
	if g.NeedsCsum || g.CsumStart != 0 {
		g.CsumStart = uint16(int(g.CsumStart) + by)
	}
	if g.HdrLen != 0 {
		g.HdrLen = uint16(int(g.HdrLen) + by)
	}
}
