package datapath

import (
	"testing"

	"neutrino/link/mem"
	"neutrino/packet"
)

// A broadcast storm from one port is cut to its rate: the burst passes,
// the rest is dropped and counted, and unicast between other ports is
// untouched.
func TestStormControl(t *testing.T) {
	n, eps := memNode(t, twoNetSpec(), Options{StormRate: 100, StormBurst: 10}, mem.AsSink())
	w := n.NewWorker(64)
	storm := make([]*packet.Buffer, 50)
	for i := range storm {
		storm[i] = packet.NewBuffer(2048)
		storm[i].SetData(udpFrame(t, mac(0x11), broadcast, 0, 10))
	}
	n.Process(w, 0, storm) // r1: 50 broadcasts at one instant
	c := n.Counters()
	if c.Drops["storm_control"] != 40 {
		t.Fatalf("storm_control drops = %d, want 40 (50 sent, burst 10)", c.Drops["storm_control"])
	}
	if got := eps["r2"].Count(); got != 10 {
		t.Fatalf("r2 got %d broadcasts, want the burst of 10", got)
	}
	// Unicast is not limited: r2 -> r1 (learned) passes in full.
	uni := make([]*packet.Buffer, 50)
	for i := range uni {
		uni[i] = packet.NewBuffer(2048)
		uni[i].SetData(udpFrame(t, mac(0x12), mac(0x11), 0, 10))
	}
	n.Process(w, 1, uni)
	if got := eps["r1"].Count(); got != 50 {
		t.Fatalf("r1 got %d unicast frames, want 50", got)
	}
}

// A negative rate turns storm control off.
func TestStormControlOff(t *testing.T) {
	n, eps := memNode(t, twoNetSpec(), Options{StormRate: -1}, mem.AsSink())
	bufs := make([]*packet.Buffer, 64)
	for i := range bufs {
		bufs[i] = packet.NewBuffer(2048)
		bufs[i].SetData(udpFrame(t, mac(0x11), broadcast, 0, 10))
	}
	for i := 0; i < 40; i++ {
		n.Process(n.NewWorker(64), 0, bufs)
	}
	if got := eps["r2"].Count(); got != 64*40 {
		t.Fatalf("r2 got %d broadcasts, want all %d", got, 64*40)
	}
}
