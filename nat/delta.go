package nat

import "encoding/binary"

// delta accumulates how much the ones' complement sum of the data under a
// checksum changes when 16-bit words of it change: ~old + new for each
// word (RFC 1624, eqn. 3). Each word adds less than 2^17, so a uint32
// holds the changes of far more words than a packet has fields to
// translate; folding happens once, when the delta is applied.
type delta uint32

// word adds the change of one 16-bit word from old to new; nothing when
// the word keeps its value.
func (d *delta) word(old, new uint16) {
	if old != new {
		*d += delta(^old) + delta(new)
	}
}

// addr adds the change of an IPv4 address from old to new, as its two
// words. A word that keeps its value adds ~w + w = 0xffff, a zero of
// ones' complement: harmless once the address changes at all.
func (d *delta) addr(old, new uint32) {
	if old != new {
		*d += delta(^old>>16) + delta(^old&0xffff) + delta(new>>16) + delta(new&0xffff)
	}
}

// apply returns checksum field hc, the complement of a sum, patched by d.
// A canonical hc (one a full computation gives) stays canonical.
func (d delta) apply(hc uint16) uint16 {
	return ^fold(uint32(^hc) + uint32(d))
}

// applySum returns s, a sum that is not complemented (the pseudo-header
// sum a partial checksum field holds), patched by d.
func (d delta) applySum(s uint16) uint16 {
	return fold(uint32(s) + uint32(d))
}

// fold adds the carries of a 32-bit sum back into its low 16 bits. The
// result is 0 only when s is.
func fold(s uint32) uint16 {
	s = s&0xffff + s>>16 // at most 0x1fffe
	s = s&0xffff + s>>16 // at most 0xffff
	return uint16(s)
}

// set16 writes v as the big-endian word at b[0:2] and adds the change to
// d; it writes nothing when the word already holds v.
func set16(b []byte, v uint16, d *delta) {
	old := binary.BigEndian.Uint16(b)
	if old != v {
		binary.BigEndian.PutUint16(b, v)
		d.word(old, v)
	}
}

// setAddr writes address v at b[0:4] and adds the change to d; it writes
// nothing when the address is already v.
func setAddr(b []byte, v [4]byte, d *delta) {
	old, nw := binary.BigEndian.Uint32(b[:4]), binary.BigEndian.Uint32(v[:])
	if old != nw {
		binary.BigEndian.PutUint32(b[:4], nw)
		d.addr(old, nw)
	}
}
