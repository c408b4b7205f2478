// The Internet checksum (RFC 1071) is the 16-bit ones' complement of the
// ones' complement sum of the data taken as big-endian 16-bit words, an odd
// last byte padded with zero. TCP and UDP add a pseudo-header (RFC 9293
// section 3.1, RFC 768):
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                       Source Address                          |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                    Destination Address                        |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|     zero      |    Protocol   |     TCP/UDP Length            |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// A field that changes from m to m' is patched without summing the data
// again (RFC 1624, eqn. 3): HC' = ~(~HC + ~m + m').

package header

import (
	"encoding/binary"
	"math/bits"
)

// Checksum returns the ones' complement sum of b (not complemented), added
// to initial. To sum a message in pieces, pass each piece's result as the
// next piece's initial; every piece but the last must have an even length.
func Checksum(b []byte, initial uint16) uint16 {
	return ChecksumCombine(bits.ReverseBytes16(Fold(sumLE(b))), initial)
}

// CopyChecksum copies src into dst, which must be at least as long, and
// returns Checksum(src, initial): one pass over the data where the machine
// has a vector unit, instead of a copy and a sum.
func CopyChecksum(dst, src []byte, initial uint16) uint16 {
	dst = dst[:len(src)] // panics, as copy would not, when dst is short
	var s uint64
	if useAVX2 && len(src) >= 512 {
		var c uint64
		w, d, r := copySumWide(dst, src)
		copy(d, r)
		s, c = bits.Add64(w, sumLE(r), 0)
		s += c
	} else {
		copy(dst, src)
		s = sumLE(src)
	}
	return ChecksumCombine(bits.ReverseBytes16(Fold(s)), initial)
}

// sumLE adds b as little-endian 64-bit words with end-around carry. Ones'
// complement addition does not care about byte order except that the result
// comes out byte-swapped, which Checksum undoes once at the end; loading
// little-endian saves a byte swap per word on the machines we run on.
func sumLE(b []byte) uint64 {
	// Long buffers go to a vector loop first where the machine has one
	// (checksum_amd64.s): about 2.5 times the rate of the loop below.
	var s, c uint64
	if useAVX2 && len(b) >= 512 {
		s, b = sumWide(b)
	}
	for len(b) >= 64 {
		w := b[:64]
		s, c = bits.Add64(s, binary.LittleEndian.Uint64(w[0:8]), c)
		s, c = bits.Add64(s, binary.LittleEndian.Uint64(w[8:16]), c)
		s, c = bits.Add64(s, binary.LittleEndian.Uint64(w[16:24]), c)
		s, c = bits.Add64(s, binary.LittleEndian.Uint64(w[24:32]), c)
		s, c = bits.Add64(s, binary.LittleEndian.Uint64(w[32:40]), c)
		s, c = bits.Add64(s, binary.LittleEndian.Uint64(w[40:48]), c)
		s, c = bits.Add64(s, binary.LittleEndian.Uint64(w[48:56]), c)
		s, c = bits.Add64(s, binary.LittleEndian.Uint64(w[56:64]), c)
		b = b[64:]
	}
	for len(b) >= 8 {
		s, c = bits.Add64(s, binary.LittleEndian.Uint64(b), c)
		b = b[8:]
	}
	var t uint64 // at most 7 bytes: no carry out of t
	if len(b) >= 4 {
		t = uint64(binary.LittleEndian.Uint32(b))
		b = b[4:]
	}
	if len(b) >= 2 {
		t += uint64(binary.LittleEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		t += uint64(b[0])
	}
	s, c = bits.Add64(s, t, c)
	s, c = bits.Add64(s, 0, c)
	return s + c // s is 0 if c is 1 here: no carry out
}

// Fold reduces a 64-bit ones' complement sum to 16 bits. The result is 0
// only when s is 0.
func Fold(s uint64) uint16 {
	s = s&0xffffffff + s>>32 // < 2^33
	s = s&0xffff + s>>16     // < 2^17 + 2^16
	s = s&0xffff + s>>16     // <= 0xffff + 2
	s = s&0xffff + s>>16     // <= 0xffff
	return uint16(s)
}

// ChecksumCombine adds two ones' complement sums.
func ChecksumCombine(a, b uint16) uint16 {
	s := uint32(a) + uint32(b)
	return uint16(s + s>>16)
}

// PseudoHeaderChecksum returns the ones' complement sum of the IPv4
// pseudo-header: source and destination address, protocol, and the length
// of the TCP or UDP header and data.
func PseudoHeaderChecksum(proto uint8, src, dst [4]byte, length uint16) uint16 {
	s := uint64(binary.BigEndian.Uint16(src[0:2])) + uint64(binary.BigEndian.Uint16(src[2:4])) +
		uint64(binary.BigEndian.Uint16(dst[0:2])) + uint64(binary.BigEndian.Uint16(dst[2:4])) +
		uint64(proto) + uint64(length)
	return Fold(s)
}

// ChecksumUpdate16 returns checksum field hc patched for a 16-bit word of
// the covered data changing from old to new (RFC 1624). The word must sit at
// an even offset of the covered data (true of every header field we patch).
// For a partial checksum (virtio NEEDS_CSUM), which holds the pseudo-header
// sum itself rather than its complement, use ^ChecksumUpdate16(^hc, old,
// new). A UDP checksum of 0 means "none" and must be left alone.
func ChecksumUpdate16(hc, old, new uint16) uint16 {
	return ^ChecksumCombine(ChecksumCombine(^hc, ^old), new)
}

// ChecksumUpdate32 is ChecksumUpdate16 for a 32-bit field at an even offset,
// such as a TCP sequence number.
func ChecksumUpdate32(hc uint16, old, new uint32) uint16 {
	s := ChecksumCombine(^hc, ^uint16(old>>16))
	s = ChecksumCombine(s, ^uint16(old))
	s = ChecksumCombine(s, uint16(new>>16))
	return ^ChecksumCombine(s, uint16(new))
}

// ChecksumUpdateAddr is ChecksumUpdate32 for an IPv4 address: in the IPv4
// header checksum, or in a TCP or UDP checksum through the pseudo-header
// (NAT changes both).
func ChecksumUpdateAddr(hc uint16, old, new [4]byte) uint16 {
	return ChecksumUpdate32(hc, binary.BigEndian.Uint32(old[:]), binary.BigEndian.Uint32(new[:]))
}

// CalculateChecksum returns the header checksum of b, the checksum field
// taken as zero. b must be Valid.
func (b IPv4) CalculateChecksum() uint16 {
	return ^Checksum(b[12:b.HeaderLen()], Checksum(b[0:10], 0))
}

// ChecksumValid reports whether the header checksum of b is right. b must be
// Valid. A header without options (every router hop checks one) is summed
// as five 32-bit words, without the general loop.
func (b IPv4) ChecksumValid() bool {
	if b[0]&0x0f == 5 && len(b) >= IPv4MinLen {
		h := b[:IPv4MinLen]
		s := uint64(binary.LittleEndian.Uint32(h[0:4])) + uint64(binary.LittleEndian.Uint32(h[4:8])) +
			uint64(binary.LittleEndian.Uint32(h[8:12])) + uint64(binary.LittleEndian.Uint32(h[12:16])) +
			uint64(binary.LittleEndian.Uint32(h[16:20]))
		return Fold(s) == 0xffff
	}
	return Checksum(b[:b.HeaderLen()], 0) == 0xffff
}

// CalculateChecksum returns the TCP checksum of the segment b (all of it,
// so slice b to the end of the IP datagram) for the given addresses, the
// checksum field taken as zero. b must be Valid and shorter than 64 KiB.
func (b TCP) CalculateChecksum(src, dst [4]byte) uint16 {
	s := PseudoHeaderChecksum(ProtoTCP, src, dst, uint16(len(b)))
	return ^Checksum(b[18:], Checksum(b[:16], s))
}

// ChecksumValid reports whether the TCP checksum of the segment b is right.
func (b TCP) ChecksumValid(src, dst [4]byte) bool {
	return Checksum(b, PseudoHeaderChecksum(ProtoTCP, src, dst, uint16(len(b)))) == 0xffff
}

// CalculateChecksum returns the UDP checksum of b up to its Length field
// for the given addresses, the checksum field taken as zero; a result of
// zero is returned as 0xffff, as RFC 768 wants it sent. b must be Valid.
func (b UDP) CalculateChecksum(src, dst [4]byte) uint16 {
	n := b.Length()
	s := PseudoHeaderChecksum(ProtoUDP, src, dst, n)
	c := ^Checksum(b[8:n], Checksum(b[:6], s))
	if c == 0 {
		return 0xffff
	}
	return c
}

// ChecksumValid reports whether the UDP checksum of b is right or absent
// (zero). b must be Valid.
func (b UDP) ChecksumValid(src, dst [4]byte) bool {
	if b.Checksum() == 0 {
		return true
	}
	n := b.Length()
	return Checksum(b[:n], PseudoHeaderChecksum(ProtoUDP, src, dst, n)) == 0xffff
}

// CalculateChecksum returns the ICMPv4 checksum of the message b (all of
// it, so slice b to the end of the IP datagram), the checksum field taken as
// zero. b must be Valid.
func (b ICMPv4) CalculateChecksum() uint16 {
	return ^Checksum(b[4:], Checksum(b[:2], 0))
}

// ChecksumValid reports whether the ICMPv4 checksum of b is right.
func (b ICMPv4) ChecksumValid() bool { return Checksum(b, 0) == 0xffff }
