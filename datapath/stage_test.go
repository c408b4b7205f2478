package datapath

import (
	"testing"

	l2switch "neutrino/switch"
)

// TestReasonNamesUnique: Counters.Drops sums drops by reason name over the
// stages, so no two reasons of different packages may share a name.
func TestReasonNamesUnique(t *testing.T) {
	n := &Node{}
	seen := map[string]string{}
	check := func(s Stage, r uint8) {
		name := n.reasonName(s, r)
		if name == "unknown" || name == "" {
			t.Errorf("stage %s reason %d has no name", s, r)
			return
		}
		where := s.String()
		if s == StagePortIn || s == StagePortOut || s == StageGraph {
			where = "datapath"
		}
		if prev, ok := seen[name]; ok && prev != where {
			t.Errorf("reason %q named in both %s and %s", name, prev, where)
		}
		seen[name] = where
	}
	for r := Reason(1); r < NumReasons; r++ {
		check(StagePortIn, uint8(r))
	}
	for r := l2switch.DropReason(1); r < l2switch.NumDropReasons; r++ {
		check(StageBridge, uint8(r))
	}
	if NumReasons > maxReasons || l2switch.NumDropReasons > maxReasons {
		t.Fatalf("more reasons than counters per stage (%d)", maxReasons)
	}
}
