package nat

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"neutrino/packet/header"
)

// edges are the word values where ones' complement arithmetic carries or
// meets its two zeros.
var edges = []uint16{0, 1, 2, 0x7fff, 0x8000, 0xfffe, 0xffff}

// TestDeltaEdges: patching for one or two changed words agrees with the
// header package's RFC 1624 update, word by word, on every combination of
// edge values.
func TestDeltaEdges(t *testing.T) {
	for _, hc := range edges {
		for _, o1 := range edges {
			for _, n1 := range edges {
				var d delta
				d.word(o1, n1)
				want := header.ChecksumUpdate16(hc, o1, n1)
				if o1 == n1 {
					want = hc
				}
				if got := d.apply(hc); got != want {
					t.Fatalf("hc %#x, %#x -> %#x: %#x, want %#x", hc, o1, n1, got, want)
				}
				for _, o2 := range edges {
					for _, n2 := range edges {
						d2 := d
						d2.word(o2, n2)
						w2 := want
						if o2 != n2 {
							w2 = header.ChecksumUpdate16(want, o2, n2)
						}
						if got := d2.apply(hc); got != w2 && (o1 != n1 || o2 != n2) {
							t.Fatalf("hc %#x, %#x -> %#x, %#x -> %#x: %#x, want %#x", hc, o1, n1, o2, n2, got, w2)
						}
					}
				}
			}
		}
	}
}

// TestDeltaRecompute: a header checksum patched for random changes of
// random words equals the checksum computed again.
func TestDeltaRecompute(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, header.IPv4MinLen)
	for i := 0; i < 50000; i++ {
		for j := range b {
			b[j] = byte(r.Uint32())
			if r.IntN(4) == 0 {
				b[j] = 0xff // runs of ones make carries
			}
		}
		b[0] = 0x45
		ip := header.IPv4(b)
		ip.SetChecksum(ip.CalculateChecksum())
		var d delta
		for n := r.IntN(5); n >= 0; n-- {
			w := 2 + 2*r.IntN(9) // not version and length, which say where the header ends
			if w == 10 {
				continue // the checksum itself
			}
			v := uint16(r.Uint32())
			if r.IntN(3) == 0 {
				v = edges[r.IntN(len(edges))]
			}
			set16(b[w:], v, &d)
		}
		if got, want := d.apply(ip.Checksum()), ip.CalculateChecksum(); got != want {
			t.Fatalf("header % x: patched %#04x, computed %#04x", b, got, want)
		}
	}
}

// TestDeltaSum: a partial (uncomplemented) sum patched for an address
// change equals the pseudo-header sum of the new address.
func TestDeltaSum(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 100000; i++ {
		var src, dst, to [4]byte
		binary.BigEndian.PutUint32(src[:], r.Uint32())
		binary.BigEndian.PutUint32(dst[:], r.Uint32())
		binary.BigEndian.PutUint32(to[:], r.Uint32())
		n := uint16(r.Uint32())
		var d delta
		d.addr(binary.BigEndian.Uint32(src[:]), binary.BigEndian.Uint32(to[:]))
		got := d.applySum(header.PseudoHeaderChecksum(header.ProtoTCP, src, dst, n))
		if want := header.PseudoHeaderChecksum(header.ProtoTCP, to, dst, n); got != want {
			t.Fatalf("%v -> %v: %#04x, want %#04x", src, to, got, want)
		}
	}
}
