package defrag

import (
	"bytes"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"neutrino/packet/header"
)

// piece8 describes a hand-made fragment of datagram 1: payload bytes
// [off, end) and MF.
type piece8 struct {
	off, end int
	more     bool
}

func (p piece8) build(t testing.TB) []byte { return frag(t, 1, 1, p.off, p.end-p.off, p.more) }

// run adds held to a new table, each of which must be Held, then bad, and
// checks bad's outcome and how many datagrams and kills follow.
func run(t *testing.T, cfg Config, held [][]byte, bad []byte, want Outcome, datagrams int, killed uint64) *Table {
	t.Helper()
	tab := New(cfg)
	dst := make([]byte, maxDatagram)
	for i, f := range held {
		if _, v := tab.Add(f, 0, t0, dst); v.Outcome != Held {
			t.Fatalf("held fragment %d: %v", i, v.Outcome)
		}
	}
	n, v := tab.Add(bad, 0, t0, dst)
	if v.Outcome != want || n != 0 || v.MaxFragSize != 0 {
		t.Fatalf("%v, n %d, MaxFragSize %d; want %v, 0, 0", v.Outcome, n, v.MaxFragSize, want)
	}
	s := tab.Stats()
	if s.Datagrams != datagrams || s.Killed != killed {
		t.Errorf("%d datagrams, %d killed; want %d, %d", s.Datagrams, s.Killed, datagrams, killed)
	}
	count := uint64(1)
	if want == Held {
		count += uint64(len(held))
	}
	if s.Fragments[want] != count {
		t.Errorf("%v counted %d times, want %d", want, s.Fragments[want], count)
	}
	invariants(t, tab)
	return tab
}

func TestOverlap(t *testing.T) {
	// Held: [16,40) and [56,72), both with MF.
	held := []piece8{{16, 40, true}, {56, 72, true}}
	tests := []struct {
		name string
		p    piece8
		want Outcome
	}{
		{"partial from the left", piece8{8, 24, true}, Overlap},
		{"partial from the right", piece8{32, 48, true}, Overlap},
		{"contained, same start", piece8{16, 24, true}, Overlap},
		{"contained, same end", piece8{24, 40, true}, Overlap},
		{"contained strictly", piece8{24, 32, true}, Overlap},
		{"containing", piece8{8, 48, true}, Overlap},
		{"containing, same start", piece8{16, 48, true}, Overlap},
		{"containing, same end", piece8{0, 40, true}, Overlap},
		{"spanning two", piece8{32, 64, true}, Overlap},
		{"containing both", piece8{0, 80, true}, Overlap},
		{"last overlapping", piece8{64, 85, false}, Overlap},
		{"exact duplicate", piece8{16, 40, true}, Duplicate},
		{"exact duplicate, second", piece8{56, 72, true}, Duplicate},
		{"adjacent both sides", piece8{40, 56, true}, Held},
		{"adjacent below", piece8{8, 16, true}, Held},
		{"adjacent above, last", piece8{72, 77, false}, Held},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var in [][]byte
			for _, h := range held {
				in = append(in, h.build(t))
			}
			switch tt.want {
			case Overlap:
				tab := run(t, Config{}, in, tt.p.build(t), Overlap, 0, 1)
				// The datagram is gone: its fragments start a new one.
				if _, v := tab.Add(in[0], 0, t0, nil); v.Outcome != Held {
					t.Errorf("held fragment again: %v, want held in a new datagram", v.Outcome)
				}
			case Duplicate:
				run(t, Config{}, in, tt.p.build(t), Duplicate, 1, 0)
			case Held:
				tab := New(Config{})
				feed(t, tab, 0, t0, append(in, tt.p.build(t), in[0])...) // the last: a duplicate
				if s := tab.Stats(); s.HeldFragments != 3 || s.Fragments[Duplicate] != 1 {
					t.Errorf("%d fragments held, %d duplicates; want 3, 1", s.HeldFragments, s.Fragments[Duplicate])
				}
			}
		})
	}
}

// TestDuplicates: duplicates of any fragment, even with other bytes, leave
// the datagram to complete with the first copy's bytes.
func TestDuplicates(t *testing.T) {
	whole := udpDatagram(t, 3, nil, 4000)
	f := split(t, whole, 1480, nil)
	evil := edit(f[1], func(ip header.IPv4) { ip.Payload()[0] ^= 0xff })
	tab := New(Config{})
	dst := make([]byte, maxDatagram)
	steps := []struct {
		frag []byte
		want Outcome
	}{
		{f[1], Held}, {f[1], Duplicate}, {evil, Duplicate},
		{f[2], Held}, {f[2], Duplicate},
		{f[0], Complete},
		{f[0], Held}, // after completion: a new datagram
	}
	for i, s := range steps {
		n, v := tab.Add(s.frag, 0, t0, dst)
		if v.Outcome != s.want {
			t.Fatalf("step %d: %v, want %v", i, v.Outcome, s.want)
		}
		if v.Outcome == Complete {
			if !bytes.Equal(dst[:n], whole) {
				t.Fatal("reassembled datagram differs from the original")
			}
			verify(t, dst[:n], true)
		}
	}
	if s := tab.Stats(); s.Fragments[Duplicate] != 3 || s.Killed != 0 || s.Datagrams != 1 {
		t.Errorf("%d duplicates, %d killed, %d datagrams; want 3, 0, 1", s.Fragments[Duplicate], s.Killed, s.Datagrams)
	}
}

func TestMalformed(t *testing.T) {
	mid := piece8{32, 48, true}
	last := piece8{32, 48, false}
	whole := serialize(t, ipLayer(1, nil), gopacket.Payload(make([]byte, 40)))
	tests := []struct {
		name      string
		held      piece8
		bad       func(t *testing.T) []byte
		want      Outcome
		datagrams int // after: 1 when the held datagram survives
	}{
		{"truncated header", mid, func(t *testing.T) []byte { return mid.build(t)[:19] }, Malformed, 1},
		{"IPv6", mid, func(t *testing.T) []byte {
			return edit(piece8{0, 8, true}.build(t), func(ip header.IPv4) { ip[0] = 0x65 })
		}, Malformed, 1},
		{"header length past the end", mid, func(t *testing.T) []byte {
			return edit(piece8{0, 8, true}.build(t), func(ip header.IPv4) { ip[0] = 0x4f })
		}, Malformed, 1},
		{"total length past the end", mid, func(t *testing.T) []byte {
			return edit(piece8{0, 8, true}.build(t), func(ip header.IPv4) { ip.SetTotalLength(29) })
		}, Malformed, 1},
		{"total length below the header", mid, func(t *testing.T) []byte {
			return edit(piece8{0, 8, true}.build(t), func(ip header.IPv4) { ip.SetTotalLength(19) })
		}, Malformed, 1},
		{"bad checksum", mid, func(t *testing.T) []byte {
			b := piece8{0, 8, true}.build(t)
			b[10] ^= 1
			return b
		}, Malformed, 1},
		{"no payload", mid, func(t *testing.T) []byte { return frag(t, 1, 1, 8, 0, true) }, Malformed, 1},
		{"no payload, last", mid, func(t *testing.T) []byte { return frag(t, 1, 1, 48, 0, false) }, Malformed, 1},
		{"misaligned before the last", mid, func(t *testing.T) []byte { return frag(t, 1, 1, 0, 12, true) }, Malformed, 1},
		{"second last ending elsewhere", last, func(t *testing.T) []byte { return piece8{48, 56, false}.build(t) }, Malformed, 0},
		{"second last ending sooner", last, func(t *testing.T) []byte { return piece8{8, 16, false}.build(t) }, Malformed, 0},
		{"last before held data", mid, func(t *testing.T) []byte { return piece8{8, 24, false}.build(t) }, Malformed, 0},
		{"past the last", last, func(t *testing.T) []byte { return piece8{48, 56, true}.build(t) }, Malformed, 0},
		{"whole datagram", mid, func(t *testing.T) []byte { return whole }, NotFragment, 1},
		{"whole datagram with DF", mid, func(t *testing.T) []byte {
			return edit(whole, func(ip header.IPv4) { ip.SetFlagsFragment(header.IPv4FlagDF) })
		}, NotFragment, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			killed := uint64(0)
			if tt.datagrams == 0 {
				killed = 1
			}
			run(t, Config{}, [][]byte{tt.held.build(t)}, tt.bad(t), tt.want, tt.datagrams, killed)
		})
	}
}

// TestPadding: bytes past the total length (Ethernet padding) are not
// payload.
func TestPadding(t *testing.T) {
	f := split(t, udpDatagram(t, 8, nil, 40), 24, nil)
	padded := append(bytes.Clone(f[1]), 0xee, 0xee, 0xee, 0xee)
	out, v := feed(t, New(Config{}), 0, t0, padded, f[0])
	if v.Outcome != Complete || len(out) != 68 {
		t.Fatalf("%v, %d bytes; want complete, 68", v.Outcome, len(out))
	}
	verify(t, out, true)
}

func TestTooBig(t *testing.T) {
	// 40 bytes of options: IHL 15.
	rr := layers.IPv4Option{OptionType: 7, OptionLength: 39, OptionData: make([]byte, 37)}
	bigFirst := func(t *testing.T) []byte {
		ip := ipLayer(1, []layers.IPv4Option{rr, endOfList})
		ip.Flags = layers.IPv4MoreFragments
		b := serialize(t, ip, gopacket.Payload(make([]byte, 8)))
		if len(b) != 68 {
			t.Fatalf("first fragment of %d bytes, want 68", len(b))
		}
		return b
	}
	tests := []struct {
		name      string
		held      [][]byte
		bad       func(t *testing.T) []byte
		want      Outcome
		datagrams int
	}{
		{"end past 65515", nil, func(t *testing.T) []byte { return piece8{65504, 65516, false}.build(t) }, TooBig, 0},
		{"highest offset", nil, func(t *testing.T) []byte { return piece8{65528, 65536, false}.build(t) }, TooBig, 0},
		{"end 65515 fits", nil, func(t *testing.T) []byte { return piece8{65504, 65515, false}.build(t) }, Held, 1},
		{"end 65515 fits, kills a datagram", [][]byte{piece8{0, 8, true}.build(t)}, func(t *testing.T) []byte {
			return piece8{65528, 65536, true}.build(t)
		}, TooBig, 0},
		{"first with options after the last", [][]byte{piece8{65504, 65512, false}.build(t)}, bigFirst, TooBig, 0},
		{"first with options before the last", [][]byte{bigFirst(t)}, func(t *testing.T) []byte {
			return piece8{65472, 65480, false}.build(t)
		}, TooBig, 0},
		{"first with options fits", [][]byte{bigFirst(t)}, func(t *testing.T) []byte {
			return piece8{65464, 65475, false}.build(t)
		}, Held, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var killed uint64
			if tt.want == TooBig && len(tt.held) > 0 {
				killed = 1
			}
			run(t, Config{}, tt.held, tt.bad(t), tt.want, tt.datagrams, killed)
		})
	}
}

func TestTooManyFragments(t *testing.T) {
	var f [][]byte
	for i := range 5 {
		f = append(f, piece8{i * 8, i*8 + 8, i < 4}.build(t))
	}
	t.Run("one too many", func(t *testing.T) {
		run(t, Config{MaxFragments: 4}, f[:4], f[4], TooManyFragments, 0, 1)
	})
	t.Run("a duplicate is not counted", func(t *testing.T) {
		run(t, Config{MaxFragments: 4}, f[1:4], f[1], Duplicate, 1, 0)
	})
	t.Run("as many as allowed", func(t *testing.T) {
		_, v := feed(t, New(Config{MaxFragments: 5}), 0, t0, f...)
		if v.Outcome != Complete {
			t.Fatalf("%v, want complete", v.Outcome)
		}
	})
	t.Run("default 64", func(t *testing.T) {
		var g [][]byte
		for i := range 65 {
			g = append(g, piece8{i * 8, i*8 + 8, true}.build(t))
		}
		run(t, Config{}, g[:64], g[64], TooManyFragments, 0, 1)
	})
}
