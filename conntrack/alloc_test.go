package conntrack

import (
	"runtime"
	"testing"
	"time"

	"neutrino/packet/header"
)

func TestZeroAllocs(t *testing.T) {
	e := newEnv(t, Config{})
	e.pass(tcpFrame(cliIP, srvIP, 40000, 80, fSYN), 0)
	e.pass(tcpFrame(srvIP, cliIP, 80, 40000, fSYN|fACK), 0)
	e.pass(tcpFrame(cliIP, srvIP, 40000, 80, fACK), 0)
	ack := tcpFrame(cliIP, srvIP, 40000, 80, fACK|fPSH)
	rep := tcpFrame(srvIP, cliIP, 80, 40000, fACK)
	var la, lr header.Layout
	header.Parse(ack, &la)
	header.Parse(rep, &lr)
	k := tcpKey(0)
	if n := testing.AllocsPerRun(1000, func() {
		if _, _, ok := e.tab.Lookup(k, e.now); !ok {
			t.Fatal("miss")
		}
	}); n != 0 {
		t.Errorf("Lookup hit: %v allocs", n)
	}
	if n := testing.AllocsPerRun(1000, func() {
		e.now += int64(10 * time.Millisecond) // refreshes now and then
		if v := e.tab.Track(ack, &la, 0, e.now); v.State != StateEstablished {
			t.Fatal(v.State)
		}
		if v := e.tab.Track(rep, &lr, 0, e.now); v.State != StateEstablished {
			t.Fatal(v.State)
		}
	}); n != 0 {
		t.Errorf("Track established: %v allocs", n)
	}
	icmp := icmpErrorFrame(rtrIP, cliIP, 11, 0, ack, 28)
	var li header.Layout
	header.Parse(icmp, &li)
	if n := testing.AllocsPerRun(1000, func() {
		if v := e.tab.Track(icmp, &li, 0, e.now); v.State != StateRelated {
			t.Fatal(v.State)
		}
	}); n != 0 {
		t.Errorf("Track related: %v allocs", n)
	}
}

// TestNewConnAllocs: once the slab and slots have grown, new connections
// replacing evicted ones allocate nothing.
func TestNewConnAllocs(t *testing.T) {
	tab := New(Config{MaxEntries: 4096})
	now := t0
	frames := make([][]byte, 8192)
	lays := make([]header.Layout, len(frames))
	for i := range frames {
		frames[i] = udpFrame([4]byte{10, 2, byte(i >> 8), byte(i)}, srvIP, 1, 53)
		header.Parse(frames[i], &lays[i])
	}
	i := 0
	run := func() {
		v := tab.Track(frames[i%len(frames)], &lays[i%len(frames)], 0, now)
		if v.State == StateNew {
			if _, why := tab.Commit(&v, now); why != RefusedNone {
				t.Fatal(why)
			}
		}
		i++
	}
	for range 3 * len(frames) {
		run()
	}
	if n := testing.AllocsPerRun(10000, run); n != 0 {
		t.Errorf("new connection with eviction: %v allocs", n)
	}
}

// TestMemoryPerEntry measures the heap taken by 100k connections.
func TestMemoryPerEntry(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates a large table")
	}
	const n = 100000
	keys := make([]Key, n)
	for i := range keys {
		keys[i] = Key{Src: [4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}, Dst: srvIP, SPort: uint16(i), DPort: 443, Proto: 6}
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	tab := New(Config{})
	for i := range keys {
		v := NewVerdict(keys[i], t0)
		if _, why := tab.Commit(&v, t0); why != RefusedNone {
			t.Fatal(why)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := float64(after.HeapAlloc-before.HeapAlloc) / n
	t.Logf("%.0f bytes per connection (%d connections)", per, tab.Len())
	if per > 256 {
		t.Errorf("%.0f bytes per connection, want at most 256", per)
	}
	runtime.KeepAlive(tab)
}
