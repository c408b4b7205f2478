package l2switch

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// t0 is the fake clock's start; tests express times as offsets from it.
var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC).UnixNano()

func at(d time.Duration) int64 { return t0 + int64(d) }

// vm returns the Neutron-style MAC fa:16:3e:00:hi:lo for n.
func vm(n int) MAC { return MAC{0xfa, 0x16, 0x3e, 0, byte(n >> 8), byte(n)} }

var (
	bcast = MAC{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	mcast = MAC{0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb} // 224.0.0.251 (mDNS)
	v6mc  = MAC{0x33, 0x33, 0x00, 0x00, 0x00, 0x01} // ff02::1
)

// frame is one Forward call and the decision it should get.
type frame struct {
	at       time.Duration
	in       PortID
	lvid     uint16
	src, dst MAC
	want     Decision
}

// runFrames forwards frames in order and diffs the decisions.
func runFrames(t *testing.T, s *Switch, frames []frame) {
	t.Helper()
	var want, got []Decision
	for _, f := range frames {
		want = append(want, f.want)
		got = append(got, s.Forward(f.in, f.lvid, &f.dst, &f.src, at(f.at)))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decisions (-want +got):\n%s", diff)
	}
}

// mustSwitch returns a switch with membership m.
func mustSwitch(t testing.TB, cfg Config, m Membership) *Switch {
	t.Helper()
	s := New(cfg)
	if err := s.SetMembership(m); err != nil {
		t.Fatalf("SetMembership: %v", err)
	}
	return s
}

func unicast(p PortID, l LearnResult) Decision {
	return Decision{Action: Unicast, Port: p, Learn: l}
}

func flood(l LearnResult) Decision { return Decision{Action: Flood, Learn: l} }

func drop(r DropReason, l LearnResult) Decision {
	return Decision{Action: Drop, Drop: r, Learn: l}
}
