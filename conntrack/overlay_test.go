package conntrack

import (
	"math/rand/v2"
	"testing"

	"neutrino/packet/header"
)

// TestOverlaySameVerdicts: packets tracked through an overlay, their NEW
// connections committed into it, get the verdicts the table itself gives
// the same packets tracked and committed for real, and the table under
// the overlay does not change.
func TestOverlaySameVerdicts(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	ref, under := New(Config{TCPLoose: true}), New(Config{TCPLoose: true})
	o := under.NewOverlay()
	now := t0
	for i := 0; i < 20000; i++ {
		now += int64(rng.IntN(50)) * 1e6
		f, l := randomPacket(rng)
		zone := uint16(rng.IntN(2))
		d := o.Track(f, &l, zone, now)
		v := ref.Track(f, &l, zone, now)
		if d.State != v.State || d.Dir != v.Dir || d.Reason != v.Reason {
			t.Fatalf("packet %d: overlay %v/%v/%v, table %v/%v/%v", i, d.State, d.Dir, d.Reason, v.State, v.Dir, v.Reason)
		}
		if v.State == StateNew && !v.Conn.Valid() {
			_, w1 := ref.Commit(&v, now)
			_, w2 := o.Commit(&d, now)
			if w1 != w2 {
				t.Fatalf("packet %d: commit %v in the table, %v in the overlay", i, w1, w2)
			}
		}
	}
	if under.Len() != 0 || under.Stats() != (New(Config{}).Stats()) {
		t.Fatalf("the table under the overlay changed: %d connections, %+v", under.Len(), under.Stats())
	}
	if o.Len() == 0 {
		t.Fatal("the overlay recorded nothing")
	}
}

// TestOverlayNAT: a connection committed into the overlay with NAT's
// reply tuple is found by the translated reply, in the reply direction
// and ESTABLISHED, with both tuples; a reply tuple the table holds is
// refused; the table's own connections are seen through the overlay and
// left as they were.
func TestOverlayNAT(t *testing.T) {
	tab := New(Config{})
	now := t0
	gw := [4]byte{192, 0, 2, 1}
	// In the table: a connection whose reply is to gw port 40000.
	f := udpFrame(srvIP, gw, 53, 40000)
	var l header.Layout
	header.Parse(f, &l)
	v := tab.Track(f, &l, 1, now)
	tab.Commit(&v, now)
	before := dump(tab, now)

	o := tab.NewOverlay()
	f = udpFrame(cliIP, srvIP, 40000, 53)
	header.Parse(f, &l)
	v = o.Track(f, &l, 1, now)
	if v.State != StateNew || v.Conn.Valid() {
		t.Fatalf("first packet: %v", v.State)
	}
	k := v.Key()
	snat := k.Invert()
	snat.Dst = gw
	taken := snat
	taken.Src, taken.Dst, taken.SPort, taken.DPort = gw, srvIP, 40000, 53
	if _, why := o.CommitReply(&v, taken, now); why != RefusedClash {
		t.Fatalf("a reply tuple of the table's: %v, want a clash", why)
	}
	if _, _, ok := o.Lookup(taken, now); !ok {
		t.Fatal("the table's connection is not seen through the overlay")
	}
	snat.DPort = 40001
	if _, _, ok := o.Lookup(snat, now); ok {
		t.Fatal("a free reply tuple is taken")
	}
	if _, why := o.CommitReply(&v, snat, now); why != RefusedNone {
		t.Fatalf("commit: %v", why)
	}
	// The reply, to the translated address and port.
	r := udpFrame(srvIP, gw, 53, 40001)
	header.Parse(r, &l)
	v = o.Track(r, &l, 1, now)
	if v.State != StateEstablished || v.Dir != Reply {
		t.Fatalf("reply: %v %v", v.State, v.Dir)
	}
	orig, reply, ok := v.Conn.Tuples()
	if !ok || orig != k || reply != snat {
		t.Fatalf("tuples %v %v %v, want %v %v", orig, reply, ok, k, snat)
	}
	// Another zone does not see it; the table is as it was.
	if v = o.Track(r, &l, 2, now); v.Conn.Valid() {
		t.Fatal("zone 2 sees zone 1's connection")
	}
	if after := dump(tab, now); after != before || tab.Len() != 1 || o.Len() != 1 {
		t.Fatalf("table changed:\n%s\n---\n%s (overlay %d)", before, after, o.Len())
	}
}

// TestOverlayEmpty: an overlay that recorded nothing allocates nothing
// and answers as TrackDry.
func TestOverlayEmpty(t *testing.T) {
	tab := New(Config{})
	o := tab.NewOverlay()
	f := echoFrame(cliIP, srvIP, header.ICMPv4Echo, 7)
	var l header.Layout
	header.Parse(f, &l)
	allocs := testing.AllocsPerRun(100, func() { o.Track(f, &l, 0, t0) })
	if allocs != 0 || o.Len() != 0 || o.Base() != tab {
		t.Fatalf("%v allocations, %d connections", allocs, o.Len())
	}
}
