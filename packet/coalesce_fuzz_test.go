package packet

import (
	"bytes"
	"encoding/binary"
	"slices"
	"testing"

	"neutrino/packet/header"
)

// tcpChecksum reports whether frame f, a TCP/IPv4 frame, has a right TCP
// checksum (summed without the code under test's shortcuts), and whether
// its checksum field holds just the pseudo-header sum (left partial).
func tcpChecksum(f []byte) (right, partial bool) {
	ip := f[14:34]
	t := f[34:]
	ps := header.PseudoHeaderChecksum(header.ProtoTCP, [4]byte(ip[12:16]), [4]byte(ip[16:20]), uint16(len(t)))
	return header.Checksum(t, ps) == 0xffff, binary.BigEndian.Uint16(t[16:18]) == ps
}

// FuzzCoalesce changes bytes of five segments of one flow (each change
// with or without the checksums fixed after it) and runs them through the
// Coalescer. Whatever comes out: a super-frame holds only segments whose
// checksums were right or left partial, and cut again gives back its
// segments (but for the IPv4 id and header checksum, which a sender with
// a fixed id leaves alone and Segment numbers, and a partial checksum,
// which Segment finishes), which gopacket decodes; a lone segment marked
// DataValid had a right checksum, one marked NeedsCsum a partial one; a
// frame passed on unmarked is its segment unchanged. The last byte of a
// change also asks for the checksums fixed (bit 0) or left partial (bit 1).
// AppendFrame, given the segments after each first one, makes the same
// frames as ParseTCPSegment and Append.
func FuzzCoalesce(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{2, 100, 1, 0})                  // a payload byte of segment 2
	f.Add([]byte{1, 47, 0x08, 1})                // PSH in the middle, fixed
	f.Add([]byte{3, 19, 0xff, 1})                // an IPv4 id that skips
	f.Add([]byte{0, 66, 0x01, 1, 4, 5, 0x20, 0}) // two changes
	f.Add([]byte{2, 70, 0x01, 3})                // a change in segment 2, left partial
	f.Fuzz(func(t *testing.T, changes []byte) {
		segs := segmentsOf(t, superFrameSpec{payload: 5 * 120}, 120)
		for len(changes) >= 4 {
			s := segs[int(changes[0])%len(segs)]
			s[int(changes[1])%len(s)] ^= changes[2]
			if changes[3]&1 == 1 {
				refix(s)
			}
			if changes[3]&2 == 2 {
				copy(s, offload(s, 50))
			}
			changes = changes[4:]
		}
		in := make([][]byte, len(segs))
		for i := range segs {
			in[i] = bytes.Clone(segs[i])
		}
		out, counts := coalesce(t, segs)
		// AppendFrame takes the same segments into the same frames.
		fast, fastCounts := coalesceWith(t, segs, true)
		if !slices.Equal(counts, fastCounts) {
			t.Fatalf("segments per frame: %v with Append, %v with AppendFrame", counts, fastCounts)
		}
		for j := range out {
			if !bytes.Equal(out[j].Data(), fast[j].Data()) || out[j].Meta.GSO != fast[j].Meta.GSO {
				t.Fatalf("frame %d differs with AppendFrame:\n got  %x %+v\n want %x %+v", j,
					head(fast[j].Data()), fast[j].Meta.GSO, head(out[j].Data()), out[j].Meta.GSO)
			}
		}
		next := 0
		for j, b := range out {
			from := in[next : next+counts[j]]
			next += counts[j]
			g := b.Meta.GSO
			switch {
			case g.IsGSO():
				for _, s := range from {
					if right, partial := tcpChecksum(s); !right && !partial {
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
					if _, partial := tcpChecksum(from[i]); partial {
						got[50], got[51], want[50], want[51] = 0, 0, 0, 0
					}
					if !bytes.Equal(got, want) {
						t.Fatalf("frame %d segment %d cut again:\n got  %x\n want %x", j, i, head(got), head(want))
					}
				}
			case g.DataValid:
				if right, _ := tcpChecksum(from[0]); len(from) != 1 || !bytes.Equal(b.Data(), from[0]) || !right {
					t.Fatalf("frame %d: marked verified, but not one right segment as it came", j)
				}
			case g.NeedsCsum:
				if _, partial := tcpChecksum(from[0]); len(from) != 1 || !bytes.Equal(b.Data(), from[0]) || !partial {
					t.Fatalf("frame %d: marked partial, but not one partial segment as it came", j)
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
