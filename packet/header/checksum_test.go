package header

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"
)

// naiveChecksum is RFC 1071 written the obvious way: big-endian 16-bit
// words, 32-bit accumulator, folded at the end.
func naiveChecksum(b []byte, initial uint16) uint16 {
	s := uint32(initial)
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
		s = s&0xffff + s>>16
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
		s = s&0xffff + s>>16
	}
	return uint16(s)
}

func TestChecksumVectors(t *testing.T) {
	tests := []struct {
		name    string
		b       []byte
		initial uint16
		want    uint16
	}{
		{"empty", nil, 0, 0},
		{"empty keeps initial", nil, 0x1234, 0x1234},
		{"one byte is the high byte", []byte{0xab}, 0, 0xab00},
		{"rfc 1071 section 3 example", []byte{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7}, 0, 0xddf2},
		{"end-around carry", []byte{0xff, 0xff, 0x00, 0x01}, 0, 0x0001},
		{"nine 0xff bytes", []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 0, 0xff00},
		{"eight 0xff bytes", []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 0, 0xffff},
		// The IPv4 header from the Wikipedia article on the header checksum:
		// with the checksum b861 in place, the sum is 0xffff.
		{"ipv4 header", []byte{0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61,
			0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7}, 0, 0xffff},
		{"ipv4 header, checksum zeroed", []byte{0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0, 0,
			0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7}, 0, ^uint16(0xb861)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Checksum(tt.b, tt.initial); got != tt.want {
				t.Errorf("Checksum = %#04x, want %#04x", got, tt.want)
			}
		})
	}
}

// FuzzChecksum compares Checksum with naiveChecksum on any data, from any
// start (the vector loop loads unaligned).
func FuzzChecksum(f *testing.F) {
	f.Add([]byte{0x45, 0, 0, 0x54}, uint16(0), uint8(0))
	f.Add(make([]byte, 700), uint16(0xffff), uint8(3))
	f.Fuzz(func(t *testing.T, b []byte, initial uint16, off uint8) {
		b = b[min(int(off)%8, len(b)):]
		if got, want := Checksum(b, initial), naiveChecksum(b, initial); got != want {
			t.Fatalf("len %d initial %#04x: Checksum %#04x, naive %#04x", len(b), initial, got, want)
		}
	})
}

// TestChecksumRandom compares Checksum with naiveChecksum on random data of
// every length up to 300 bytes, a few large ones, and unaligned starts.
func TestChecksumRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 3*4096*64+100)
	for i := range buf {
		buf[i] = byte(r.Uint32())
	}
	// Around the vector loop's thresholds and chunk size too.
	lengths := []int{511, 512, 513, 575, 576, 1023, 1500, 9000, 65535, 65549,
		4096*64 - 1, 4096 * 64, 4096*64 + 1, 4096*64 + 63, 4096*64 + 64, 3*4096*64 + 91}
	for n := 0; n <= 330; n++ {
		lengths = append(lengths, n)
	}
	for _, n := range lengths {
		for off := 0; off < 8; off++ {
			b := buf[off : off+n]
			initial := uint16(r.Uint32())
			if got, want := Checksum(b, initial), naiveChecksum(b, initial); got != want {
				t.Fatalf("len %d offset %d initial %#04x: Checksum %#04x, naive %#04x", n, off, initial, got, want)
			}
		}
	}
	// All 0xff bytes exercise the carries hardest.
	ones := make([]byte, 1<<20+3)
	for i := range ones {
		ones[i] = 0xff
	}
	for n := range 4099 {
		if got, want := Checksum(ones[:n], 0xffff), naiveChecksum(ones[:n], 0xffff); got != want {
			t.Fatalf("0xff * %d: Checksum %#04x, naive %#04x", n, got, want)
		}
	}
	for _, n := range []int{65535, 4096 * 64, 1 << 20, 1<<20 + 3} {
		if got, want := Checksum(ones[:n], 0), naiveChecksum(ones[:n], 0); got != want {
			t.Fatalf("0xff * %d: Checksum %#04x, naive %#04x", n, got, want)
		}
	}
}

func TestChecksumCombine(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	b := make([]byte, 2000)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	for i := 0; i < 1000; i++ {
		cut := 2 * r.IntN(len(b)/2)
		whole := Checksum(b, 0)
		if got := Checksum(b[cut:], Checksum(b[:cut], 0)); got != whole {
			t.Fatalf("cut at %d, chained: %#04x, whole %#04x", cut, got, whole)
		}
		if got := ChecksumCombine(Checksum(b[:cut], 0), Checksum(b[cut:], 0)); got != whole {
			t.Fatalf("cut at %d, combined: %#04x, whole %#04x", cut, got, whole)
		}
	}
	if got := ChecksumCombine(0xffff, 0xffff); got != 0xffff {
		t.Errorf("ChecksumCombine(0xffff, 0xffff) = %#04x, want 0xffff", got)
	}
	if got := ChecksumCombine(0x8000, 0x8000); got != 0x0001 {
		t.Errorf("ChecksumCombine(0x8000, 0x8000) = %#04x, want 0x0001", got)
	}
}

func TestPseudoHeaderChecksum(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 1000; i++ {
		var ph [12]byte
		binary.BigEndian.PutUint64(ph[0:8], r.Uint64())
		ph[9] = byte(r.Uint32())
		binary.BigEndian.PutUint16(ph[10:12], uint16(r.Uint32()))
		got := PseudoHeaderChecksum(ph[9], [4]byte(ph[0:4]), [4]byte(ph[4:8]), binary.BigEndian.Uint16(ph[10:12]))
		if want := naiveChecksum(ph[:], 0); got != want {
			t.Fatalf("pseudo-header % x: %#04x, want %#04x", ph, got, want)
		}
	}
}

// TestChecksumsAgainstGopacket checks the per-protocol helpers on frames
// whose checksums gopacket computed, the 64 KB super-frame included.
func TestChecksumsAgainstGopacket(t *testing.T) {
	for _, tt := range []struct {
		name  string
		frame []byte
	}{{"tcp", tcpFrame(t, []byte("odd"))}, {"tcp options", tcpOptionsFrame(t)}, {"superframe", superFrame(t)},
		{"udp", udpFrame(t)}, {"vxlan", vxlanFrame(t)}, {"icmp", icmpFrame(t)}} {
		t.Run(tt.name, func(t *testing.T) {
			var l Layout
			if m := Parse(tt.frame, &l); m != OK {
				t.Fatalf("Parse: %v", m)
			}
			ip := l.IPv4(tt.frame)
			if got, want := ip.CalculateChecksum(), ip.Checksum(); got != want || !ip.ChecksumValid() {
				t.Errorf("IPv4: calculated %#04x, field %#04x, valid %v", got, want, ip.ChecksumValid())
			}
			src, dst := ip.Src(), ip.Dst()
			seg := l.Transport(tt.frame)
			var got, want uint16
			var valid bool
			switch l.Proto {
			case ProtoTCP:
				got, want, valid = TCP(seg).CalculateChecksum(src, dst), TCP(seg).Checksum(), TCP(seg).ChecksumValid(src, dst)
			case ProtoUDP:
				got, want, valid = UDP(seg).CalculateChecksum(src, dst), UDP(seg).Checksum(), UDP(seg).ChecksumValid(src, dst)
			case ProtoICMP:
				got, want, valid = ICMPv4(seg).CalculateChecksum(), ICMPv4(seg).Checksum(), ICMPv4(seg).ChecksumValid()
			}
			if got != want || !valid {
				t.Errorf("L4: calculated %#04x, field %#04x, valid %v", got, want, valid)
			}
			seg[len(seg)-1] ^= 0x40
			switch l.Proto {
			case ProtoTCP:
				valid = TCP(seg).ChecksumValid(src, dst)
			case ProtoUDP:
				valid = UDP(seg).ChecksumValid(src, dst)
			case ProtoICMP:
				valid = ICMPv4(seg).ChecksumValid()
			}
			if valid {
				t.Errorf("L4: ChecksumValid after flipping a payload bit")
			}
		})
	}
}

// TestChecksumUpdate patches random 16- and 32-bit fields of random data and
// compares the RFC 1624 update with a full recompute.
func TestChecksumUpdate(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for i := 0; i < 20000; i++ {
		b := make([]byte, 2*(2+r.IntN(200)))
		for j := range b {
			b[j] = byte(r.Uint32())
		}
		hc := ^Checksum(b, 0)
		at := 2 * r.IntN(len(b)/2-1)
		if i%2 == 0 {
			old := binary.BigEndian.Uint16(b[at:])
			new := uint16(r.Uint32())
			if i%8 == 0 {
				new = old // no change must be no change
			}
			binary.BigEndian.PutUint16(b[at:], new)
			if got, want := ChecksumUpdate16(hc, old, new), ^Checksum(b, 0); got != want {
				t.Fatalf("16-bit %#04x -> %#04x at %d: update %#04x, recompute %#04x", old, new, at, got, want)
			}
		} else {
			old := binary.BigEndian.Uint32(b[at:])
			new := r.Uint32()
			binary.BigEndian.PutUint32(b[at:], new)
			if got, want := ChecksumUpdate32(hc, old, new), ^Checksum(b, 0); got != want {
				t.Fatalf("32-bit %#08x -> %#08x at %d: update %#04x, recompute %#04x", old, new, at, got, want)
			}
		}
	}
}

// TestChecksumUpdateAddr is SNAT on a TCP segment and its IPv4 header: the
// source address changes in the header (IPv4 checksum) and in the
// pseudo-header (TCP checksum), also for a partial (NEEDS_CSUM) checksum.
func TestChecksumUpdateAddr(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	frame := tcpOptionsFrame(t)
	for i := 0; i < 1000; i++ {
		f := clone(frame)
		var l Layout
		if m := Parse(f, &l); m != OK {
			t.Fatal(m)
		}
		ip, tcp := l.IPv4(f), TCP(l.Transport(f))
		var newSrc [4]byte
		binary.BigEndian.PutUint32(newSrc[:], r.Uint32())
		old := ip.Src()
		ip.SetSrc(newSrc)
		ip.SetChecksum(ChecksumUpdateAddr(ip.Checksum(), old, newSrc))
		tcp.SetChecksum(ChecksumUpdateAddr(tcp.Checksum(), old, newSrc))
		if got, want := ip.Checksum(), ip.CalculateChecksum(); got != want {
			t.Fatalf("%v -> %v: IPv4 checksum %#04x, recompute %#04x", old, newSrc, got, want)
		}
		if got, want := tcp.Checksum(), tcp.CalculateChecksum(newSrc, ip.Dst()); got != want {
			t.Fatalf("%v -> %v: TCP checksum %#04x, recompute %#04x", old, newSrc, got, want)
		}
		partial := PseudoHeaderChecksum(ProtoTCP, old, ip.Dst(), uint16(len(tcp)))
		if got, want := ^ChecksumUpdateAddr(^partial, old, newSrc), PseudoHeaderChecksum(ProtoTCP, newSrc, ip.Dst(), uint16(len(tcp))); got != want {
			t.Fatalf("%v -> %v: partial checksum %#04x, want %#04x", old, newSrc, got, want)
		}
	}
}

var sink uint16

func BenchmarkChecksum(b *testing.B) {
	for _, n := range []int{64, 1500, 65535} {
		buf := make([]byte, n)
		for i := range buf {
			buf[i] = byte(i)
		}
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				sink = Checksum(buf, 0)
			}
		})
	}
}

func BenchmarkNaiveChecksum65535(b *testing.B) {
	buf := make([]byte, 65535)
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		sink = naiveChecksum(buf, 0)
	}
}

// The 20-byte fast path of ChecksumValid agrees with the general sum, for
// right and wrong checksums alike.
func TestIPv4ChecksumValidFastPath(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 100000; i++ {
		h := make(IPv4, IPv4MinLen)
		for j := range h {
			h[j] = byte(r.Uint32())
		}
		h[0] = 0x45
		if i%2 == 0 {
			h.SetChecksum(h.CalculateChecksum())
		}
		want := Checksum(h, 0) == 0xffff
		if got := h.ChecksumValid(); got != want {
			t.Fatalf("% x: ChecksumValid %v, the general sum says %v", []byte(h), got, want)
		}
	}
}
