package l2switch

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// twoNets: ports 0-2 are VMs of lvid 1, port 3 a VM of lvid 2, port 4 a
// trunk (the patch to br-tun) carrying both.
var twoNets = Membership{0: {1}, 1: {1}, 2: {1}, 3: {2}, 4: {1, 2}}

func TestForward(t *testing.T) {
	tests := []struct {
		name   string
		frames []frame
	}{{
		name: "unknown unicast floods and learns, the reply is unicast",
		frames: []frame{
			{in: 0, lvid: 1, src: vm(1), dst: vm(2), want: flood(LearnNew)},
			{in: 1, lvid: 1, src: vm(2), dst: vm(1), want: unicast(0, LearnNew)},
			{in: 0, lvid: 1, src: vm(1), dst: vm(2), want: unicast(1, LearnNone)},
			{in: 2, lvid: 1, src: vm(3), dst: vm(1), want: unicast(0, LearnNew)},
			{in: 4, lvid: 1, src: vm(9), dst: vm(3), want: unicast(2, LearnNew)},
		},
	}, {
		name: "broadcast and multicast flood, known or not",
		frames: []frame{
			{in: 0, lvid: 1, src: vm(1), dst: bcast, want: flood(LearnNew)},
			{in: 1, lvid: 1, src: vm(2), dst: mcast, want: flood(LearnNew)},
			{in: 0, lvid: 1, src: vm(1), dst: v6mc, want: flood(LearnNone)},
		},
	}, {
		name: "multicast or broadcast source is dropped, not learned",
		frames: []frame{
			{in: 0, lvid: 1, src: mcast, dst: vm(2), want: drop(DropMulticastSource, LearnNone)},
			{in: 0, lvid: 1, src: bcast, dst: bcast, want: drop(DropMulticastSource, LearnNone)},
			{in: 1, lvid: 1, src: vm(2), dst: mcast, want: flood(LearnNew)},
		},
	}, {
		name: "destination on the ingress port is dropped",
		frames: []frame{
			{in: 0, lvid: 1, src: vm(1), dst: bcast, want: flood(LearnNew)},
			{in: 0, lvid: 1, src: vm(2), dst: vm(1), want: drop(DropSamePort, LearnNew)},
			{in: 0, lvid: 1, src: vm(1), dst: vm(1), want: drop(DropSamePort, LearnNone)},
		},
	}, {
		name: "lvids are isolated: the same MAC is two entries",
		frames: []frame{
			{in: 0, lvid: 1, src: vm(1), dst: bcast, want: flood(LearnNew)},
			// vm(1) in lvid 2 is unknown although known in lvid 1.
			{in: 3, lvid: 2, src: vm(7), dst: vm(1), want: flood(LearnNew)},
			{in: 4, lvid: 2, src: vm(1), dst: vm(7), want: unicast(3, LearnNew)},
			{in: 2, lvid: 1, src: vm(3), dst: vm(1), want: unicast(0, LearnNew)},
			{in: 3, lvid: 2, src: vm(7), dst: vm(1), want: unicast(4, LearnNone)},
			// vm(7) is known only in lvid 2.
			{in: 0, lvid: 1, src: vm(1), dst: vm(7), want: flood(LearnNone)},
		},
	}, {
		name: "a MAC seen on another port moves",
		frames: []frame{
			{in: 0, lvid: 1, src: vm(1), dst: bcast, want: flood(LearnNew)},
			{in: 2, lvid: 1, src: vm(3), dst: vm(1), want: unicast(0, LearnNew)},
			{in: 1, lvid: 1, src: vm(1), dst: bcast, want: flood(LearnMoved)},
			{in: 2, lvid: 1, src: vm(3), dst: vm(1), want: unicast(1, LearnNone)},
			{in: 4, lvid: 1, src: vm(1), dst: vm(3), want: unicast(2, LearnMoved)},
			{in: 2, lvid: 1, src: vm(3), dst: vm(1), want: unicast(4, LearnNone)},
		},
	}, {
		name: "refresh only after the refresh interval",
		frames: []frame{
			{at: 0, in: 0, lvid: 1, src: vm(1), dst: bcast, want: flood(LearnNew)},
			{at: 500 * time.Millisecond, in: 0, lvid: 1, src: vm(1), dst: bcast, want: flood(LearnNone)},
			{at: 999 * time.Millisecond, in: 0, lvid: 1, src: vm(1), dst: bcast, want: flood(LearnNone)},
			{at: time.Second, in: 0, lvid: 1, src: vm(1), dst: bcast, want: flood(LearnRefreshed)},
			{at: 1500 * time.Millisecond, in: 0, lvid: 1, src: vm(1), dst: bcast, want: flood(LearnNone)},
		},
	}, {
		name: "lvid 0 and the dead tag 4095 are dropped",
		frames: []frame{
			{in: 0, lvid: 0, src: vm(1), dst: bcast, want: drop(DropInvalidVLAN, LearnNone)},
			{in: 0, lvid: 4095, src: vm(1), dst: vm(2), want: drop(DropInvalidVLAN, LearnNone)},
			{in: 0, lvid: MaxLVID, src: vm(1), dst: vm(2), want: flood(LearnNew)},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runFrames(t, mustSwitch(t, Config{}, twoNets), tt.frames)
		})
	}
}

func TestEntriesAfterLearning(t *testing.T) {
	s := mustSwitch(t, Config{}, twoNets)
	runFrames(t, s, []frame{
		{at: 0, in: 1, lvid: 1, src: vm(2), dst: bcast, want: flood(LearnNew)},
		{at: 0, in: 0, lvid: 1, src: vm(1), dst: bcast, want: flood(LearnNew)},
		{at: 10 * time.Second, in: 4, lvid: 2, src: vm(1), dst: bcast, want: flood(LearnNew)},
		{at: 20 * time.Second, in: 4, lvid: 1, src: vm(0x1ff), dst: bcast, want: flood(LearnNew)},
		{at: 20 * time.Second, in: 4, lvid: 1, src: vm(0x100), dst: bcast, want: flood(LearnNew)},
		{at: 20 * time.Second, in: 0, lvid: 1, src: mcast, dst: bcast, want: drop(DropMulticastSource, LearnNone)},
	})
	want := []Entry{
		{Port: 0, LVID: 1, MAC: vm(1), Age: 30 * time.Second},
		{Port: 1, LVID: 1, MAC: vm(2), Age: 30 * time.Second},
		{Port: 4, LVID: 1, MAC: vm(0x100), Age: 10 * time.Second},
		{Port: 4, LVID: 1, MAC: vm(0x1ff), Age: 10 * time.Second},
		{Port: 4, LVID: 2, MAC: vm(1), Age: 20 * time.Second},
	}
	if diff := cmp.Diff(want, s.Entries(at(30*time.Second))); diff != "" {
		t.Errorf("Entries (-want +got):\n%s", diff)
	}
	wantStats := Stats{
		MACs: 5, Learned: 5,
		Ports: []PortStats{{MACs: 1}, {MACs: 1}, {}, {}, {MACs: 3}},
	}
	if diff := cmp.Diff(wantStats, s.Stats()); diff != "" {
		t.Errorf("Stats (-want +got):\n%s", diff)
	}
}

func TestMoveStats(t *testing.T) {
	s := mustSwitch(t, Config{}, twoNets)
	runFrames(t, s, []frame{
		{in: 0, lvid: 1, src: vm(1), dst: bcast, want: flood(LearnNew)},
		{in: 1, lvid: 1, src: vm(1), dst: bcast, want: flood(LearnMoved)},
		{in: 2, lvid: 1, src: vm(1), dst: bcast, want: flood(LearnMoved)},
	})
	want := Stats{
		MACs: 1, Learned: 1, Moved: 2,
		Ports: []PortStats{{}, {}, {MACs: 1}, {}, {}},
	}
	if diff := cmp.Diff(want, s.Stats()); diff != "" {
		t.Errorf("Stats (-want +got):\n%s", diff)
	}
}

func TestFloodPorts(t *testing.T) {
	s := mustSwitch(t, Config{}, Membership{
		0: {1}, 1: {1}, 2: {1},
		3: {2},
		4: {1, 2, 1}, // listed twice: once in the flood list
		7: {300},
	})
	tests := []struct {
		lvid uint16
		want []PortID
	}{
		{1, []PortID{0, 1, 2, 4}},
		{2, []PortID{3, 4}},
		{300, []PortID{7}},
		{3, nil},
		{4000, nil},
		{0, nil},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, s.FloodPorts(tt.lvid)); diff != "" {
			t.Errorf("FloodPorts(%d) (-want +got):\n%s", tt.lvid, diff)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _ = s.FloodPorts(1) }); n != 0 {
		t.Errorf("FloodPorts allocates %v times, want 0", n)
	}
}

func TestSetMembership(t *testing.T) {
	t.Run("bad lvid is refused and changes nothing", func(t *testing.T) {
		s := mustSwitch(t, Config{}, Membership{0: {1}})
		for _, m := range []Membership{{1: {0}}, {1: {4095}}} {
			if err := s.SetMembership(m); !errors.Is(err, ErrBadVLAN) {
				t.Errorf("SetMembership(%v) = %v, want ErrBadVLAN", m, err)
			}
		}
		if diff := cmp.Diff([]PortID{0}, s.FloodPorts(1)); diff != "" {
			t.Errorf("FloodPorts(1) (-want +got):\n%s", diff)
		}
	})
	t.Run("leaving an lvid forgets the port's entries in it", func(t *testing.T) {
		s := mustSwitch(t, Config{}, twoNets)
		runFrames(t, s, []frame{
			{in: 4, lvid: 1, src: vm(1), dst: bcast, want: flood(LearnNew)},
			{in: 4, lvid: 2, src: vm(2), dst: bcast, want: flood(LearnNew)},
			{in: 0, lvid: 1, src: vm(3), dst: bcast, want: flood(LearnNew)},
		})
		// Port 4 stops carrying lvid 1; port 0 moves to lvid 2.
		if err := s.SetMembership(Membership{0: {2}, 1: {1}, 4: {2}}); err != nil {
			t.Fatal(err)
		}
		want := []Entry{{Port: 4, LVID: 2, MAC: vm(2)}}
		if diff := cmp.Diff(want, s.Entries(at(0))); diff != "" {
			t.Errorf("Entries (-want +got):\n%s", diff)
		}
		runFrames(t, s, []frame{
			{in: 1, lvid: 1, src: vm(5), dst: vm(1), want: flood(LearnNew)},
		})
		st := s.Stats()
		if st.Flushed != 2 || st.MACs != 2 {
			t.Errorf("Flushed, MACs = %d, %d, want 2, 2", st.Flushed, st.MACs)
		}
	})
}

func TestStrings(t *testing.T) {
	got := []string{
		Drop.String(), Unicast.String(), Flood.String(),
		DropNone.String(), DropMulticastSource.String(), DropSamePort.String(),
		DropMACLimit.String(), DropInvalidVLAN.String(),
		LearnNone.String(), LearnNew.String(), LearnRefreshed.String(),
		LearnMoved.String(), LearnLimitReached.String(), LearnTableFull.String(),
		vm(0x1ab).String(),
	}
	want := []string{
		"drop", "unicast", "flood",
		"none", "multicast_source", "same_port", "mac_limit", "invalid_vlan",
		"none", "new", "refreshed", "moved", "limit_reached", "table_full",
		"fa:16:3e:00:01:ab",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if !bcast.IsMulticast() || !mcast.IsMulticast() || vm(1).IsMulticast() {
		t.Error("IsMulticast: want true for broadcast and multicast, false for a VM")
	}
	if NumDropReasons != 5 {
		t.Errorf("NumDropReasons = %d, want 5", NumDropReasons)
	}
}

func TestForwardAllocs(t *testing.T) {
	s := mustSwitch(t, Config{}, twoNets)
	a, b := vm(1), vm(2)
	s.Forward(0, 1, &b, &a, at(0))
	s.Forward(1, 1, &a, &b, at(0))
	now := at(0)
	n := testing.AllocsPerRun(1000, func() {
		now += int64(10 * time.Millisecond) // crosses refreshes too
		s.Forward(0, 1, &b, &a, now)
		s.Forward(1, 1, &a, &b, now)
		s.Forward(1, 1, &bcast, &b, now)
	})
	if n != 0 {
		t.Errorf("Forward allocates %v times per run, want 0", n)
	}
}
