package defrag

import (
	"runtime"
	"testing"

	"neutrino/packet/header"
)

// distinct rewrites the fragment b in place into datagram i of many: its
// id and source address change, its checksum is fixed.
func distinct(b []byte, i int) {
	ip := header.IPv4(b)
	ip.SetID(uint16(i))
	ip.SetSrc([4]byte{10, 1, byte(i >> 24), byte(i >> 16)})
	ip.SetChecksum(ip.CalculateChecksum())
}

func heapAlloc() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestMemoryBound: 100k datagrams that never complete (a first fragment
// each) leave the table at its bounds, the oldest evicted, and the heap
// near MaxBytes.
func TestMemoryBound(t *testing.T) {
	const n = 100000
	tests := []struct {
		name string
		cfg  Config
		held int // datagrams held at the end
	}{
		{"MaxDatagrams binds", Config{}, DefaultMaxDatagrams},
		{"MaxBytes binds", Config{MaxDatagrams: 1 << 20}, DefaultMaxBytes / 1536},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := frag(t, 0, 0, 0, 1480, true) // a 1536-byte buffer
			before := heapAlloc()
			tab := New(tt.cfg)
			for i := range n {
				distinct(f, i)
				if _, v := tab.Add(f, 0, t0, nil); v.Outcome != Held {
					t.Fatalf("datagram %d: %v", i, v.Outcome)
				}
				if s := tab.Stats(); s.HeldBytes+s.IdleBytes > DefaultMaxBytes || s.Datagrams > tab.cfg.MaxDatagrams {
					t.Fatalf("datagram %d: %d+%d bytes, %d datagrams", i, s.HeldBytes, s.IdleBytes, s.Datagrams)
				}
			}
			grown := int64(heapAlloc()) - int64(before)
			s := tab.Stats()
			if s.Datagrams != tt.held || s.HeldBytes != tt.held*1536 || s.Evicted != uint64(n-tt.held) {
				t.Errorf("%d datagrams, %d bytes, %d evicted; want %d, %d, %d",
					s.Datagrams, s.HeldBytes, s.Evicted, tt.held, tt.held*1536, n-tt.held)
			}
			t.Logf("heap grew %d bytes, %d in fragment buffers", grown, s.HeldBytes+s.IdleBytes)
			if grown > 2*DefaultMaxBytes {
				t.Errorf("heap grew %d bytes for a %d-byte bound", grown, DefaultMaxBytes)
			}
			invariants(t, tab)
			// The newest are the ones kept. (The evicted one last: its
			// fragment starts a datagram, which may evict another.)
			for _, i := range []int{n - 1, n - tt.held, n - tt.held - 1} {
				last := frag(t, 0, 0, 1480, 8, false)
				distinct(last, i)
				_, v := tab.Add(last, 0, t0, make([]byte, 2000))
				if want := i >= n-tt.held; (v.Outcome == Complete) != want {
					t.Errorf("datagram %d: %v, complete %v", i, v.Outcome, want)
				}
			}
			runtime.KeepAlive(tab)
		})
	}
}

// TestEvictOldest: at MaxDatagrams a new datagram evicts the oldest.
func TestEvictOldest(t *testing.T) {
	tab := New(Config{MaxDatagrams: 3})
	first := func(id uint16) []byte { return frag(t, id, id, 0, 8, true) }
	last := func(id uint16) []byte { return frag(t, id, id, 8, 8, false) }
	for id := uint16(1); id <= 4; id++ {
		feed(t, tab, 0, t0+int64(id), first(id), first(id)) // the second: a duplicate
	}
	if s := tab.Stats(); s.Datagrams != 3 || s.Evicted != 1 {
		t.Fatalf("%d datagrams, %d evicted; want 3, 1", s.Datagrams, s.Evicted)
	}
	dst := make([]byte, 100)
	if _, v := tab.Add(last(1), 0, t0, dst); v.Outcome != Held { // evicts 2
		t.Errorf("evicted datagram's last fragment: %v, want held", v.Outcome)
	}
	if _, v := tab.Add(last(2), 0, t0, dst); v.Outcome != Held {
		t.Errorf("second oldest: %v, want held (evicted)", v.Outcome)
	}
	for _, id := range []uint16{4, 3} { // 3 was evicted by last(2)
		_, v := tab.Add(last(id), 0, t0, dst)
		if want := map[uint16]Outcome{4: Complete, 3: Held}[id]; v.Outcome != want {
			t.Errorf("datagram %d: %v, want %v", id, v.Outcome, want)
		}
	}
	if s := tab.Stats(); s.Evicted != 3 {
		t.Errorf("%d evicted, want 3", s.Evicted)
	}
	invariants(t, tab)
}

func TestMaxBytes(t *testing.T) {
	small := func(id uint16) []byte { return frag(t, id, id, 0, 8, true) }             // 64 bytes
	mtu := func(id uint16, off int) []byte { return frag(t, id, id, off, 1480, true) } // 1536 bytes
	t.Run("evicts the oldest", func(t *testing.T) {
		tab := New(Config{MaxBytes: 4096})
		feed(t, tab, 0, t0, mtu(1, 0), mtu(2, 0), mtu(3, 0))
		s := tab.Stats()
		if s.Datagrams != 2 || s.Evicted != 1 || s.HeldBytes != 3072 {
			t.Fatalf("%d datagrams, %d evicted, %d bytes; want 2, 1, 3072", s.Datagrams, s.Evicted, s.HeldBytes)
		}
		// Datagram 2's own second fragment evicts 3, not 2.
		feed(t, tab, 0, t0, mtu(2, 1480))
		if _, v := tab.Add(mtu(3, 1480), 0, t0, nil); v.Outcome != Held {
			t.Fatalf("%v", v.Outcome)
		}
		if s := tab.Stats(); s.Datagrams != 1 || s.Evicted != 3 || s.HeldFragments != 1 {
			t.Fatalf("%d datagrams, %d evicted, %d fragments; want 1, 3, 1", s.Datagrams, s.Evicted, s.HeldFragments)
		}
		invariants(t, tab)
	})
	t.Run("a fragment larger than the bound", func(t *testing.T) {
		run(t, Config{MaxBytes: 4096}, [][]byte{small(1)}, frag(t, 2, 2, 0, 4104, true), TableFull, 1, 0)
	})
	t.Run("a fragment that fills the bound", func(t *testing.T) {
		run(t, Config{MaxBytes: 4096}, [][]byte{small(1)}, frag(t, 2, 2, 0, 4096, true), Held, 1, 0)
	})
	t.Run("a datagram that cannot fit", func(t *testing.T) {
		tab := run(t, Config{MaxBytes: 4096}, [][]byte{small(2), mtu(1, 0), mtu(1, 1480)}, mtu(1, 2960), TableFull, 1, 1)
		if s := tab.Stats(); s.Evicted != 0 || s.HeldBytes != 64 {
			t.Errorf("%d evicted, %d bytes held; want 0, 64 (datagram 2 kept)", s.Evicted, s.HeldBytes)
		}
	})
	t.Run("free buffers go first", func(t *testing.T) {
		tab := New(Config{MaxBytes: 4096})
		whole := udpDatagram(t, 7, nil, 4096-8)
		if _, v := feed(t, tab, 0, t0, split(t, whole, 2048, nil)...); v.Outcome != Complete {
			t.Fatalf("%v", v.Outcome)
		}
		if s := tab.Stats(); s.HeldBytes != 0 || s.IdleBytes != 4096 {
			t.Fatalf("%d held, %d idle; want 0, 4096", s.HeldBytes, s.IdleBytes)
		}
		feed(t, tab, 0, t0, small(1), mtu(2, 0))
		if s := tab.Stats(); s.HeldBytes != 1600 || s.IdleBytes != 2048 || s.Evicted != 0 {
			t.Fatalf("%d held, %d idle, %d evicted; want 1600, 2048, 0", s.HeldBytes, s.IdleBytes, s.Evicted)
		}
		// A 2048-byte fragment takes the free buffer.
		feed(t, tab, 0, t0, frag(t, 3, 3, 0, 2048, true))
		if s := tab.Stats(); s.HeldBytes != 3648 || s.IdleBytes != 0 || s.Evicted != 0 {
			t.Fatalf("%d held, %d idle, %d evicted; want 3648, 0, 0", s.HeldBytes, s.IdleBytes, s.Evicted)
		}
		invariants(t, tab)
	})
}

func TestClasses(t *testing.T) {
	prev := 0
	for c := range numClasses {
		size := classSize(c)
		if size <= prev || size > prev*3/2+1 && c > 0 {
			t.Fatalf("class %d: %d bytes after %d", c, size, prev)
		}
		prev = size
	}
	if classSize(numClasses-1) != 1<<16 || classSize(0) != 64 {
		t.Fatalf("classes from %d to %d bytes", classSize(0), classSize(numClasses-1))
	}
	for n := 1; n <= 1<<16; n++ {
		c := classOf(n)
		if classSize(c) < n || c > 0 && classSize(c-1) >= n {
			t.Fatalf("%d bytes: class %d of %d bytes", n, c, classSize(c))
		}
	}
}
