package datapath

import (
	"encoding/binary"

	"neutrino/packet"
	"neutrino/packet/header"
)

// popTag removes the 802.1Q tag after the MAC addresses in place: the 12
// address bytes move 4 bytes up and the frame starts 4 bytes later.
func popTag(b *packet.Buffer) {
	d := b.Data()
	copy(d[header.VLANTagLen:2*6+header.VLANTagLen], d[:2*6])
	b.Pull(header.VLANTagLen)
	shiftOffload(b, -header.VLANTagLen)
}

// shiftOffload moves the offload offsets, which count from the Ethernet
// header, when a tag is pushed or popped in front of them.
func shiftOffload(b *packet.Buffer, by int) {
	g := &b.Meta.GSO
	if g.NeedsCsum || g.IsGSO() {
		g.CsumStart = uint16(int(g.CsumStart) + by)
		g.HdrLen = uint16(int(g.HdrLen) + by)
	}
}

// pushTag inserts an 802.1Q tag with the given VLAN id after the MAC
// addresses, using the buffer's headroom.
func pushTag(b *packet.Buffer, vid uint16) {
	b.Push(header.VLANTagLen)
	d := b.Data()
	copy(d[:2*6], d[header.VLANTagLen:2*6+header.VLANTagLen])
	binary.BigEndian.PutUint16(d[12:14], header.EtherTypeVLAN)
	binary.BigEndian.PutUint16(d[14:16], vid&0x0fff)
	shiftOffload(b, header.VLANTagLen)
}
