package packet

import (
	"encoding/binary"

	"neutrino/packet/header"
)

// CompleteChecksum finishes the partial L4 checksum of a frame that is not
// a super-frame, for an egress that cannot take CapCsumPartial: it folds
// the ones' complement sum of Data()[CsumStart:] (whose checksum field
// already holds the pseudo-header sum, as the kernel leaves it) into the
// field at CsumStart+CsumOffset, then clears NeedsCsum and sets DataValid.
// As Linux does (skb_checksum_help), a result of zero is stored as 0xffff,
// which keeps a UDP checksum from reading as "none".
//
// A frame without NeedsCsum is left alone. A super-frame gives
// ErrSegmentGSOType (Segment completes the checksums of its segments);
// offsets outside the frame give ErrChecksumOffset. It allocates nothing.
func CompleteChecksum(b *Buffer) error {
	if b == nil {
		return ErrChecksumOffset
	}
	g := &b.Meta.GSO
	if !g.NeedsCsum {
		return nil
	}
	if g.IsGSO() {
		return ErrSegmentGSOType
	}
	d := b.Data()
	start := int(g.CsumStart)
	field := start + int(g.CsumOffset)
	if field+2 > len(d) {
		return ErrChecksumOffset
	}
	c := ^header.Checksum(d[start:], 0)
	if c == 0 {
		c = 0xffff
	}
	binary.BigEndian.PutUint16(d[field:], c)
	g.NeedsCsum = false
	g.DataValid = true
	return nil
}
