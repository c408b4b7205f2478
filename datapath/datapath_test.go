package datapath

import (
	"encoding/binary"
	"testing"

	"github.com/google/go-cmp/cmp"

	"neutrino/link/mem"
	"neutrino/packet"
)

// send runs frames through the node as if read from port in.
func send(t testing.TB, n *Node, in string, frames ...[]byte) {
	t.Helper()
	idx, ok := n.PortIndex(in)
	if !ok {
		t.Fatalf("no port %s", in)
	}
	w := n.NewWorker(len(frames))
	bufs := make([]*packet.Buffer, len(frames))
	for i, f := range frames {
		bufs[i] = packet.NewBuffer(packet.MaxFrame)
		bufs[i].SetData(f)
	}
	n.Process(w, idx, bufs)
}

// received returns how many frames each port's endpoint got, and clears.
func received(eps map[string]*mem.Endpoint) map[string]int {
	got := map[string]int{}
	for name, e := range eps {
		if c := e.Count(); c > 0 {
			got[name] = c
		}
	}
	return got
}

func vidOf(f []byte) uint16 {
	if binary.BigEndian.Uint16(f[12:14]) != 0x8100 {
		return 0
	}
	return binary.BigEndian.Uint16(f[14:16]) & 0xfff
}

func TestForwarding(t *testing.T) {
	n, eps := memNode(t, twoNetSpec(), Options{})
	r1, r2, b1 := mac(0x11), mac(0x12), mac(0x21)

	// Broadcast from r1 floods red only: r2 untagged, the uplink with tag 101.
	send(t, n, "r1", udpFrame(t, r1, broadcast, 0, 10))
	if diff := cmp.Diff(map[string]int{"r2": 1, "physnet1": 1}, received(eps)); diff != "" {
		t.Fatalf("broadcast from r1 (-want +got):\n%s", diff)
	}
	if got := vidOf(eps["physnet1"].Sent()[0].Data); got != 101 {
		t.Errorf("uplink frame tag = %d, want 101", got)
	}
	if got := vidOf(eps["r2"].Sent()[0].Data); got != 0 {
		t.Errorf("r2 frame tag = %d, want untagged", got)
	}

	// r2 answers r1: r1 was learned, so only r1 gets it.
	send(t, n, "r2", udpFrame(t, r2, r1, 0, 10))
	if diff := cmp.Diff(map[string]int{"r1": 1, "r2": 1, "physnet1": 1}, received(eps)); diff != "" {
		t.Fatalf("unicast r2->r1 (-want +got):\n%s", diff)
	}

	// From the uplink with tag 102: blue's b1 gets it untagged.
	send(t, n, "physnet1", udpFrame(t, mac(0x99), b1, 102, 30))
	if got := eps["b1"].Count(); got != 1 {
		t.Fatalf("b1 got %d frames, want 1", got)
	}
	if got := vidOf(eps["b1"].Sent()[0].Data); got != 0 {
		t.Errorf("b1 frame tag = %d, want untagged", got)
	}
	if diff := cmp.Diff(udpFrame(t, mac(0x99), b1, 0, 30), eps["b1"].Sent()[0].Data); diff != "" {
		t.Errorf("tag not stripped cleanly (-want +got):\n%s", diff)
	}

	// Untagged from the uplink belongs to the flat network.
	send(t, n, "physnet1", udpFrame(t, mac(0x98), broadcast, 0, 10))
	if got := eps["e1"].Count(); got != 1 {
		t.Errorf("e1 got %d frames, want 1", got)
	}
	// A tag of no network is dropped and counted.
	send(t, n, "physnet1", udpFrame(t, mac(0x97), broadcast, 999, 10))
	// A tagged frame from a VM port is dropped and counted.
	send(t, n, "r1", udpFrame(t, r1, broadcast, 101, 10))
	// A runt.
	send(t, n, "r1", []byte{1, 2, 3})
	// Over the MTU without GSO metadata.
	send(t, n, "r1", udpFrame(t, r1, r2, 0, 1500))

	want := map[string]uint64{"unknown_vlan": 1, "tagged_on_access_port": 1, "runt": 1, "oversize": 1}
	if diff := cmp.Diff(want, n.Counters().Drops); diff != "" {
		t.Errorf("drops (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{"r1": 1, "r2": 1, "physnet1": 1, "b1": 1, "e1": 1}, received(eps)); diff != "" {
		t.Errorf("dropped frames leaked out (-want +got):\n%s", diff)
	}
}

func TestUnicastAllocatesNothing(t *testing.T) {
	n, _ := memNode(t, twoNetSpec(), Options{}, mem.AsSink())
	r1, r2 := mac(0x11), mac(0x12)
	send(t, n, "r2", udpFrame(t, r2, broadcast, 0, 10))
	w := n.NewWorker(64)
	bufs := make([]*packet.Buffer, 64)
	frame := udpFrame(t, r1, r2, 0, 18)
	for i := range bufs {
		bufs[i] = packet.NewBuffer(2048)
		bufs[i].SetData(frame)
	}
	allocs := testing.AllocsPerRun(100, func() { n.Process(w, 0, bufs) })
	if allocs != 0 {
		t.Errorf("Process allocates %.1f times per batch, want 0", allocs)
	}
	// Flooding to the uplink (tag push and pop) allocates nothing either.
	flood := udpFrame(t, r1, broadcast, 0, 18)
	for _, b := range bufs {
		b.SetData(flood)
	}
	allocs = testing.AllocsPerRun(100, func() { n.Process(w, 0, bufs) })
	if allocs != 0 {
		t.Errorf("flooding Process allocates %.1f times per batch, want 0", allocs)
	}
	if got := bufs[0].Data(); vidOf(got) != 0 || len(got) != len(flood) {
		t.Errorf("frame not restored after the uplink's tag: %x", got[:16])
	}
}
