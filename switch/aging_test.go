package l2switch

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"neutrino/internal/clock"
)

func TestAging(t *testing.T) {
	tests := []struct {
		name   string
		cfg    Config
		frames []frame
	}{{
		name: "entry present at 299 s, gone at 301 s",
		frames: []frame{
			{at: 0, in: 0, lvid: 1, src: vm(1), dst: bcast, want: flood(LearnNew)},
			{at: 299 * time.Second, in: 1, lvid: 1, src: vm(2), dst: vm(1), want: unicast(0, LearnNew)},
			{at: 301 * time.Second, in: 1, lvid: 1, src: vm(2), dst: vm(1), want: flood(LearnRefreshed)},
		},
	}, {
		name: "gone exactly at the aging time",
		frames: []frame{
			{at: 0, in: 0, lvid: 1, src: vm(1), dst: bcast, want: flood(LearnNew)},
			{at: 300*time.Second - time.Millisecond, in: 1, lvid: 1, src: vm(2), dst: vm(1), want: unicast(0, LearnNew)},
			{at: 300 * time.Second, in: 1, lvid: 1, src: vm(2), dst: vm(1), want: flood(LearnNone)},
		},
	}, {
		name: "refresh extends the entry",
		frames: []frame{
			{at: 0, in: 0, lvid: 1, src: vm(1), dst: bcast, want: flood(LearnNew)},
			{at: 100 * time.Second, in: 0, lvid: 1, src: vm(1), dst: bcast, want: flood(LearnRefreshed)},
			{at: 399 * time.Second, in: 1, lvid: 1, src: vm(2), dst: vm(1), want: unicast(0, LearnNew)},
			{at: 401 * time.Second, in: 1, lvid: 1, src: vm(2), dst: vm(1), want: flood(LearnRefreshed)},
		},
	}, {
		name: "an aged entry is relearned as new, not moved",
		frames: []frame{
			{at: 0, in: 0, lvid: 1, src: vm(1), dst: bcast, want: flood(LearnNew)},
			{at: 400 * time.Second, in: 1, lvid: 1, src: vm(1), dst: bcast, want: flood(LearnNew)},
			{at: 500 * time.Second, in: 0, lvid: 1, src: vm(1), dst: bcast, want: flood(LearnMoved)},
			{at: 900 * time.Second, in: 0, lvid: 1, src: vm(1), dst: bcast, want: flood(LearnNew)},
		},
	}, {
		name: "short aging time refreshes every AgingTime/8",
		cfg:  Config{AgingTime: 2 * time.Second},
		frames: []frame{
			{at: 0, in: 0, lvid: 1, src: vm(1), dst: bcast, want: flood(LearnNew)},
			{at: 200 * time.Millisecond, in: 0, lvid: 1, src: vm(1), dst: bcast, want: flood(LearnNone)},
			{at: 250 * time.Millisecond, in: 0, lvid: 1, src: vm(1), dst: bcast, want: flood(LearnRefreshed)},
			{at: 2249 * time.Millisecond, in: 1, lvid: 1, src: vm(2), dst: vm(1), want: unicast(0, LearnNew)},
			{at: 2250 * time.Millisecond, in: 1, lvid: 1, src: vm(2), dst: vm(1), want: flood(LearnNone)},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runFrames(t, mustSwitch(t, tt.cfg, twoNets), tt.frames)
		})
	}
}

func TestExpireAndEntries(t *testing.T) {
	clk := clock.NewFake(time.Unix(0, t0))
	s := mustSwitch(t, Config{}, twoNets)
	fwd := func(in PortID, src MAC) {
		s.Forward(in, 1, &bcast, &src, clk.Now())
	}
	fwd(0, vm(1))
	fwd(1, vm(2))
	clk.Advance(200 * time.Second)
	fwd(2, vm(3))

	steps := []struct {
		advance     time.Duration // then Expire
		wantExpired int
		wantEntries []Entry
	}{
		{0, 0, []Entry{
			{Port: 0, LVID: 1, MAC: vm(1), Age: 200 * time.Second},
			{Port: 1, LVID: 1, MAC: vm(2), Age: 200 * time.Second},
			{Port: 2, LVID: 1, MAC: vm(3)},
		}},
		{99 * time.Second, 0, []Entry{
			{Port: 0, LVID: 1, MAC: vm(1), Age: 299 * time.Second},
			{Port: 1, LVID: 1, MAC: vm(2), Age: 299 * time.Second},
			{Port: 2, LVID: 1, MAC: vm(3), Age: 99 * time.Second},
		}},
		{1 * time.Second, 2, []Entry{
			{Port: 2, LVID: 1, MAC: vm(3), Age: 100 * time.Second},
		}},
		{200 * time.Second, 1, nil},
		{time.Hour, 0, nil},
	}
	for i, st := range steps {
		clk.Advance(st.advance)
		if n := s.Expire(clk.Now()); n != st.wantExpired {
			t.Errorf("step %d: Expire = %d, want %d", i, n, st.wantExpired)
		}
		if diff := cmp.Diff(st.wantEntries, s.Entries(clk.Now())); diff != "" {
			t.Errorf("step %d: Entries (-want +got):\n%s", i, diff)
		}
	}
	want := Stats{Learned: 3, Aged: 3, Ports: make([]PortStats, 5)}
	if diff := cmp.Diff(want, s.Stats()); diff != "" {
		t.Errorf("Stats (-want +got):\n%s", diff)
	}
}

func TestEntriesHidesAgedBeforeExpire(t *testing.T) {
	s := mustSwitch(t, Config{}, twoNets)
	runFrames(t, s, []frame{
		{at: 0, in: 0, lvid: 1, src: vm(1), dst: bcast, want: flood(LearnNew)},
		{at: 10 * time.Second, in: 1, lvid: 1, src: vm(2), dst: bcast, want: flood(LearnNew)},
	})
	want := []Entry{{Port: 1, LVID: 1, MAC: vm(2), Age: 295 * time.Second}}
	if diff := cmp.Diff(want, s.Entries(at(305*time.Second))); diff != "" {
		t.Errorf("Entries (-want +got):\n%s", diff)
	}
	// Not removed yet: it still counts against port 0 until Expire.
	if got := s.Stats().Ports[0].MACs; got != 1 {
		t.Errorf("port 0 MACs before Expire = %d, want 1", got)
	}
}

func TestFlushPort(t *testing.T) {
	s := mustSwitch(t, Config{}, twoNets)
	runFrames(t, s, []frame{
		{in: 0, lvid: 1, src: vm(1), dst: bcast, want: flood(LearnNew)},
		{in: 1, lvid: 1, src: vm(2), dst: bcast, want: flood(LearnNew)},
		{in: 0, lvid: 1, src: vm(3), dst: bcast, want: flood(LearnNew)},
		{in: 4, lvid: 2, src: vm(4), dst: bcast, want: flood(LearnNew)},
	})
	s.FlushPort(0)
	s.FlushPort(3) // nothing learned there
	want := []Entry{
		{Port: 1, LVID: 1, MAC: vm(2)},
		{Port: 4, LVID: 2, MAC: vm(4)},
	}
	if diff := cmp.Diff(want, s.Entries(at(0))); diff != "" {
		t.Errorf("Entries (-want +got):\n%s", diff)
	}
	runFrames(t, s, []frame{
		{in: 1, lvid: 1, src: vm(2), dst: vm(1), want: flood(LearnNone)},
		{in: 2, lvid: 1, src: vm(3), dst: vm(2), want: unicast(1, LearnNew)},
	})
	wantStats := Stats{
		MACs: 3, Learned: 5, Flushed: 2,
		Ports: []PortStats{{}, {MACs: 1}, {MACs: 1}, {}, {MACs: 1}},
	}
	if diff := cmp.Diff(wantStats, s.Stats()); diff != "" {
		t.Errorf("Stats (-want +got):\n%s", diff)
	}
}

func TestMACLimit(t *testing.T) {
	limited := drop(DropMACLimit, LearnLimitReached)
	tests := []struct {
		name      string
		frames    []frame
		flush     bool // FlushPort(0) after the frames, then forward after
		after     []frame
		wantStats Stats
	}{{
		name: "new MACs beyond the limit are dropped, known ones keep working",
		frames: []frame{
			{in: 0, lvid: 1, src: vm(1), dst: bcast, want: flood(LearnNew)},
			{in: 0, lvid: 1, src: vm(2), dst: bcast, want: flood(LearnNew)},
			{in: 0, lvid: 1, src: vm(3), dst: bcast, want: limited},
			{in: 0, lvid: 1, src: vm(1), dst: vm(9), want: flood(LearnNone)},
			{in: 1, lvid: 1, src: vm(9), dst: vm(2), want: unicast(0, LearnNew)},
			{in: 1, lvid: 1, src: vm(3), dst: vm(1), want: unicast(0, LearnNew)},
		},
		wantStats: Stats{
			MACs: 4, Learned: 4, LimitDrops: 1,
			Ports: []PortStats{{MACs: 2, LimitDrops: 1}, {MACs: 2}, {}, {}, {}},
		},
	}, {
		name: "a MAC cannot move onto a full port",
		frames: []frame{
			{in: 0, lvid: 1, src: vm(1), dst: bcast, want: flood(LearnNew)},
			{in: 0, lvid: 1, src: vm(2), dst: bcast, want: flood(LearnNew)},
			{in: 1, lvid: 1, src: vm(3), dst: bcast, want: flood(LearnNew)},
			{in: 0, lvid: 1, src: vm(3), dst: bcast, want: limited},
			{in: 2, lvid: 1, src: vm(7), dst: vm(3), want: unicast(1, LearnNew)},
			// Moving away from the full port frees a place.
			{in: 1, lvid: 1, src: vm(1), dst: bcast, want: flood(LearnMoved)},
			{in: 0, lvid: 1, src: vm(3), dst: bcast, want: flood(LearnMoved)},
		},
		wantStats: Stats{
			MACs: 4, Learned: 4, Moved: 2, LimitDrops: 1,
			Ports: []PortStats{{MACs: 2, LimitDrops: 1}, {MACs: 1}, {MACs: 1}, {}, {}},
		},
	}, {
		name: "recovery once entries age out, before any Expire",
		frames: []frame{
			{at: 0, in: 0, lvid: 1, src: vm(1), dst: bcast, want: flood(LearnNew)},
			{at: 0, in: 0, lvid: 1, src: vm(2), dst: bcast, want: flood(LearnNew)},
			{at: 10 * time.Second, in: 0, lvid: 1, src: vm(2), dst: bcast, want: flood(LearnRefreshed)},
			{at: 299 * time.Second, in: 0, lvid: 1, src: vm(3), dst: bcast, want: limited},
			{at: 301 * time.Second, in: 0, lvid: 1, src: vm(3), dst: bcast, want: flood(LearnNew)},
			{at: 302 * time.Second, in: 0, lvid: 1, src: vm(4), dst: bcast, want: limited},
			{at: 311 * time.Second, in: 0, lvid: 1, src: vm(4), dst: bcast, want: flood(LearnNew)},
		},
		wantStats: Stats{
			MACs: 2, Learned: 4, Aged: 2, LimitDrops: 2,
			Ports: []PortStats{{MACs: 2, LimitDrops: 2}, {}, {}, {}, {}},
		},
	}, {
		name: "recovery after FlushPort",
		frames: []frame{
			{in: 0, lvid: 1, src: vm(1), dst: bcast, want: flood(LearnNew)},
			{in: 0, lvid: 1, src: vm(2), dst: bcast, want: flood(LearnNew)},
			{in: 0, lvid: 1, src: vm(3), dst: bcast, want: limited},
		},
		flush: true,
		after: []frame{
			{in: 0, lvid: 1, src: vm(3), dst: bcast, want: flood(LearnNew)},
		},
		wantStats: Stats{
			MACs: 1, Learned: 3, Flushed: 2, LimitDrops: 1,
			Ports: []PortStats{{MACs: 1, LimitDrops: 1}, {}, {}, {}, {}},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustSwitch(t, Config{MaxMACsPerPort: 2}, twoNets)
			runFrames(t, s, tt.frames)
			if tt.flush {
				s.FlushPort(0)
			}
			runFrames(t, s, tt.after)
			if diff := cmp.Diff(tt.wantStats, s.Stats()); diff != "" {
				t.Errorf("Stats (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMACLimitDefaultAndUnlimited(t *testing.T) {
	tests := []struct {
		name      string
		limit     int
		trunk     bool // port 0 exempted with SetUnlimited
		macs      int
		wantMACs  int
		wantDrops uint64
	}{
		{"default 1024", 0, false, 1500, 1024, 1500 - 1024},
		{"unlimited", -1, false, 5000, 5000, 0},
		{"exempt port", 0, true, 1500, 1500, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustSwitch(t, Config{MaxMACsPerPort: tt.limit}, twoNets)
			if tt.trunk {
				s.SetUnlimited(0, true)
			}
			for i := range tt.macs {
				src := vm(i)
				s.Forward(0, 1, &bcast, &src, at(0))
			}
			got := s.Stats().Ports[0]
			want := PortStats{MACs: tt.wantMACs, LimitDrops: tt.wantDrops}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("port 0 (-want +got):\n%s", diff)
			}
			if n := len(s.Entries(at(0))); n != tt.wantMACs {
				t.Errorf("len(Entries) = %d, want %d", n, tt.wantMACs)
			}
		})
	}
}
