package packet

import (
	"bytes"
	"testing"

	"neutrino/packet/header"
)

// tcpChecksumOK reports whether frame f, a TCP/IPv4 frame, has a right TCP
// checksum, summed without the code under test's shortcuts.
func tcpChecksumOK(f []byte) bool {
	ip := f[14:34]
	t := f[34:]
	ps := header.PseudoHeaderChecksum(header.ProtoTCP, [4]byte(ip[12:16]), [4]byte(ip[16:20]), uint16(len(t)))
	return header.Checksum(t, ps) == 0xffff
}

// FuzzCoalesce changes bytes of five segments of one flow (each change
// with or without the checksums fixed after it) and runs them through the
// Coalescer. Whatever comes out: a frame marked verified (a lone segment
// with DataValid, or a super-frame) holds only segments whose checksums
// were right, a super-frame cut again gives back its segments (but for
// the IPv4 id and header checksum, which a sender with a fixed id leaves
// alone and Segment numbers), gopacket decodes it, and a frame passed on
// unverified is its segment unchanged.
func FuzzCoalesce(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{2, 100, 1, 0})                  // a payload byte of segment 2
	f.Add([]byte{1, 47, 0x08, 1})                // PSH in the middle, fixed
	f.Add([]byte{3, 19, 0xff, 1})                // an IPv4 id that skips
	f.Add([]byte{0, 66, 0x01, 1, 4, 5, 0x20, 0}) // two changes
	f.Fuzz(func(t *testing.T, changes []byte) {
		segs := segmentsOf(t, superFrameSpec{payload: 5 * 120}, 120)
		for len(changes) >= 4 {
			s := segs[int(changes[0])%len(segs)]
			s[int(changes[1])%len(s)] ^= changes[2]
			if changes[3]&1 == 1 {
				refix(s)
			}
			changes = changes[4:]
		}
		in := make([][]byte, len(segs))
		for i := range segs {
			in[i] = bytes.Clone(segs[i])
		}
		out, counts := coalesce(t, segs)
		next := 0
		for j, b := range out {
			from := in[next : next+counts[j]]
			next += counts[j]
			g := b.Meta.GSO
			switch {
			case g.IsGSO():
				for _, s := range from {
					if !tcpChecksumOK(s) {
						t.Fatalf("frame %d: a segment with a wrong TCP checksum went into a super-frame", j)
					}
				}
				again := newBuffers(64, 2048)
				k, err := Segment(b, again)
				if err != nil || k != len(from) {
					t.Fatalf("frame %d: Segment gave %d segments (%v) of a super-frame of %d", j, k, err, len(from))
				}
				for i := range k {
					got, want := bytes.Clone(again[i].Data()), bytes.Clone(from[i])
					checkFrame(t, got, true)
					for _, o := range []int{18, 19, 24, 25} {
						got[o], want[o] = 0, 0
					}
					if !bytes.Equal(got, want) {
						t.Fatalf("frame %d segment %d cut again:\n got  %x\n want %x", j, i, head(got), head(want))
					}
				}
			case g.DataValid:
				if len(from) != 1 || !bytes.Equal(b.Data(), from[0]) || !tcpChecksumOK(from[0]) {
					t.Fatalf("frame %d: marked verified, but not one right segment as it came", j)
				}
			default:
				if len(from) != 1 || !bytes.Equal(b.Data(), from[0]) {
					t.Fatalf("frame %d: passed on, but not one segment as it came", j)
				}
			}
		}
		if next != len(in) {
			t.Fatalf("%d segments in, %d out", len(in), next)
		}
	})
}
