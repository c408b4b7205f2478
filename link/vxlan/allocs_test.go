package vxlan

import (
	"net/netip"
	"testing"

	"neutrino/packet"
)

// roundTrip writes in through e and reads every frame back into out.
func roundTrip(t testing.TB, e *Endpoint, in, out []*packet.Buffer) {
	if _, err := e.WriteBatch(in); err != nil {
		t.Fatal(err)
	}
	for got := 0; got < len(in); {
		n, err := e.ReadBatch(out)
		if err != nil {
			t.Fatal(err)
		}
		got += n
	}
}

// Encapsulation and decapsulation allocate nothing once the endpoint's
// buffers exist: a batch of small frames, and a TCP super-frame cut into
// a train and coalesced again.
func TestEncapDecapAllocs(t *testing.T) {
	small := bufs(64)
	for i, x := range small {
		x.SetData(udpFrame(t, i))
		x.Meta.Tunnel = packet.Tunnel{VNI: 100, VTEP: 1}
	}
	for _, tc := range []struct {
		name string
		in   []*packet.Buffer
	}{
		{"64 small frames", small},
		{"TCP super-frame", []*packet.Buffer{superFrame(t, 64000, 1398)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := New("t", newLoop(len(tc.in)), []netip.Addr{addrA}, 0, 1450)
			out := bufs(len(tc.in))
			roundTrip(t, e, tc.in, out) // the endpoint's buffers are made on first use
			if n := testing.AllocsPerRun(100, func() { roundTrip(t, e, tc.in, out) }); n != 0 {
				t.Errorf("%v allocations per round trip, want 0", n)
			}
		})
	}
}
