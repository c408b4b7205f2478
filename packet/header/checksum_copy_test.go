package header

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
)

// CopyChecksum copies exactly src and sums it as naiveChecksum does, for
// every length up to 330 bytes, the vector loop's thresholds and chunk
// size, unaligned sources and destinations, and all-0xff data.
func TestCopyChecksum(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	src := make([]byte, 3*4096*64+100)
	for i := range src {
		src[i] = byte(r.Uint32())
	}
	ones := bytes.Repeat([]byte{0xff}, 70000)
	dst := make([]byte, len(src)+16)
	lengths := []int{511, 512, 513, 575, 576, 1023, 1398, 1500, 9000, 65535,
		4096*64 - 1, 4096 * 64, 4096*64 + 1, 4096*64 + 63, 4096*64 + 64, 3*4096*64 + 91}
	for n := 0; n <= 330; n++ {
		lengths = append(lengths, n)
	}
	for _, n := range lengths {
		for off := 0; off < 4; off++ {
			for doff := 0; doff < 3; doff++ {
				for i := range dst {
					dst[i] = 0xa5
				}
				s := src[off : off+n]
				initial := uint16(r.Uint32())
				got := CopyChecksum(dst[doff:], s, initial)
				if want := naiveChecksum(s, initial); got != want {
					t.Fatalf("len %d offsets %d/%d initial %#04x: CopyChecksum %#04x, naive %#04x", n, off, doff, initial, got, want)
				}
				if !bytes.Equal(dst[doff:doff+n], s) {
					t.Fatalf("len %d offsets %d/%d: the copy differs from the source", n, off, doff)
				}
				if !allBytes(dst[:doff], 0xa5) || !allBytes(dst[doff+n:], 0xa5) {
					t.Fatalf("len %d offsets %d/%d: bytes outside the copy changed", n, off, doff)
				}
			}
		}
	}
	for _, n := range []int{0, 1, 511, 512, 4099, 65535, 70000} {
		if got, want := CopyChecksum(dst, ones[:n], 0xffff), naiveChecksum(ones[:n], 0xffff); got != want {
			t.Fatalf("0xff * %d: CopyChecksum %#04x, naive %#04x", n, got, want)
		}
	}
}

// A destination shorter than the source is a programming error: it
// panics before anything is written.
func TestCopyChecksumShortDestination(t *testing.T) {
	dst := make([]byte, 600)
	defer func() {
		if recover() == nil {
			t.Fatal("no panic for a destination shorter than the source")
		}
		if !allBytes(dst, 0) {
			t.Fatal("the destination was written")
		}
	}()
	CopyChecksum(dst, bytes.Repeat([]byte{1}, 601), 0)
}

// allBytes reports whether every byte of b is c.
func allBytes(b []byte, c byte) bool {
	for _, x := range b {
		if x != c {
			return false
		}
	}
	return true
}

func FuzzCopyChecksum(f *testing.F) {
	f.Add(make([]byte, 700), uint16(0xffff), uint8(3))
	f.Fuzz(func(t *testing.T, b []byte, initial uint16, off uint8) {
		b = b[min(int(off)%8, len(b)):]
		dst := make([]byte, len(b)+int(off)%5)
		d := dst[int(off)%5:]
		if got, want := CopyChecksum(d, b, initial), naiveChecksum(b, initial); got != want {
			t.Fatalf("len %d initial %#04x: CopyChecksum %#04x, naive %#04x", len(b), initial, got, want)
		}
		if !bytes.Equal(d, b) {
			t.Fatalf("len %d: the copy differs", len(b))
		}
	})
}

// BenchmarkCopyChecksum/fused against BenchmarkCopyChecksum/separate: a
// 1398-byte segment (the MSS at MTU 1450) copied and summed, in one pass
// or as copy then Checksum.
func BenchmarkCopyChecksum(b *testing.B) {
	for _, n := range []int{1398, 65535} {
		src := make([]byte, n)
		for i := range src {
			src[i] = byte(i)
		}
		dst := make([]byte, n)
		b.Run(fmt.Sprintf("fused/%d", n), func(b *testing.B) {
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				sink = CopyChecksum(dst, src, 0)
			}
		})
		b.Run(fmt.Sprintf("separate/%d", n), func(b *testing.B) {
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				copy(dst, src)
				sink = Checksum(src, 0)
			}
		})
	}
}
