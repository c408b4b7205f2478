// IEEE 802.1Q VLAN tag. On the wire it sits between the source MAC address
// and the EtherType; its first two bytes (the TPID, 0x8100 or 0x88a8 for
// 802.1ad) take the place of the EtherType, so the VLAN view starts after
// them, at the Tag Control Information:
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	| PCP |D|       VLAN ID         |       Inner EtherType         |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	 \______ TCI (PCP, DEI, VID) ___/

package header

import "encoding/binary"

// VLANTagLen is the number of bytes an 802.1Q tag adds to a frame (TPID and
// TCI), which is also the length of the VLAN view (TCI and inner EtherType).
const VLANTagLen = 4

// MaxVID is the largest VLAN identifier; 0 means priority-tagged and 4095 is
// reserved.
const MaxVID = 0x0fff

// VLAN is a view of an 802.1Q tag after its TPID: TCI and inner EtherType,
// followed by the payload. Check Valid once before using the accessors.
type VLAN []byte

// Valid reports whether b holds a whole tag.
func (b VLAN) Valid() bool { return len(b) >= VLANTagLen }

// TCI returns the Tag Control Information (PCP, DEI and VID).
func (b VLAN) TCI() uint16 { return binary.BigEndian.Uint16(b[0:2]) }

// VID returns the 12-bit VLAN identifier.
func (b VLAN) VID() uint16 { return b.TCI() & MaxVID }

// PCP returns the 3-bit priority code point.
func (b VLAN) PCP() uint8 { return b[0] >> 5 }

// DEI reports whether the drop eligible indicator is set.
func (b VLAN) DEI() bool { return b[0]&0x10 != 0 }

// Type returns the EtherType of what follows the tag.
func (b VLAN) Type() uint16 { return binary.BigEndian.Uint16(b[2:4]) }

// Payload returns the bytes after the tag.
func (b VLAN) Payload() []byte { return b[VLANTagLen:] }

// SetTCI sets the whole Tag Control Information.
func (b VLAN) SetTCI(tci uint16) { binary.BigEndian.PutUint16(b[0:2], tci) }

// SetVID sets the VLAN identifier (its low 12 bits) and keeps PCP and DEI.
func (b VLAN) SetVID(vid uint16) { b.SetTCI(b.TCI()&^MaxVID | vid&MaxVID) }

// SetPCP sets the priority code point (its low 3 bits) and keeps DEI and VID.
func (b VLAN) SetPCP(pcp uint8) { b[0] = b[0]&0x1f | pcp<<5 }

// SetDEI sets or clears the drop eligible indicator.
func (b VLAN) SetDEI(dei bool) {
	if dei {
		b[0] |= 0x10
	} else {
		b[0] &^= 0x10
	}
}

// SetType sets the inner EtherType.
func (b VLAN) SetType(t uint16) { binary.BigEndian.PutUint16(b[2:4], t) }

// MakeTCI builds a Tag Control Information value from its parts; out-of-range
// bits of pcp and vid are dropped.
func MakeTCI(pcp uint8, dei bool, vid uint16) uint16 {
	tci := uint16(pcp&7)<<13 | vid&MaxVID
	if dei {
		tci |= 0x1000
	}
	return tci
}
