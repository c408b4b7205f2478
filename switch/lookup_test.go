package l2switch

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// state is everything Forward may write: the tables, slot by slot, and
// every counter and cursor.
type state struct {
	Slots    [][2]uint64
	N        []int
	EvictAt  []uint64
	Count    int64
	NoVictim int64
	Swept    bool
	Sweep    int64
	Stats    Stats
}

func snapshot(s *Switch) state {
	var st state
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		for j, t := 0, sh.tab.Load(); j < len(t.slots); j++ {
			st.Slots = append(st.Slots, [2]uint64{t.slots[j].key.Load(), t.slots[j].val.Load()})
		}
		st.N = append(st.N, sh.n)
		st.EvictAt = append(st.EvictAt, sh.evictAt)
		sh.mu.Unlock()
	}
	st.Count, st.NoVictim = s.count.Load(), s.noVictim.Load()
	st.Swept, st.Sweep = s.sweptAny, s.lastSweep
	st.Stats = s.Stats()
	return st
}

// lookupThenForward checks, frame by frame, that Lookup changes nothing
// and that Forward then decides what Lookup said, and what the frame wants.
func lookupThenForward(t *testing.T, s *Switch, frames []frame) {
	t.Helper()
	for i, f := range frames {
		before := snapshot(s)
		dry := s.Lookup(f.in, f.lvid, &f.dst, &f.src, at(f.at))
		if diff := cmp.Diff(before, snapshot(s)); diff != "" {
			t.Fatalf("frame %d: Lookup changed the switch (-before +after):\n%s", i, diff)
		}
		got := s.Forward(f.in, f.lvid, &f.dst, &f.src, at(f.at))
		if diff := cmp.Diff(got, dry); diff != "" {
			t.Errorf("frame %d: Lookup disagrees with Forward (-forward +lookup):\n%s", i, diff)
		}
		if diff := cmp.Diff(f.want, got); diff != "" {
			t.Errorf("frame %d: Forward (-want +got):\n%s", i, diff)
		}
	}
}

func TestLookup(t *testing.T) {
	tests := []struct {
		name   string
		cfg    Config
		uplink bool // port 4 is unlimited
		frames []frame
	}{{
		name: "learning and lookups",
		frames: []frame{
			{in: 0, lvid: 0, src: vm(1), dst: bcast, want: drop(DropInvalidVLAN, LearnNone)},
			{in: 0, lvid: 1, src: mcast, dst: vm(1), want: drop(DropMulticastSource, LearnNone)},
			{in: 0, lvid: 1, src: vm(1), dst: bcast, want: flood(LearnNew)},
			{in: 1, lvid: 1, src: vm(2), dst: vm(1), want: unicast(0, LearnNew)},
			{at: 500 * time.Millisecond, in: 1, lvid: 1, src: vm(2), dst: vm(1), want: unicast(0, LearnNone)},
			{at: 2 * time.Second, in: 1, lvid: 1, src: vm(2), dst: vm(1), want: unicast(0, LearnRefreshed)},
			{at: 3 * time.Second, in: 2, lvid: 1, src: vm(1), dst: vm(2), want: unicast(1, LearnMoved)},
			{at: 4 * time.Second, in: 0, lvid: 1, src: vm(1), dst: vm(1), want: drop(DropSamePort, LearnMoved)},
			{at: 5 * time.Second, in: 0, lvid: 1, src: vm(3), dst: vm(3), want: drop(DropSamePort, LearnNew)},
			{at: 5 * time.Second, in: 0, lvid: 1, src: vm(3), dst: vm(2), want: unicast(1, LearnNone)},
			{at: 400 * time.Second, in: 1, lvid: 1, src: vm(1), dst: vm(2), want: flood(LearnNew)},
			{at: 400 * time.Second, in: 3, lvid: 2, src: vm(1), dst: mcast, want: flood(LearnNew)},
		},
	}, {
		name: "port limit, and the sweep that frees it",
		cfg:  Config{MaxMACsPerPort: 2},
		frames: []frame{
			{in: 0, lvid: 1, src: vm(1), dst: bcast, want: flood(LearnNew)},
			{at: 10 * time.Second, in: 0, lvid: 1, src: vm(2), dst: bcast, want: flood(LearnNew)},
			{at: 20 * time.Second, in: 0, lvid: 1, src: vm(3), dst: bcast, want: drop(DropMACLimit, LearnLimitReached)},
			{at: 20 * time.Second, in: 1, lvid: 1, src: vm(1), dst: bcast, want: flood(LearnMoved)},
			{at: 21 * time.Second, in: 1, lvid: 1, src: vm(5), dst: bcast, want: flood(LearnNew)},
			{at: 22 * time.Second, in: 1, lvid: 1, src: vm(2), dst: bcast, want: drop(DropMACLimit, LearnLimitReached)},
			{at: 22500 * time.Millisecond, in: 1, lvid: 1, src: vm(8), dst: bcast, want: drop(DropMACLimit, LearnLimitReached)}, // no sweep yet
			{at: 300 * time.Second, in: 2, lvid: 1, src: vm(7), dst: bcast, want: flood(LearnNew)},
			// Port 1's entries have aged (not yet removed): the sweep makes room.
			{at: 321 * time.Second, in: 1, lvid: 1, src: vm(6), dst: vm(7), want: unicast(2, LearnNew)},
			{at: 321 * time.Second, in: 2, lvid: 1, src: vm(9), dst: vm(5), want: flood(LearnNew)},
		},
	}, {
		name:   "full table",
		cfg:    Config{MaxEntries: 4},
		uplink: true,
		frames: boundFrames,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustSwitch(t, tt.cfg, twoNets)
			if tt.uplink {
				s.SetUnlimited(4, true)
			}
			lookupThenForward(t, s, tt.frames)
		})
	}
}

func TestEach(t *testing.T) {
	s := mustSwitch(t, Config{MaxMACsPerPort: -1}, twoNets)
	for i := range 5000 {
		src := up(i)
		s.Forward(PortID(i%3), 1, &bcast, &src, at(time.Duration(i)*time.Millisecond))
	}
	now := at(301999 * time.Millisecond) // the first 2000 have aged
	var got []Entry
	s.Each(now, func(e Entry) bool {
		got = append(got, e)
		return true
	})
	if len(got) != 3000 {
		t.Errorf("Each visited %d entries, want the 3000 live ones", len(got))
	}
	slices.SortFunc(got, cmpEntry)
	if diff := cmp.Diff(s.Entries(now), got); diff != "" {
		t.Errorf("Each and Entries differ (-Entries +Each):\n%s", diff)
	}
	n := 0
	s.Each(now, func(Entry) bool { n++; return n < 10 })
	if n != 10 {
		t.Errorf("Each went on after f returned false: %d calls", n)
	}
}
