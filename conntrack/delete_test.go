package conntrack

import "testing"

// DeleteIf removes exactly the connections its filter picks, in any
// zone asked for, and says how many.
func TestDeleteIf(t *testing.T) {
	e := newEnv(t, Config{})
	for sport := uint16(1); sport <= 10; sport++ {
		e.pass(udpFrame(cliIP, srvIP, sport, 53), 1)
		e.pass(udpFrame(cliIP, srvIP, sport, 53), 2)
	}
	n := e.tab.DeleteIf(e.now, func(i Info) bool { return i.Zone == 2 && i.Orig.SPort%2 == 0 })
	if n != 5 {
		t.Fatalf("deleted %d, want 5", n)
	}
	left := map[uint16]int{}
	e.tab.Each(e.now, func(i Info) bool {
		if i.Zone == 2 && i.Orig.SPort%2 == 0 {
			t.Errorf("left %v", i.Orig)
		}
		left[i.Zone]++
		return true
	})
	if left[1] != 10 || left[2] != 5 {
		t.Fatalf("left %v", left)
	}
	if n := e.tab.DeleteIf(e.now, func(Info) bool { return false }); n != 0 {
		t.Fatalf("deleted %d with a filter that picks nothing", n)
	}
}
