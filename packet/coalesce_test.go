package packet

import (
	"bytes"
	"encoding/binary"
	"testing"

	"neutrino/packet/header"
)

// segmentsOf cuts a TCP/IPv4 super-frame of payload bytes at mss and
// returns the segments' bytes.
func segmentsOf(t testing.TB, spec superFrameSpec, mss int) [][]byte {
	t.Helper()
	frame, _ := buildSuperFrame(t, spec)
	out := newBuffers(64, 2048)
	k, err := Segment(superBuffer(frame, spec.v6, mss), out)
	if err != nil {
		t.Fatal(err)
	}
	segs := make([][]byte, k)
	for i := range segs {
		segs[i] = bytes.Clone(out[i].Data())
	}
	return segs
}

// refix recomputes the IPv4 header and TCP checksums of a frame changed by
// a test.
func refix(f []byte) []byte {
	ip := f[14:34]
	ip[10], ip[11] = 0, 0
	binary.BigEndian.PutUint16(ip[10:], ^header.Checksum(ip, 0))
	tcp := f[34:]
	tcp[16], tcp[17] = 0, 0
	ps := header.PseudoHeaderChecksum(header.ProtoTCP, [4]byte(ip[12:16]), [4]byte(ip[16:20]), uint16(len(tcp)))
	binary.BigEndian.PutUint16(tcp[16:], ^header.Checksum(tcp, ps))
	return f
}

// coalesce runs frames through a Coalescer as a reader would: it returns
// the frames that come out and how many segments each holds.
func coalesce(t testing.TB, frames [][]byte) ([]*Buffer, []int) {
	t.Helper()
	return coalesceWith(t, frames, false)
}

// coalesceWith is coalesce; with fast, the segments after the first of a
// super-frame go through AppendFrame instead of ParseTCPSegment and Append.
func coalesceWith(t testing.TB, frames [][]byte, fast bool) ([]*Buffer, []int) {
	t.Helper()
	var out []*Buffer
	var counts []int
	var c Coalescer
	for i := 0; i < len(frames); {
		b := NewBuffer(MaxFrame)
		s, ok := ParseTCPSegment(frames[i])
		if !ok || !c.Start(b, frames[i], s) {
			b.SetData(frames[i])
			out, counts = append(out, b), append(counts, 1)
			i++
			continue
		}
		i++
		for i < len(frames) {
			if fast {
				if !c.AppendFrame(frames[i]) {
					break
				}
			} else if s, ok := ParseTCPSegment(frames[i]); !ok || !c.Append(frames[i], s) {
				break
			}
			i++
		}
		counts = append(counts, c.Segments())
		out = append(out, c.Finish())
	}
	return out, counts
}

func TestCoalesce(t *testing.T) {
	spec := superFrameSpec{payload: 20000}
	segs := segmentsOf(t, spec, 1398)
	out, counts := coalesce(t, segs)
	if len(out) != 1 || counts[0] != len(segs) {
		t.Fatalf("%d segments became %d frames %v, want one", len(segs), len(out), counts)
	}
	b := out[0]
	g := b.Meta.GSO
	if g.Type != GSOTCPv4 || !g.NeedsCsum || g.Size != 1398 || g.HdrLen != 14+20+32 || g.CsumStart != 34 || g.CsumOffset != 16 {
		t.Fatalf("GSO %+v", g)
	}
	d := b.Data()
	if len(d) != 14+20+32+20000 {
		t.Fatalf("super-frame of %d bytes", len(d))
	}
	// The partial checksum is the pseudo-header sum: completing it gives
	// a valid frame (gopacket checks it).
	full := bytes.Clone(d)
	binary.BigEndian.PutUint16(full[50:], ^header.Checksum(full[34:], 0))
	checkSegment(t, full, true)
	// Cut again, it gives back the segments.
	again := newBuffers(64, 2048)
	k, err := Segment(b, again)
	if err != nil || k != len(segs) {
		t.Fatalf("Segment: %d, %v", k, err)
	}
	for i := range k {
		if !bytes.Equal(again[i].Data(), segs[i]) {
			t.Fatalf("segment %d:\n got  %x\n want %x", i, head(again[i].Data()), head(segs[i]))
		}
	}
}

func TestCoalesceRefuses(t *testing.T) {
	base := segmentsOf(t, superFrameSpec{payload: 1398 * 4}, 1398) // 4 full segments, PSH on the last
	clone := func() [][]byte {
		c := make([][]byte, len(base))
		for i := range base {
			c[i] = bytes.Clone(base[i])
		}
		return c
	}
	for _, tc := range []struct {
		name   string
		change func(f [][]byte) [][]byte
		want   []int // segments per frame out
	}{
		{"all", func(f [][]byte) [][]byte { return f }, []int{4}},
		{"out of order", func(f [][]byte) [][]byte { return [][]byte{f[0], f[2], f[1], f[3]} }, []int{1, 1, 1, 1}},
		{"a gap", func(f [][]byte) [][]byte { return [][]byte{f[0], f[1], f[3]} }, []int{2, 1}},
		{"another flow", func(f [][]byte) [][]byte { f[2][37]++; refix(f[2]); return f }, []int{2, 1, 1}},
		{"another MAC", func(f [][]byte) [][]byte { f[1][5]++; return f }, []int{1, 1, 2}},
		{"SYN", func(f [][]byte) [][]byte { f[1][47] |= 0x02; refix(f[1]); return f }, []int{1, 1, 2}},
		{"RST", func(f [][]byte) [][]byte { f[2][47] |= 0x04; refix(f[2]); return f }, []int{2, 1, 1}},
		{"FIN", func(f [][]byte) [][]byte { f[3][47] |= 0x01; refix(f[3]); return f }, []int{3, 1}},
		{"URG", func(f [][]byte) [][]byte { f[1][47] |= 0x20; refix(f[1]); return f }, []int{1, 1, 2}},
		{"ECE", func(f [][]byte) [][]byte { f[1][47] |= 0x40; refix(f[1]); return f }, []int{1, 1, 2}},
		{"PSH in the middle", func(f [][]byte) [][]byte { f[1][47] |= 0x08; refix(f[1]); return f }, []int{2, 2}},
		{"bad TCP checksum", func(f [][]byte) [][]byte { f[2][100]++; return f }, []int{2, 1, 1}},
		{"bad TCP checksum first", func(f [][]byte) [][]byte { f[0][100]++; return f }, []int{1, 3}},
		{"bad TCP checksum last", func(f [][]byte) [][]byte { f[3][len(f[3])-1]++; return f }, []int{3, 1}},
		{"bad IP checksum", func(f [][]byte) [][]byte { f[2][24]++; return f }, []int{2, 1, 1}},
		{"IP id skips", func(f [][]byte) [][]byte { f[2][19] += 2; refix(f[2]); return f }, []int{2, 1, 1}},
		{"TTL", func(f [][]byte) [][]byte { f[2][22]--; refix(f[2]); return f }, []int{2, 1, 1}},
		{"TOS", func(f [][]byte) [][]byte { f[2][15] = 1; refix(f[2]); return f }, []int{2, 1, 1}},
		{"ACK number", func(f [][]byte) [][]byte { f[2][45]++; refix(f[2]); return f }, []int{2, 1, 1}},
		{"window", func(f [][]byte) [][]byte { f[2][49]++; refix(f[2]); return f }, []int{2, 1, 1}},
		{"timestamp", func(f [][]byte) [][]byte { f[2][60]++; refix(f[2]); return f }, []int{2, 1, 1}},
		{"a fragment", func(f [][]byte) [][]byte { f[1][20] |= 0x20; refix(f[1]); return f }, []int{1, 1, 2}},
		{"ethernet padding", func(f [][]byte) [][]byte { f[1] = append(f[1], 0); return f }, []int{1, 1, 2}},
		{"short then more", func(f [][]byte) [][]byte {
			f[1] = refix(shorten(f[1], 100))
			binary.BigEndian.PutUint32(f[2][38:], binary.BigEndian.Uint32(f[1][38:])+uint32(len(f[1])-66))
			refix(f[2])
			return f[:3]
		}, []int{2, 1}},
		{"larger than the first", func(f [][]byte) [][]byte { f[0] = refix(shorten(f[0], 100)); return f[:2] }, []int{1, 1}},
		{"no payload", func(f [][]byte) [][]byte { f[1] = refix(shorten(f[1], len(f[1])-66)); return f[:2] }, []int{1, 1}},
		{"UDP", func(f [][]byte) [][]byte { f[1][23] = header.ProtoUDP; return f }, []int{1, 1, 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, counts := coalesce(t, tc.change(clone()))
			if !equalInts(counts, tc.want) {
				t.Fatalf("frames hold %v segments, want %v", counts, tc.want)
			}
		})
	}
}

// A segment with a wrong TCP checksum starts nothing: Start leaves the
// buffer empty, and the segment goes on alone, not marked as verified.
func TestCoalesceStartBadChecksum(t *testing.T) {
	f := segmentsOf(t, superFrameSpec{payload: 1398 * 2}, 1398)[0]
	f[70] ^= 0x40
	s, ok := ParseTCPSegment(f)
	if !ok {
		t.Fatal("ParseTCPSegment refused a segment whose headers are right")
	}
	var c Coalescer
	b := NewBuffer(MaxFrame)
	b.SetData([]byte{1, 2, 3})
	if c.Start(b, f, s) {
		t.Fatal("Start took a segment with a wrong TCP checksum")
	}
	if b.Len() != 0 || c.Finish() != nil {
		t.Fatalf("after a refused Start: buffer of %d bytes, Finish not nil", b.Len())
	}
}

// sameFlowHeaders tells apart two segments' headers by every byte but
// the IPv4 total length, id and checksum and the TCP sequence number,
// flags and checksum, with and without TCP options.
func TestSameFlowHeaders(t *testing.T) {
	may := map[int]bool{16: true, 17: true, 18: true, 19: true, 24: true, 25: true,
		38: true, 39: true, 40: true, 41: true, 47: true, 50: true, 51: true}
	for _, hdrLen := range []int{54, 66} {
		h := make([]byte, hdrLen+10)
		for i := range h {
			h[i] = byte(i*7 + 1)
		}
		for i := range hdrLen {
			f := bytes.Clone(h)
			f[i] ^= 0x10
			if got := sameFlowHeaders(h, f, hdrLen); got != may[i] {
				t.Errorf("header length %d, byte %d changed: same %v, want %v", hdrLen, i, got, may[i])
			}
		}
		f := bytes.Clone(h)
		f[hdrLen] ^= 0x10 // payload
		if !sameFlowHeaders(h, f, hdrLen) {
			t.Errorf("header length %d: a payload byte counted", hdrLen)
		}
	}
}

// shorten cuts n bytes of payload off a TCP/IPv4 frame.
func shorten(f []byte, n int) []byte {
	f = f[:len(f)-n]
	binary.BigEndian.PutUint16(f[16:], uint16(len(f)-14))
	return f
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestCoalesceFixedID(t *testing.T) {
	segs := segmentsOf(t, superFrameSpec{payload: 1000 * 3}, 1000)
	for _, f := range segs {
		f[18], f[19] = 0, 0
		refix(f)
	}
	if _, counts := coalesce(t, segs); !equalInts(counts, []int{3}) {
		t.Fatalf("DF, id 0: %v, want one frame", counts)
	}
	for _, f := range segs {
		f[20] &^= 0x40
		refix(f)
	}
	if _, counts := coalesce(t, segs); !equalInts(counts, []int{1, 1, 1}) {
		t.Fatalf("no DF, id 0: %v, want none coalesced", counts)
	}
}

func TestCoalesceLimit(t *testing.T) {
	// 100 segments of 1000 bytes: the first super-frame stops before
	// 64 KB of IPv4.
	segs := segmentsOf(t, superFrameSpec{payload: 64000}, 1000)
	segs = append(segs, segmentsOf(t, superFrameSpec{payload: 36000}, 1000)...)
	_, counts := coalesce(t, segs[:64])
	if counts[0] != 64 {
		t.Fatalf("%v", counts)
	}
	var c Coalescer
	b := NewBuffer(MaxFrame)
	s, _ := ParseTCPSegment(segs[0])
	c.Start(b, segs[0], s)
	for i := 1; i < 64; i++ {
		s, _ := ParseTCPSegment(segs[i])
		if !c.Append(segs[i], s) {
			break
		}
	}
	if f := c.Finish(); f.Len()-14 > 65535 {
		t.Fatalf("a super-frame of %d bytes of IPv4", f.Len()-14)
	}
	small := NewBuffer(3000)
	s, _ = ParseTCPSegment(segs[0])
	c.Start(small, segs[0], s)
	s1, _ := ParseTCPSegment(segs[1])
	s2, _ := ParseTCPSegment(segs[2])
	if !c.Append(segs[1], s1) || c.Append(segs[2], s2) {
		t.Fatal("a 3000-byte buffer should take two 1000-byte segments, not three")
	}
}

func TestCoalesceAllocs(t *testing.T) {
	segs := segmentsOf(t, superFrameSpec{payload: 40000}, 1398)
	b := NewBuffer(MaxFrame)
	var c Coalescer
	a := testing.AllocsPerRun(100, func() {
		s, _ := ParseTCPSegment(segs[0])
		c.Start(b, segs[0], s)
		for _, f := range segs[1:] {
			s, _ := ParseTCPSegment(f)
			c.Append(f, s)
		}
		c.Finish()
	})
	if a != 0 {
		t.Errorf("%v allocations per super-frame", a)
	}
}

// Segments whose checksums their sender left partial (checksum offload
// over a veth) are coalesced as right ones are, taken on trust; a lone one
// comes out marked NeedsCsum, and finishing it gives the right segment.
func TestCoalescePartial(t *testing.T) {
	segs := segmentsOf(t, superFrameSpec{payload: 1398 * 4}, 1398) // PSH on the last
	partial := make([][]byte, len(segs))
	for i, s := range segs {
		partial[i] = offload(s, 50)
	}
	out, counts := coalesce(t, partial)
	if len(out) != 1 || counts[0] != len(segs) {
		t.Fatalf("%d partial segments became frames of %v, want one of all", len(segs), counts)
	}
	again := newBuffers(64, 2048)
	k, err := Segment(out[0], again)
	if err != nil || k != len(segs) {
		t.Fatalf("Segment: %d, %v", k, err)
	}
	for i := range k {
		if !bytes.Equal(again[i].Data(), segs[i]) {
			t.Fatalf("segment %d cut again:\n got  %x\n want %x", i, head(again[i].Data()), head(segs[i]))
		}
	}

	// One partial segment alone, then a right one after a gap.
	out, counts = coalesce(t, [][]byte{partial[0], segs[2]})
	if !equalInts(counts, []int{1, 1}) {
		t.Fatalf("frames hold %v segments, want [1 1]", counts)
	}
	g := out[0].Meta.GSO
	if g.IsGSO() || !g.NeedsCsum || g.DataValid || g.CsumStart != 34 || g.CsumOffset != 16 {
		t.Fatalf("a lone partial segment: GSO %+v, want NeedsCsum at 34+16", g)
	}
	if err := CompleteChecksum(out[0]); err != nil || !bytes.Equal(out[0].Data(), segs[0]) {
		t.Fatalf("finished (%v):\n got  %x\n want %x", err, head(out[0].Data()), head(segs[0]))
	}
	if g := out[1].Meta.GSO; !g.DataValid || g.NeedsCsum {
		t.Fatalf("a lone right segment: GSO %+v, want DataValid", g)
	}
}

// With SetMTU, a TCP frame longer than the MTU (a sender's TSO frame that
// arrived whole) comes out as a super-frame of segments that fit the MTU,
// alone or with the like frames that follow it; without, as it came.
func TestCoalesceOversized(t *testing.T) {
	const mtu = 1450
	// Two TSO frames of 5 segments' payload each, as a sender hands them
	// on whole.
	frame, _ := buildSuperFrame(t, superFrameSpec{payload: 1398 * 10})
	big := newBuffers(2, 16384)
	if k, err := Segment(superBuffer(frame, false, 1398*5), big); err != nil || k != 2 {
		t.Fatalf("Segment: %d, %v", k, err)
	}
	whole := [][]byte{bytes.Clone(big[0].Data()), bytes.Clone(big[1].Data())}
	partial := [][]byte{offload(whole[0], 50), offload(whole[1], 50)}
	for _, tc := range []struct {
		name   string
		frames [][]byte
		mtu    int
		counts []int
		size   uint16 // GSO size of the first frame out, 0 for none
	}{
		{"one, right checksum", whole[:1], mtu, []int{1}, 1398},
		{"one, left partial", partial[:1], mtu, []int{1}, 1398},
		{"two in sequence", partial, mtu, []int{2}, 1398},
		{"no MTU set", whole[:1], 0, []int{1}, 0},
		{"within the MTU", whole[:1], 1500 * 5, []int{1}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c Coalescer
			c.SetMTU(tc.mtu)
			var out []*Buffer
			var counts []int
			for i := 0; i < len(tc.frames); {
				b := NewBuffer(MaxFrame)
				s, ok := ParseTCPSegment(tc.frames[i])
				if !ok || !c.Start(b, tc.frames[i], s) {
					t.Fatalf("frame %d not taken", i)
				}
				for i++; i < len(tc.frames); i++ {
					s, ok := ParseTCPSegment(tc.frames[i])
					if !ok || !c.Append(tc.frames[i], s) {
						break
					}
				}
				counts = append(counts, c.Segments())
				out = append(out, c.Finish())
			}
			if !equalInts(counts, tc.counts) {
				t.Fatalf("frames hold %v, want %v", counts, tc.counts)
			}
			g := out[0].Meta.GSO
			if g.Size != tc.size || (tc.size != 0) != g.IsGSO() {
				t.Fatalf("GSO %+v, want size %d", g, tc.size)
			}
			if tc.size == 0 {
				return
			}
			// Cut at that size, it gives segments that fit the MTU
			// with right checksums (gopacket checks them).
			segs := newBuffers(64, 2048)
			k, err := Segment(out[0], segs)
			if err != nil || k != 5*counts[0] {
				t.Fatalf("Segment: %d, %v", k, err)
			}
			for _, s := range segs[:k] {
				if s.Len()-14 > tc.mtu {
					t.Fatalf("a segment of %d bytes of L3 over MTU %d", s.Len()-14, tc.mtu)
				}
				checkSegment(t, s.Data(), true)
			}
		})
	}
}

// sum32 is Checksum for lengths that are multiples of 4.
func TestSum32(t *testing.T) {
	b := make([]byte, 60)
	for i := range b {
		b[i] = byte(i*37 + 11)
	}
	ones := bytes.Repeat([]byte{0xff}, 60)
	for n := 0; n <= 60; n += 4 {
		for _, init := range []uint16{0, 1, 0x8000, 0xfffe, 0xffff} {
			if got, want := sum32(b[:n], init), header.Checksum(b[:n], init); got != want {
				t.Fatalf("len %d initial %#x: sum32 %#04x, Checksum %#04x", n, init, got, want)
			}
			if got, want := sum32(ones[:n], init), header.Checksum(ones[:n], init); got != want {
				t.Fatalf("0xff * %d initial %#x: sum32 %#04x, Checksum %#04x", n, init, got, want)
			}
		}
	}
}

// AppendFrame agrees with ParseTCPSegment and Append whatever header byte
// of a following segment changed: left as it is, with its checksums fixed,
// and with its TCP checksum left partial.
func TestAppendFrameAgrees(t *testing.T) {
	base := segmentsOf(t, superFrameSpec{payload: 3 * 120}, 120)
	hdrLen := len(base[0]) - 120
	for i := range hdrLen + 2 {
		for _, x := range []byte{0x01, 0x10, 0x80} {
			for mode := range 3 {
				segs := make([][]byte, len(base))
				for k := range base {
					segs[k] = bytes.Clone(base[k])
				}
				s := segs[1]
				s[i] ^= x
				switch mode {
				case 1:
					refix(s)
				case 2:
					copy(s, offload(refix(s), 50))
				}
				want, wantCounts := coalesceWith(t, segs, false)
				got, gotCounts := coalesceWith(t, segs, true)
				if !equalInts(gotCounts, wantCounts) {
					t.Fatalf("byte %d ^ %#x, mode %d: segments per frame %v, want %v", i, x, mode, gotCounts, wantCounts)
				}
				for j := range want {
					if !bytes.Equal(got[j].Data(), want[j].Data()) || got[j].Meta.GSO != want[j].Meta.GSO {
						t.Fatalf("byte %d ^ %#x, mode %d: frame %d differs", i, x, mode, j)
					}
				}
			}
		}
	}
}
