package header

import (
	"math/bits"

	"golang.org/x/sys/cpu"
)

// useAVX2 is whether sumLE hands long buffers to sumAVX2.
var useAVX2 = cpu.X86.HasAVX2

// maxAVX2Chunk is the most sumAVX2 takes in one call (see its overflow
// bound).
const maxAVX2Chunk = 4096 * 64

// sumAVX2 adds b's little-endian 16-bit words; len(b) is a multiple of 64
// and at most maxAVX2Chunk. Implemented in checksum_amd64.s.
//
//go:noescape
func sumAVX2(b []byte) uint64

// sumWide returns the sum of the longest prefix of b that sumAVX2 takes
// (whole 64-byte blocks) as a 64-bit ones' complement partial sum, and the
// rest of b. sumLE calls it only for buffers long enough to gain from it.
func sumWide(b []byte) (uint64, []byte) {
	var s, c uint64
	for len(b) >= 64 {
		n := min(len(b)&^63, maxAVX2Chunk)
		s, c = bits.Add64(s, sumAVX2(b[:n]), c)
		b = b[n:]
	}
	return s + c, b
}

// copySumAVX2 is sumAVX2 over src that also copies src into dst, which is
// at least as long. Implemented in checksum_amd64.s.
//
//go:noescape
func copySumAVX2(dst, src []byte) uint64

// copySumWide copies the longest prefix of src that copySumAVX2 takes into
// dst and returns its sum as sumWide does, with what is left of dst and src.
func copySumWide(dst, src []byte) (uint64, []byte, []byte) {
	var s, c uint64
	for len(src) >= 64 {
		n := min(len(src)&^63, maxAVX2Chunk)
		s, c = bits.Add64(s, copySumAVX2(dst[:n], src[:n]), c)
		dst, src = dst[n:], src[n:]
	}
	return s + c, dst, src
}
