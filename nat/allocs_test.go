package nat

import (
	"testing"

	"neutrino/conntrack"
	"neutrino/packet/header"
)

// TestZeroAllocs: the per-packet functions allocate nothing, and neither
// does a port search whose free func closes over the caller's variables
// (the func does not escape, so its closure stays on the stack).
func TestZeroAllocs(t *testing.T) {
	f := tcpFrame(t, vmIP, extIP, 40000, 5201, 1400)
	l := parse(t, f)
	out := Addrs{gwIP, extIP, 1025, 5201}
	back := carried(f, l)
	if n := testing.AllocsPerRun(1000, func() {
		Rewrite(f, l, out, false)
		Rewrite(f, l, back, true)
	}); n != 0 {
		t.Errorf("Rewrite: %v allocs", n)
	}
	e := icmpErrorFrame(t, hopIP, gwIP, 11, 0, udpFrame(t, gwIP, extIP, 1025, 9000, 20), 1000)
	el := parse(t, e)
	inner, _, _ := ICMPErrorInner(e, el)
	if n := testing.AllocsPerRun(1000, func() {
		if _, _, ok := ICMPErrorInner(e, el); !ok {
			t.Fatal("not ok")
		}
		RewriteICMPError(e, el, hopIP, vmIP, Addrs{vmIP, extIP, 40000, 9000})
		RewriteICMPError(e, el, hopIP, gwIP, inner)
	}); n != 0 {
		t.Errorf("RewriteICMPError: %v allocs", n)
	}

	tab := conntrack.New(conntrack.Config{})
	now := int64(1e18)
	k := conntrack.Key{Src: vmIP, Dst: extIP, SPort: 40000, DPort: 9000, Zone: 1, Proto: header.ProtoUDP}
	v := conntrack.NewVerdict(k, now)
	if _, why := tab.CommitReply(&v, SNATReply(k, gwIP, 40000), now); why != conntrack.RefusedNone {
		t.Fatal(why)
	}
	k.Src = vm2IP // same port: 40000 is taken
	a := NewAllocator(1)
	var zero Allocator
	if n := testing.AllocsPerRun(1000, func() {
		free := func(p uint16) bool {
			_, _, used := tab.Lookup(SNATReply(k, gwIP, p), now)
			return !used
		}
		if p, ok := a.Pick(k.SPort, free); !ok || p == 40000 {
			t.Fatal(p, ok)
		}
		if _, ok := zero.PickID(k.SPort, free); !ok {
			t.Fatal("no id")
		}
		if _, ok := a.Pick(k.SPort, func(uint16) bool { return false }); ok {
			t.Fatal("exhaustion not reported")
		}
	}); n != 0 {
		t.Errorf("Pick: %v allocs", n)
	}
}
