package defrag

import (
	"bytes"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"neutrino/packet/header"
)

// fuzzProto marks the fragments FuzzAdd builds; the raw ones it feeds get
// another protocol, so that only built fragments make a built datagram.
const fuzzProto = header.ProtoUDP

// fuzzFragment builds fragment ops[1:4] describes into b: one of four ids
// in one of two zones, an offset anywhere (up to the highest), a length
// that is a multiple of 8 unless it is the last, 0 to 40 bytes of NOP
// options, an ECN codepoint, and payload bytes from pattern.
func fuzzFragment(b []byte, op, a, l, c byte) ([]byte, uint16) {
	id, zone := uint16(op>>3&3), uint16(op>>5&1)
	more := c&1 != 0
	off := int(a) * 8
	if c&2 != 0 {
		off = (8191 - int(a)) * 8
	}
	n := int(l) + 1
	if more {
		n = (int(l)%64 + 1) * 8
	}
	hlen := header.IPv4MinLen + [4]int{0, 0, 4, 40}[c>>2&3]
	ecn := [8]uint8{0, 0, 0, 0, 0, 2, 3, 1}[c>>4&7]
	b = b[:hlen+n]
	ip := header.IPv4(b)
	ip.SetHeaderLen(hlen)
	ip.SetTOS(ecn)
	ip.SetTotalLength(uint16(hlen + n))
	ip.SetID(id)
	ff := uint16(off / 8)
	if more {
		ff |= header.IPv4FlagMF
	}
	ip.SetFlagsFragment(ff)
	ip.SetTTL(64)
	ip.SetProtocol(fuzzProto)
	ip.SetSrc([4]byte{10, 0, 0, 1})
	ip.SetDst([4]byte{10, 0, 0, 2})
	for i := header.IPv4MinLen; i < hlen; i++ {
		b[i] = 1 // NOP
	}
	for i := range n {
		b[hlen+i] = pattern(id^zone<<8, off+i)
	}
	ip.SetChecksum(ip.CalculateChecksum())
	return b, zone
}

// FuzzAdd feeds arbitrary sequences of fragments, built and raw, to a
// small table while its clock moves: nothing panics, the table stays
// consistent and within its bounds, and every Complete is a valid IPv4
// datagram, with the bytes its fragments carried.
func FuzzAdd(f *testing.F) {
	for _, seed := range fuzzSeeds {
		f.Add(seed.ops)
	}
	f.Fuzz(func(t *testing.T, ops []byte) { fuzzRun(t, ops) })
}

// fuzzRun is FuzzAdd's body; it returns the table's counters.
func fuzzRun(t *testing.T, ops []byte) Stats {
	cfg := Config{Timeout: 10 * time.Second, MaxBytes: 16384, MaxFragments: 8, MaxDatagrams: 4}
	tab := New(cfg)
	dst := make([]byte, maxDatagram)
	buf := make([]byte, 2*maxDatagram)
	now, adds := t0, uint64(0)
	for len(ops) >= 4 {
		op, a, l, c := ops[0], ops[1], ops[2], ops[3]
		ops = ops[4:]
		var frag []byte
		var zone uint16
		switch op % 8 {
		case 5: // raw bytes, the checksum fixed when c says so
			n := min(int(a), len(ops))
			frag, ops = bytes.Clone(ops[:n]), ops[n:]
			ip := header.IPv4(frag)
			if len(frag) >= header.IPv4MinLen {
				ip.SetProtocol(fuzzProto + 1)
				if c&1 != 0 && ip.HeaderLen() <= len(frag) {
					ip.SetChecksum(0)
					ip.SetChecksum(^header.Checksum(frag[:ip.HeaderLen()], 0))
				}
			}
			zone = uint16(l & 1)
		case 6:
			now += int64(a) * int64(100*time.Millisecond)
			tab.Expire(now)
			continue
		case 7:
			now += int64(a) * int64(100*time.Millisecond)
			continue
		default:
			frag, zone = fuzzFragment(buf, op, a, l, c)
		}
		n, v := tab.Add(frag, zone, now, dst)
		adds++
		if v.Outcome >= NumOutcomes || v.Outcome != Complete && (n != 0 || v.MaxFragSize != 0) {
			t.Fatalf("%v, n %d, MaxFragSize %d", v.Outcome, n, v.MaxFragSize)
		}
		if v.Outcome == Complete {
			checkWhole(t, dst[:n], zone, v)
		}
		if err := tab.consistent(); err != nil {
			t.Fatal(err)
		}
	}
	s := tab.Stats()
	var sum uint64
	for _, c := range s.Fragments {
		sum += c
	}
	if sum != adds {
		t.Fatalf("%d outcomes counted for %d fragments", sum, adds)
	}
	return s
}

// fuzzSeeds start the fuzzer off; TestFuzzSeeds checks that they do what
// they say, so that the fuzzer starts from datagrams that complete.
var fuzzSeeds = []struct {
	name string
	ops  []byte
	want map[Outcome]uint64
}{
	{"three in order", []byte{0, 0, 0, 1, 0, 1, 0, 1, 0, 2, 10, 0}, map[Outcome]uint64{Held: 2, Complete: 1}},
	{"reverse with options", []byte{0, 2, 10, 0, 0, 1, 0, 1, 0, 0, 0, 13}, map[Outcome]uint64{Held: 2, Complete: 1}},
	{"duplicate, overlap", []byte{0, 0, 1, 1, 0, 0, 1, 1, 0, 1, 0, 1}, map[Outcome]uint64{Held: 1, Duplicate: 1, Overlap: 1}},
	{"timeout", []byte{0, 0, 0, 1, 6, 100, 0, 0, 0, 1, 0, 0}, map[Outcome]uint64{Held: 2}},
	{"zones apart", []byte{0, 0, 0, 1, 32, 0, 0, 1, 32, 1, 0, 0, 0, 1, 0, 0}, map[Outcome]uint64{Held: 2, Complete: 2}},
	{"too big", []byte{0, 0, 0, 1, 0, 0, 20, 2}, map[Outcome]uint64{Held: 1, TooBig: 1}},
	{"ECN", []byte{0, 0, 0, 0x61, 0, 1, 0, 0x50}, map[Outcome]uint64{Held: 1, Complete: 1}},
	{"ECN mismatch", []byte{0, 0, 0, 0x51, 0, 1, 0, 0x00}, map[Outcome]uint64{Held: 1, ECNMismatch: 1}},
	{"raw", []byte{5, 28, 0, 1, 0x45, 0, 0, 28, 0, 0, 0x20, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8}, map[Outcome]uint64{Held: 1}},
	{"raw, bad checksum", []byte{5, 28, 0, 0, 0x45, 0, 0, 28, 0, 0, 0x20, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8}, map[Outcome]uint64{Malformed: 1}},
}

func TestFuzzSeeds(t *testing.T) {
	for _, seed := range fuzzSeeds {
		t.Run(seed.name, func(t *testing.T) {
			s := fuzzRun(t, seed.ops)
			for o := range NumOutcomes {
				if s.Fragments[o] != seed.want[o] {
					t.Errorf("%v: %d, want %d", o, s.Fragments[o], seed.want[o])
				}
			}
		})
	}
}

// checkWhole checks a reassembled datagram from FuzzAdd, with gopacket and
// with the header package.
func checkWhole(t *testing.T, out []byte, zone uint16, v Verdict) {
	t.Helper()
	var ip layers.IPv4
	if err := ip.DecodeFromBytes(out, gopacket.NilDecodeFeedback); err != nil {
		t.Fatalf("complete datagram does not decode: %v", err)
	}
	if _, r := ip.VerifyChecksum(); !r.Valid {
		t.Fatalf("header checksum %#04x, want %#04x", r.Actual, r.Correct)
	}
	h := header.IPv4(out)
	if h.Check() != header.OK || int(h.TotalLength()) != len(out) || int(ip.Length) != len(out) || h.IsFragment() {
		t.Fatalf("complete datagram: %v, length %d of %d, fragment %v", h.Check(), h.TotalLength(), len(out), h.IsFragment())
	}
	if v.MaxFragSize < h.HeaderLen()+1 || v.MaxFragSize > len(out)+header.IPv4MaxLen {
		t.Fatalf("MaxFragSize %d for a %d-byte datagram", v.MaxFragSize, len(out))
	}
	if h.Protocol() != fuzzProto {
		return
	}
	id := h.ID()
	for i, b := range h.Payload() {
		if b != pattern(id^zone<<8, i) {
			t.Fatalf("payload byte %d of datagram %d is %#02x, want %#02x", i, id, b, pattern(id^zone<<8, i))
		}
	}
}
