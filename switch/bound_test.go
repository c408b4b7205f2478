package l2switch

import (
	"runtime"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// up returns a MAC of a host behind the uplink, 02:00:00:hi:mid:lo for n.
func up(n int) MAC { return MAC{0x02, 0, 0, byte(n >> 16), byte(n >> 8), byte(n)} }

// boundFrames fill a table of 4 entries (port 4 the uplink) and then need
// room: uplink entries go, oldest first; VM entries never do.
var boundFrames = []frame{
	{at: 0, in: 4, lvid: 1, src: up(1), dst: bcast, want: flood(LearnNew)},
	{at: 1 * time.Second, in: 4, lvid: 1, src: up(2), dst: bcast, want: flood(LearnNew)},
	{at: 2 * time.Second, in: 0, lvid: 1, src: vm(1), dst: bcast, want: flood(LearnNew)},
	{at: 3 * time.Second, in: 1, lvid: 1, src: vm(2), dst: up(2), want: unicast(4, LearnNew)},
	// Full. vm(3) evicts up(1), the oldest uplink entry, its destination.
	{at: 4 * time.Second, in: 2, lvid: 1, src: vm(3), dst: up(1), want: flood(LearnNew)},
	{at: 5 * time.Second, in: 4, lvid: 1, src: up(3), dst: vm(3), want: unicast(2, LearnNew)},       // evicts up(2)
	{at: 6 * time.Second, in: 0, lvid: 1, src: vm(4), dst: up(3), want: flood(LearnNew)},            // evicts up(3)
	{at: 7 * time.Second, in: 1, lvid: 1, src: vm(5), dst: vm(1), want: unicast(0, LearnTableFull)}, // only VM entries left
	{at: 8 * time.Second, in: 4, lvid: 1, src: up(4), dst: vm(2), want: unicast(1, LearnTableFull)},
	{at: 8 * time.Second, in: 0, lvid: 1, src: vm(4), dst: vm(5), want: flood(LearnRefreshed)},
	// All aged: an aged entry makes room whatever its port.
	{at: 400 * time.Second, in: 4, lvid: 1, src: up(5), dst: vm(1), want: flood(LearnNew)},
}

func TestTableBound(t *testing.T) {
	s := mustSwitch(t, Config{MaxEntries: 4}, twoNets)
	s.SetUnlimited(4, true)
	runFrames(t, s, boundFrames[:10])
	want := []Entry{
		{Port: 0, LVID: 1, MAC: vm(1), Age: 6 * time.Second},
		{Port: 0, LVID: 1, MAC: vm(4)},
		{Port: 1, LVID: 1, MAC: vm(2), Age: 5 * time.Second},
		{Port: 2, LVID: 1, MAC: vm(3), Age: 4 * time.Second},
	}
	if diff := cmp.Diff(want, s.Entries(at(8*time.Second))); diff != "" {
		t.Errorf("Entries when full (-want +got):\n%s", diff)
	}
	runFrames(t, s, boundFrames[10:])
	st := s.Stats()
	type counts struct{ MACs, Learned, Evicted, TableFull, Aged uint64 }
	got := counts{uint64(st.MACs), st.Learned, st.Evicted, st.TableFull, st.Aged}
	if diff := cmp.Diff(counts{4, 8, 3, 2, 1}, got); diff != "" {
		t.Errorf("Stats (-want +got):\n%s", diff)
	}
}

func TestTableBoundUnlimited(t *testing.T) {
	// MaxMACsPerPort < 0: every port is unlimited, any entry may go.
	s := mustSwitch(t, Config{MaxEntries: 2, MaxMACsPerPort: -1}, twoNets)
	runFrames(t, s, []frame{
		{at: 0, in: 0, lvid: 1, src: vm(1), dst: bcast, want: flood(LearnNew)},
		{at: time.Second, in: 1, lvid: 1, src: vm(2), dst: bcast, want: flood(LearnNew)},
		{at: 2 * time.Second, in: 2, lvid: 1, src: vm(3), dst: vm(2), want: unicast(1, LearnNew)},
		{at: 3 * time.Second, in: 2, lvid: 1, src: vm(3), dst: vm(1), want: flood(LearnRefreshed)},
	})
	if st := s.Stats(); st.MACs != 2 || st.Evicted != 1 {
		t.Errorf("MACs, Evicted = %d, %d, want 2, 1", st.MACs, st.Evicted)
	}
}

// tableSlots is the memory the shards hold, in slots.
func tableSlots(s *Switch) int {
	n := 0
	for i := range s.shards {
		n += len(s.shards[i].tab.Load().slots)
	}
	return n
}

func TestShrink(t *testing.T) {
	for _, how := range []string{"expire", "flush"} {
		t.Run(how, func(t *testing.T) {
			s := mustSwitch(t, Config{MaxMACsPerPort: -1}, twoNets)
			for i := range 20000 {
				src := up(i)
				s.Forward(4, 1, &bcast, &src, at(0))
			}
			keep := vm(1)
			s.Forward(0, 1, &bcast, &keep, at(200*time.Second))
			if n := tableSlots(s); n < 40000 {
				t.Fatalf("20000 entries in %d slots", n)
			}
			if how == "expire" {
				if n := s.Expire(at(300 * time.Second)); n != 20000 {
					t.Fatalf("Expire removed %d, want 20000", n)
				}
			} else {
				s.FlushPort(4)
			}
			if n := tableSlots(s); n != numShards*minSlots {
				t.Errorf("after %s the shards hold %d slots, want %d", how, n, numShards*minSlots)
			}
			want := []Entry{{Port: 0, LVID: 1, MAC: keep, Age: 100 * time.Second}}
			if diff := cmp.Diff(want, s.Entries(at(300*time.Second))); diff != "" {
				t.Errorf("Entries (-want +got):\n%s", diff)
			}
		})
	}
}

// heapAlloc returns the live heap after a full collection.
func heapAlloc() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestMillionMACs sends frames from 1M source MACs through an uplink: the
// table stays within MaxEntries, and the heap comes back once they age out.
// Without a bound it shows that the shards give their memory back.
func TestMillionMACs(t *testing.T) {
	const macs = 1 << 20
	if testing.Short() {
		t.Skip("1M MACs: skipped in -short")
	}
	for _, tt := range []struct {
		name     string
		max      int
		wantMACs int    // entries when the table is full
		expired  int    // entries when the VM has learned
		peak     uint64 // bytes of heap the table may use at most
	}{
		{"bounded", 0, DefaultMaxEntries, DefaultMaxEntries, 8 << 20},
		{"unbounded", -1, macs, macs + 1, 128 << 20},
	} {
		t.Run(tt.name, func(t *testing.T) {
			base := heapAlloc()
			s := mustSwitch(t, Config{MaxEntries: tt.max}, Membership{0: {1}, 1: {1}})
			s.SetUnlimited(0, true)
			now := at(0)
			for i := range macs {
				src := up(i)
				now += int64(time.Microsecond)
				if d := s.Forward(0, 1, &bcast, &src, now); d.Learn != LearnNew {
					t.Fatalf("MAC %d: %+v", i, d)
				}
			}
			full := heapAlloc()
			st := s.Stats()
			if st.MACs != tt.wantMACs || st.Evicted != uint64(macs-tt.wantMACs) || st.TableFull != 0 {
				t.Errorf("MACs %d, Evicted %d, TableFull %d; want %d, %d, 0",
					st.MACs, st.Evicted, st.TableFull, tt.wantMACs, macs-tt.wantMACs)
			}
			// A VM still learns: the uplink's oldest entry makes room.
			v := vm(1)
			if d := s.Forward(1, 1, &bcast, &v, now); d.Learn != LearnNew {
				t.Errorf("a VM's MAC on a full table: %+v", d)
			}
			if n := s.Expire(now + int64(DefaultAgingTime)); n != tt.expired {
				t.Errorf("Expire removed %d, want %d", n, tt.expired)
			}
			after := heapAlloc()
			runtime.KeepAlive(s)
			t.Logf("heap: %.1f MB before, %.1f MB with %d entries, %.1f MB after aging",
				mb(base), mb(full), st.MACs, mb(after))
			if full > base+tt.peak {
				t.Errorf("the full table takes %.1f MB, want at most %.1f", mb(full-base), mb(tt.peak))
			}
			if after > base+256<<10 {
				t.Errorf("after aging the heap is %.1f MB above where it started, want under 0.25", mb(after-base))
			}
		})
	}
}

func mb(b uint64) float64 { return float64(b) / (1 << 20) }
