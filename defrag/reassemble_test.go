package defrag

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"neutrino/packet/header"
)

// order returns the indexes 0..n-1 in some order.
type order func(n int) []int

func inOrder(n int) []int { return seq(n) }

func reverse(n int) []int {
	s := seq(n)
	slices.Reverse(s)
	return s
}

func shuffled(seed uint64) order {
	return func(n int) []int {
		s := seq(n)
		rand.New(rand.NewPCG(seed, 1)).Shuffle(n, func(i, j int) { s[i], s[j] = s[j], s[i] })
		return s
	}
}

// lastFirst sends the last fragment first, then the rest in order, as some
// stacks do.
func lastFirst(n int) []int { return append([]int{n - 1}, seq(n-1)...) }

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

func TestReassemble(t *testing.T) {
	tests := []struct {
		name  string
		size  int // UDP payload bytes
		step  int // fragment payload bytes
		first []layers.IPv4Option
		later []layers.IPv4Option
		order order
	}{
		{"in order", 3972, 1480, nil, nil, inOrder},
		{"reverse", 3972, 1480, nil, nil, reverse},
		{"last first", 3972, 1480, nil, nil, lastFirst},
		{"two fragments", 1481, 1480, nil, nil, reverse},
		{"tiny last", 1473, 1480, nil, nil, inOrder},
		{"many in order", 8000, 128, nil, nil, inOrder},
		{"many reverse", 8000, 128, nil, nil, reverse},
		{"many random 1", 8000, 128, nil, nil, shuffled(1)},
		{"many random 2", 8000, 128, nil, nil, shuffled(2)},
		{"64 fragments random", 64*8 - 8, 8, nil, nil, shuffled(3)},
		{"largest datagram", 65535 - 28, 8192, nil, nil, shuffled(4)},
		{"options in the first only", 3972, 1480, []layers.IPv4Option{recordRoute, endOfList}, nil, shuffled(5)},
		{"options in the first only, reverse", 3972, 1480, []layers.IPv4Option{recordRoute, endOfList}, nil, reverse},
		{"copied option in all", 3972, 1480, []layers.IPv4Option{routerAlert, recordRoute, endOfList}, []layers.IPv4Option{routerAlert}, shuffled(6)},
		{"largest with options", 65535 - 28 - 16, 8192, []layers.IPv4Option{recordRoute, endOfList}, nil, reverse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			whole := udpDatagram(t, 0x4242, tt.first, tt.size)
			frags := split(t, whole, tt.step, tt.later)
			var in [][]byte
			maxFrag := 0
			for _, i := range tt.order(len(frags)) {
				in = append(in, frags[i])
				maxFrag = max(maxFrag, len(frags[i]))
			}
			tab := New(Config{})
			out, v := feed(t, tab, 0, t0, in...)
			if v.Outcome != Complete {
				t.Fatalf("last of %d fragments: %v, want complete", len(frags), v.Outcome)
			}
			if !bytes.Equal(out, whole) {
				t.Fatalf("reassembled %d bytes differ from the %d-byte original", len(out), len(whole))
			}
			verify(t, out, true)
			if v.MaxFragSize != maxFrag {
				t.Errorf("MaxFragSize %d, want %d", v.MaxFragSize, maxFrag)
			}
			s := tab.Stats()
			if s.Datagrams != 0 || s.HeldBytes != 0 || s.HeldFragments != 0 {
				t.Errorf("after completion: %d datagrams, %d fragments, %d bytes held", s.Datagrams, s.HeldFragments, s.HeldBytes)
			}
			if s.Fragments[Held] != uint64(len(frags)-1) || s.Fragments[Complete] != 1 {
				t.Errorf("counted %d held, %d complete; want %d, 1", s.Fragments[Held], s.Fragments[Complete], len(frags)-1)
			}
			invariants(t, tab)
		})
	}
}

// TestFirstHeader: the reassembled header is the first fragment's, whatever
// later fragments say, with MF and the offset cleared and DF kept.
func TestFirstHeader(t *testing.T) {
	ip := ipLayer(7, nil)
	ip.Flags = layers.IPv4DontFragment
	ip.TTL = 9
	udp := &layers.UDP{SrcPort: 40000, DstPort: 50000}
	if err := udp.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	whole := serialize(t, ip, udp, payloadOf(100))
	frags := split(t, whole, 48, nil)
	frags[1] = edit(frags[1], func(ip header.IPv4) { ip.SetTTL(200); ip.SetTOS(0xff &^ 3) })
	out, v := feed(t, New(Config{}), 0, t0, frags[1], frags[2], frags[0])
	if v.Outcome != Complete {
		t.Fatalf("%v, want complete", v.Outcome)
	}
	if !bytes.Equal(out, whole) {
		t.Errorf("header %x, want %x", out[:20], whole[:20])
	}
	verify(t, out, true)
}

func TestZones(t *testing.T) {
	a := split(t, udpDatagram(t, 99, nil, 2000), 1480, nil)
	b := split(t, udpDatagram(t, 99, nil, 1500), 1480, nil) // same key but the zone, other lengths
	tab := New(Config{})
	dst := make([]byte, maxDatagram)
	if _, v := tab.Add(a[0], 1, t0, dst); v.Outcome != Held {
		t.Fatalf("zone 1 first: %v", v.Outcome)
	}
	if _, v := tab.Add(b[0], 2, t0, dst); v.Outcome != Held {
		t.Fatalf("zone 2 first: %v (a duplicate if zones were mixed)", v.Outcome)
	}
	// In one zone b's last fragment would be past a's end, or a's would
	// overlap b's: a Malformed or an Overlap.
	if n, v := tab.Add(b[1], 2, t0, dst); v.Outcome != Complete || n != 1528 {
		t.Fatalf("zone 2 last: %v, %d bytes", v.Outcome, n)
	}
	if s := tab.Stats(); s.Datagrams != 1 {
		t.Fatalf("%d datagrams after zone 2 completed, want zone 1's", s.Datagrams)
	}
	if n, v := tab.Add(a[1], 1, t0, dst); v.Outcome != Complete || n != 2028 {
		t.Fatalf("zone 1 last: %v, %d bytes", v.Outcome, n)
	}
	verify(t, dst[:2028], true)
	invariants(t, tab)
}

// TestInterleaved: many datagrams at once, fragments mixed.
func TestInterleaved(t *testing.T) {
	tab := New(Config{})
	var all [][]byte
	wholes := map[uint16][]byte{}
	for id := uint16(1); id <= 50; id++ {
		w := udpDatagram(t, id, nil, 1000+int(id)*37)
		wholes[id] = w
		all = append(all, split(t, w, 256, nil)...)
	}
	rand.New(rand.NewPCG(9, 9)).Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	dst := make([]byte, maxDatagram)
	done := 0
	for _, f := range all {
		n, v := tab.Add(f, 0, t0, dst)
		switch v.Outcome {
		case Held:
		case Complete:
			id := uint16(dst[4])<<8 | uint16(dst[5])
			if !bytes.Equal(dst[:n], wholes[id]) {
				t.Fatalf("datagram %d reassembled wrong", id)
			}
			done++
		default:
			t.Fatalf("%v", v.Outcome)
		}
	}
	if done != 50 {
		t.Fatalf("%d of 50 datagrams completed", done)
	}
	invariants(t, tab)
}

func TestECN(t *testing.T) {
	const notECT, ect1, ect0, ce = 0, 1, 2, 3
	tests := []struct {
		name  string
		codes [3]uint8 // of the three fragments
		want  Outcome
		tos   uint8 // ECN bits of the result
	}{
		{"not ECT", [3]uint8{notECT, notECT, notECT}, Complete, notECT},
		{"ECT(0)", [3]uint8{ect0, ect0, ect0}, Complete, ect0},
		{"ECT mixed", [3]uint8{ect1, ect0, ect0}, Complete, ect1},
		{"CE later", [3]uint8{ect0, ect0, ce}, Complete, ce},
		{"CE first", [3]uint8{ce, ect1, ect0}, Complete, ce},
		{"not ECT and ECT", [3]uint8{notECT, ect0, notECT}, ECNMismatch, 0},
		{"not ECT and CE", [3]uint8{ce, notECT, notECT}, ECNMismatch, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			frags := split(t, udpDatagram(t, 5, nil, 3000), 1024, nil)
			for i := range frags {
				frags[i] = edit(frags[i], func(ip header.IPv4) { ip.SetTOS(0x10 | tt.codes[i]) })
			}
			tab := New(Config{})
			out, v := feed(t, tab, 0, t0, frags...)
			if v.Outcome != tt.want {
				t.Fatalf("%v, want %v", v.Outcome, tt.want)
			}
			if tt.want == Complete {
				verify(t, out, true)
				if out[1] != 0x10|tt.tos {
					t.Errorf("TOS %#02x, want %#02x", out[1], 0x10|tt.tos)
				}
			} else if s := tab.Stats(); s.Datagrams != 0 || s.Killed != 1 {
				t.Errorf("%d datagrams left, %d killed; want 0, 1", s.Datagrams, s.Killed)
			}
			invariants(t, tab)
		})
	}
}

func TestShortBuffer(t *testing.T) {
	frags := split(t, udpDatagram(t, 5, nil, 3000), 1480, nil)
	tab := New(Config{})
	dst := make([]byte, 3000) // the datagram is 3028 bytes
	for i, f := range frags {
		n, v := tab.Add(f, 0, t0, dst)
		want := Held
		if i == len(frags)-1 {
			want = ShortBuffer
		}
		if v.Outcome != want || n != 0 {
			t.Fatalf("fragment %d: %v, %d bytes; want %v, 0", i, v.Outcome, n, want)
		}
	}
	if s := tab.Stats(); s.Datagrams != 0 || s.Killed != 1 || s.HeldBytes != 0 {
		t.Errorf("%d datagrams, %d killed, %d bytes held; want 0, 1, 0", s.Datagrams, s.Killed, s.HeldBytes)
	}
}

func payloadOf(n int) gopacket.Payload {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}
