package header

import (
	"math/rand/v2"
	"testing"
)

// The scalar loop and the vector one agree on long buffers, which the
// vector one otherwise always takes on this machine.
func TestChecksumScalarAndVector(t *testing.T) {
	if !useAVX2 {
		t.Skip("no AVX2 here: only the scalar loop runs")
	}
	r := rand.New(rand.NewPCG(5, 6))
	buf := make([]byte, 300000)
	for i := range buf {
		buf[i] = byte(r.Uint32())
	}
	defer func() { useAVX2 = true }()
	for _, n := range []int{512, 1448, 9000, 65535, 4096*64 + 17, 300000} {
		for off := 0; off < 4; off++ {
			b := buf[off : off+n-off]
			useAVX2 = true
			vec := Checksum(b, 0x1234)
			useAVX2 = false
			if scalar := Checksum(b, 0x1234); vec != scalar {
				t.Fatalf("len %d offset %d: vector %#04x, scalar %#04x", len(b), off, vec, scalar)
			}
		}
	}
}
