package router

import (
	"bytes"
	"slices"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"neutrino/packet/header"
)

// Options of the fragmentation tests: the copied flag (0x80) set on loose
// source route and router alert, clear on record route and NOP.
var (
	optLSRR  = layers.IPv4Option{OptionType: 131, OptionLength: 11, OptionData: []byte{4, 10, 0, 0, 9, 10, 0, 0, 10}}
	optRR    = layers.IPv4Option{OptionType: 7, OptionLength: 11, OptionData: append([]byte{4}, make([]byte, 8)...)}
	optRA    = layers.IPv4Option{OptionType: 148, OptionLength: 4, OptionData: []byte{0, 0}}
	optNOP   = layers.IPv4Option{OptionType: 1}
	optTS    = layers.IPv4Option{OptionType: 68, OptionLength: 36, OptionData: append([]byte{5, 0}, make([]byte, 32)...)}
	optSec   = layers.IPv4Option{OptionType: 130, OptionLength: 11, OptionData: make([]byte, 9)}
	optEOL   = layers.IPv4Option{OptionType: 0}
	optStrID = layers.IPv4Option{OptionType: 136, OptionLength: 4, OptionData: []byte{0x12, 0x34}}
)

// datagram is an IPv4/UDP datagram with n bytes of data, the given
// options, fragment offset (in 8-byte units) and flags.
func datagram(t testing.TB, n int, opts []layers.IPv4Option, off uint16, flags layers.IPv4Flag) []byte {
	t.Helper()
	ip := ip4Hdr(vmIP, farIP, layers.IPProtocolUDP)
	ip.TOS, ip.Options, ip.FragOffset, ip.Flags = 0x28, opts, off, flags
	return udpDatagram(t, ip, n)
}

// collector hands Fragment buffers with room for Ethernet before them and
// keeps what was written.
type collector struct {
	frags [][]byte
	fail  int // call number (from 1) that gets nil, 0 for none
	short bool
}

func (c *collector) next(size int) []byte {
	if c.fail == len(c.frags)+1 {
		return nil
	}
	b := make([]byte, 14+size)[14:]
	if c.short {
		b = b[:size-1]
	}
	c.frags = append(c.frags, b)
	return b
}

// copiedOnly is what later fragments must carry of opts: the options with
// the copied flag, zero-padded to 4 bytes. It uses gopacket's decoding of
// the header, not the code under test.
func copiedOnly(t testing.TB, orig []byte) []byte {
	t.Helper()
	var ip layers.IPv4
	if err := ip.DecodeFromBytes(orig, gopacket.NilDecodeFeedback); err != nil {
		t.Fatal(err)
	}
	var b []byte
	for _, o := range ip.Options {
		if o.OptionType&0x80 != 0 {
			b = append(b, o.OptionType, o.OptionLength)
			b = append(b, o.OptionData...)
		}
	}
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// checkFragments checks frags against orig, fragmented for mtu: each one a
// valid IPv4 datagram to gopacket, with a right checksum, no longer than
// mtu, orig's fields, the options it must carry, MF and offsets right and
// payloads multiples of 8 but the last, as large as mtu allows; and their
// payloads, put back together by offset, are orig's.
func checkFragments(t testing.TB, orig []byte, mtu int, frags [][]byte) {
	t.Helper()
	var o layers.IPv4
	if err := o.DecodeFromBytes(orig, gopacket.NilDecodeFeedback); err != nil {
		t.Fatal(err)
	}
	origOff := int(o.FragOffset) * 8
	origOpts := orig[20 : o.IHL*4]
	later := copiedOnly(t, orig)
	type piece struct {
		off  int
		data []byte
		mf   bool
	}
	var pieces []piece
	for i, f := range frags {
		var ip layers.IPv4
		if err := ip.DecodeFromBytes(f, gopacket.NilDecodeFeedback); err != nil {
			t.Fatalf("fragment %d: gopacket: %v", i, err)
		}
		if _, res := ip.VerifyChecksum(); !res.Valid {
			t.Errorf("fragment %d: checksum %#x, want %#x", i, res.Actual, res.Correct)
		}
		if len(f) > mtu || int(ip.Length) != len(f) {
			t.Errorf("fragment %d: %d bytes, length %d, MTU %d", i, len(f), ip.Length, mtu)
		}
		if ip.Id != o.Id || ip.TOS != o.TOS || ip.TTL != o.TTL || ip.Protocol != o.Protocol ||
			!ip.SrcIP.Equal(o.SrcIP) || !ip.DstIP.Equal(o.DstIP) || ip.Flags&^layers.IPv4MoreFragments != 0 {
			t.Errorf("fragment %d: header %+v, original %+v", i, ip, o)
		}
		opts := f[20 : ip.IHL*4]
		want := later
		if i == 0 {
			want = origOpts
		}
		if !bytes.Equal(opts, want) {
			t.Errorf("fragment %d: options %x, want %x", i, opts, want)
		}
		pieces = append(pieces, piece{int(ip.FragOffset) * 8, ip.Payload, ip.Flags&layers.IPv4MoreFragments != 0})
	}
	if len(pieces) == 0 {
		t.Fatal("no fragments")
	}
	slices.SortFunc(pieces, func(a, b piece) int { return a.off - b.off })
	var payload []byte
	for i, p := range pieces {
		if p.off != origOff+len(payload) {
			t.Fatalf("fragment at %d, want %d", p.off, origOff+len(payload))
		}
		payload = append(payload, p.data...)
		last := i == len(pieces)-1
		if !last {
			if !p.mf || len(p.data)%8 != 0 {
				t.Errorf("fragment %d: MF %v, %d bytes", i, p.mf, len(p.data))
			}
			h := 20 + len(later)
			if i == 0 {
				h = int(o.IHL) * 4
			}
			if len(p.data) != (mtu-h)&^7 {
				t.Errorf("fragment %d: %d bytes, could carry %d", i, len(p.data), (mtu-h)&^7)
			}
		} else if p.mf != (o.Flags&layers.IPv4MoreFragments != 0) {
			t.Errorf("last fragment: MF %v, original %v", p.mf, o.Flags)
		}
	}
	if !bytes.Equal(payload, o.Payload) {
		t.Errorf("reassembled payload differs: %d bytes, want %d", len(payload), len(o.Payload))
	}
}

func TestFragment(t *testing.T) {
	mixed := []layers.IPv4Option{optLSRR, optRR, optRA, optNOP}
	tests := []struct {
		name  string
		orig  []byte
		mtu   int
		count int
	}{
		{"4000 bytes over 1500", datagram(t, 4000, nil, 0, 0), 1500, 3},
		{"4000 bytes over 576", datagram(t, 4000, nil, 0, 0), 576, 8},
		{"one byte too many", datagram(t, 1500-28+1, nil, 0, 0), 1500, 2},
		{"payload a multiple of 8 past the MTU", datagram(t, 2*1480-8, nil, 0, 0), 1500, 2},
		{"mixed options", datagram(t, 3000, mixed, 0, 0), 1400, 3},
		{"copied options only", datagram(t, 3000, []layers.IPv4Option{optSec, optStrID}, 0, 0), 1000, 4},
		{"no copied options", datagram(t, 3000, []layers.IPv4Option{optTS}, 0, 0), 1000, 4},
		{"options after end of list are not looked at", datagram(t, 2000, []layers.IPv4Option{optRA, optEOL, optNOP, optNOP, optNOP}, 0, 0), 1000, 3},
		{"60-byte header over the IPv4 minimum MTU", datagram(t, 300, []layers.IPv4Option{optTS, optRA}, 0, 0), 68, 9},
		{"a middle fragment", datagram(t, 1472, nil, 185, layers.IPv4MoreFragments), 576, 3},
		{"a first fragment", datagram(t, 1472, mixed, 0, layers.IPv4MoreFragments), 576, 3},
		{"a last fragment", datagram(t, 1000, nil, 370, 0), 576, 2},
		{"reserved flag cleared", datagram(t, 2000, nil, 0, layers.IPv4EvilBit), 1500, 2},
		{"the largest offset", datagram(t, 65535-8184*8-8, nil, 8184, 0), 68, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := bytes.Clone(tt.orig)
			var c collector
			n, ok := Fragment(tt.orig, tt.mtu, c.next)
			if !ok || n != tt.count || len(c.frags) != n {
				t.Fatalf("Fragment = %d, %v (%d buffers), want %d", n, ok, len(c.frags), tt.count)
			}
			if !bytes.Equal(in, tt.orig) {
				t.Error("the original changed")
			}
			checkFragments(t, tt.orig, tt.mtu, c.frags)
		})
	}
}

func TestFragmentFits(t *testing.T) {
	for _, orig := range [][]byte{
		datagram(t, 1500-28, nil, 0, 0),
		datagram(t, 1500-28, nil, 0, layers.IPv4DontFragment),
		append(datagram(t, 10, nil, 0, 0), 0, 0, 0, 0), // Ethernet padding is not copied
	} {
		var c collector
		n, ok := Fragment(orig, 1500, c.next)
		tl := int(header.IPv4(orig).TotalLength())
		if !ok || n != 1 || !bytes.Equal(c.frags[0], orig[:tl]) {
			t.Errorf("Fragment = %d, %v, wrote %x", n, ok, c.frags)
		}
	}
}

func TestFragmentRefuses(t *testing.T) {
	badOpt := datagram(t, 2000, []layers.IPv4Option{optRA, optNOP, optNOP, optNOP, optNOP}, 0, 0)
	badOpt[20+4] = 7 // record route whose length (1) is below 2
	badOpt[20+5] = 1
	pastEnd := datagram(t, 2000, []layers.IPv4Option{optRA, optNOP, optNOP, optNOP, optRA}, 0, 0)
	pastEnd[20+8] = 9 // router alert at 7 claiming 9 bytes, 5 left
	lastByte := datagram(t, 2000, []layers.IPv4Option{optRA, optNOP, optNOP, optNOP}, 0, 0)
	lastByte[20+7] = 68 // an option type in the last byte, no room for its length
	v6 := datagram(t, 2000, nil, 0, 0)
	v6[0] = 0x65
	tests := []struct {
		name string
		orig []byte
		mtu  int
	}{
		{"DF", datagram(t, 2000, nil, 0, layers.IPv4DontFragment), 1500},
		{"option length 1", badOpt, 1000},
		{"option past the header", pastEnd, 1000},
		{"option without a length byte", lastByte, 1000},
		{"MTU leaves 7 bytes", datagram(t, 100, []layers.IPv4Option{optRA}, 0, 0), 24 + 7},
		{"MTU below the header", datagram(t, 100, nil, 0, 0), 10},
		{"offset and payload past 65535", datagram(t, 65535-8184*8, nil, 8184, 0), 68},
		{"version 6", v6, 1500},
		{"truncated", datagram(t, 2000, nil, 0, 0)[:1000], 576},
		{"empty", nil, 576},
	}
	for _, tt := range tests {
		var c collector
		if n, ok := Fragment(tt.orig, tt.mtu, c.next); ok || n != 0 || len(c.frags) != 0 {
			t.Errorf("%s: Fragment = %d, %v after %d buffers", tt.name, n, ok, len(c.frags))
		}
	}
}

func TestFragmentNextFails(t *testing.T) {
	orig := datagram(t, 4000, nil, 0, 0)
	for fail := 1; fail <= 3; fail++ {
		c := collector{fail: fail}
		if n, ok := Fragment(orig, 1500, c.next); ok || n != fail-1 {
			t.Errorf("nil at call %d: Fragment = %d, %v", fail, n, ok)
		}
	}
	c := collector{short: true}
	if n, ok := Fragment(orig, 1500, c.next); ok || n != 0 {
		t.Errorf("short buffer: Fragment = %d, %v", n, ok)
	}
	c = collector{short: true}
	if n, ok := Fragment(datagram(t, 100, nil, 0, 0), 1500, c.next); ok || n != 0 {
		t.Errorf("short buffer for a datagram that fits: Fragment = %d, %v", n, ok)
	}
}

func TestFragmentAllocs(t *testing.T) {
	orig := datagram(t, 8000, []layers.IPv4Option{optLSRR, optRR}, 0, 0)
	buf := make([]byte, 1500)
	next := func(size int) []byte { return buf[:size] }
	if n := testing.AllocsPerRun(1000, func() { Fragment(orig, 1500, next) }); n != 0 {
		t.Errorf("Fragment allocates %v times", n)
	}
}

func BenchmarkFragment(b *testing.B) {
	orig := datagram(b, 8972, nil, 0, 0) // a jumbo UDP datagram onto a 1500-byte link
	buf := make([]byte, 1500)
	next := func(size int) []byte { return buf[:size] }
	b.ReportAllocs()
	b.SetBytes(int64(len(orig)))
	for b.Loop() {
		Fragment(orig, 1500, next)
	}
}
