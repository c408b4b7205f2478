package nat

import (
	"testing"
	"time"

	"neutrino/conntrack"
	"neutrino/packet/header"
)

func TestSNATReply(t *testing.T) {
	tests := []struct {
		name string
		orig conntrack.Key
		want conntrack.Key
	}{
		{"tcp", conntrack.Key{Src: vmIP, Dst: extIP, SPort: 40000, DPort: 5201, Zone: 3, Proto: header.ProtoTCP},
			conntrack.Key{Src: extIP, Dst: gwIP, SPort: 5201, DPort: 1500, Zone: 3, Proto: header.ProtoTCP}},
		{"udp", conntrack.Key{Src: vmIP, Dst: extIP, SPort: 40000, DPort: 9000, Zone: 3, Proto: header.ProtoUDP},
			conntrack.Key{Src: extIP, Dst: gwIP, SPort: 9000, DPort: 1500, Zone: 3, Proto: header.ProtoUDP}},
		{"echo", conntrack.Key{Src: vmIP, Dst: extIP, SPort: 7, DPort: 7, Zone: 3, Proto: header.ProtoICMP, EchoRequest: 1},
			conntrack.Key{Src: extIP, Dst: gwIP, SPort: 1500, DPort: 1500, Zone: 3, Proto: header.ProtoICMP}},
		{"gre: no ports", conntrack.Key{Src: vmIP, Dst: extIP, Zone: 3, Proto: 47},
			conntrack.Key{Src: extIP, Dst: gwIP, Zone: 3, Proto: 47}},
	}
	for _, tt := range tests {
		if got := SNATReply(tt.orig, gwIP, 1500); got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func TestDNATReply(t *testing.T) {
	orig := conntrack.Key{Src: extIP, Dst: fipIP, SPort: 51000, DPort: 22, Zone: 3, Proto: header.ProtoTCP}
	want := conntrack.Key{Src: vmIP, Dst: extIP, SPort: 22, DPort: 51000, Zone: 3, Proto: header.ProtoTCP}
	if got := DNATReply(orig, vmIP); got != want {
		t.Errorf("%+v, want %+v", got, want)
	}
}

func TestAddrsOf(t *testing.T) {
	k := conntrack.Key{Src: extIP, Dst: gwIP, SPort: 1, DPort: 2, Zone: 9, Proto: header.ProtoUDP}
	if got, want := AddrsOf(k), (Addrs{extIP, gwIP, 1, 2}); got != want {
		t.Errorf("%+v, want %+v", got, want)
	}
}

// router is the NAT half of a router datapath around a conntrack table,
// enough to run packets through SNAT and DNAT as the tests need.
type router struct {
	t     *testing.T
	tab   *conntrack.Table
	alloc *Allocator
	now   int64
}

const zone = 1

func newRouter(t *testing.T) *router {
	return &router{t: t, tab: conntrack.New(conntrack.Config{}), alloc: NewAllocator(7),
		now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()}
}

// snat tracks a NEW packet leaving by the gateway, picks its source port
// (or echo id), commits the connection and rewrites the frame.
func (r *router) snat(f []byte) conntrack.Key {
	r.t.Helper()
	l := parse(r.t, f)
	v := r.tab.Track(f, l, zone, r.now)
	if v.State != conntrack.StateNew {
		r.t.Fatalf("state %v, want NEW", v.State)
	}
	k := v.Key()
	free := func(p uint16) bool {
		_, _, used := r.tab.Lookup(SNATReply(k, gwIP, p), r.now)
		return !used
	}
	var p uint16
	var ok bool
	if k.Proto == header.ProtoICMP {
		p, ok = r.alloc.PickID(k.SPort, free)
	} else {
		p, ok = r.alloc.Pick(k.SPort, free)
	}
	if !ok {
		r.t.Fatal("no port")
	}
	reply := SNATReply(k, gwIP, p)
	if _, why := r.tab.CommitReply(&v, reply, r.now); why != conntrack.RefusedNone {
		r.t.Fatalf("CommitReply: %v", why)
	}
	Rewrite(f, l, AddrsOf(reply.Invert()), false)
	return reply
}

// dnat is snat for a NEW packet to a floating IP, translated to fixed.
func (r *router) dnat(f []byte, fixed [4]byte) {
	r.t.Helper()
	l := parse(r.t, f)
	v := r.tab.Track(f, l, zone, r.now)
	reply := DNATReply(v.Key(), fixed)
	if _, why := r.tab.CommitReply(&v, reply, r.now); why != conntrack.RefusedNone {
		r.t.Fatalf("CommitReply: %v", why)
	}
	Rewrite(f, l, AddrsOf(reply.Invert()), false)
}

// forward tracks a packet of a known connection and rewrites it for its
// direction.
func (r *router) forward(f []byte) {
	r.t.Helper()
	l := parse(r.t, f)
	v := r.tab.Track(f, l, zone, r.now)
	if v.State != conntrack.StateEstablished {
		r.t.Fatalf("state %v, want ESTABLISHED", v.State)
	}
	orig, reply, _ := v.Conn.Tuples()
	if v.Dir == conntrack.Reply {
		Rewrite(f, l, AddrsOf(orig.Invert()), false)
	} else {
		Rewrite(f, l, AddrsOf(reply.Invert()), false)
	}
}

// related translates an ICMP error back as Linux does: the quoted packet,
// whose tuple inverted is the error's, gets the tuple it had before
// translation, and each outer address the connection translates in the
// error's direction is translated too (an error from a router on the way
// keeps its source).
func (r *router) related(f []byte) {
	r.t.Helper()
	l := parse(r.t, f)
	v := r.tab.Track(f, l, zone, r.now)
	if v.State != conntrack.StateRelated {
		r.t.Fatalf("state %v, want RELATED", v.State)
	}
	in, proto, ok := ICMPErrorInner(f, l)
	if !ok {
		r.t.Fatal("ICMPErrorInner: not ok")
	}
	k := conntrack.Key{Src: in.Src, Dst: in.Dst, SPort: in.SPort, DPort: in.DPort, Zone: zone, Proto: proto}
	ref, dir, ok := r.tab.Lookup(k.Invert(), r.now)
	if !ok {
		r.t.Fatal("quoted packet's connection not found")
	}
	orig, reply, _ := ref.Tuples()
	seen, quotedTo := reply, orig // the error's tuple as seen, the quote's after
	if dir == conntrack.Original {
		seen, quotedTo = orig, reply
	}
	target := quotedTo.Invert()
	outer := header.IPv4(f[l.L3:])
	src, dst := outer.Src(), outer.Dst()
	if seen.Src != target.Src {
		src = target.Src
	}
	if seen.Dst != target.Dst {
		dst = target.Dst
	}
	if !RewriteICMPError(f, l, src, dst, AddrsOf(quotedTo)) {
		r.t.Fatal("RewriteICMPError refused")
	}
}

// TestNATThroughConntrack runs SNAT, DNAT and their ICMP errors through a
// conntrack table: port choice, reply tuples, and every rewritten frame
// checked by the oracle and by what it carries.
func TestNATThroughConntrack(t *testing.T) {
	r := newRouter(t)
	expect := func(f []byte, want Addrs) {
		t.Helper()
		verifyChecksums(t, f)
		if got := carried(f, parse(t, f)); got != want {
			t.Errorf("carries %+v, want %+v", got, want)
		}
	}

	// Two VMs use the same source port to the same server: the first
	// keeps it, the second gets another of its class.
	f1 := udpFrame(t, vmIP, extIP, 40000, 9000, 30)
	r1 := r.snat(f1)
	expect(f1, Addrs{gwIP, extIP, 40000, 9000})
	f2 := udpFrame(t, vm2IP, extIP, 40000, 9000, 30)
	r2 := r.snat(f2)
	if r2.DPort == 40000 || r2.DPort < 1024 {
		t.Errorf("second VM got port %d", r2.DPort)
	}
	expect(f2, Addrs{gwIP, extIP, r2.DPort, 9000})

	// Replies go back to their VMs.
	back1 := udpFrame(t, extIP, gwIP, 9000, r1.DPort, 5)
	r.forward(back1)
	expect(back1, Addrs{extIP, vmIP, 9000, 40000})
	back2 := udpFrame(t, extIP, gwIP, 9000, r2.DPort, 5)
	r.forward(back2)
	expect(back2, Addrs{extIP, vm2IP, 9000, 40000})

	// A router on the way reports the second VM's datagram: the error
	// reaches the VM quoting the datagram as the VM sent it.
	wire2 := udpFrame(t, gwIP, extIP, r2.DPort, 9000, 30)
	e := icmpErrorFrame(t, hopIP, gwIP, 11, 0, wire2, 1000)
	r.related(e)
	verifyChecksums(t, e)
	l := parse(t, e)
	if ip := header.IPv4(e[l.L3:]); ip.Src() != hopIP || ip.Dst() != vm2IP {
		t.Errorf("error goes %v -> %v", ip.Src(), ip.Dst())
	}
	if in, _, _ := ICMPErrorInner(e, l); in != (Addrs{vm2IP, extIP, 40000, 9000}) {
		t.Errorf("error quotes %+v", in)
	}

	// Pings with the same id get different ids on the wire.
	p1 := echoFrame(t, vmIP, extIP, header.ICMPv4Echo, 1)
	e1 := r.snat(p1)
	p2 := echoFrame(t, vm2IP, extIP, header.ICMPv4Echo, 1)
	e2 := r.snat(p2)
	if e1.DPort != 1 || e2.DPort == 1 {
		t.Errorf("echo ids %d and %d", e1.DPort, e2.DPort)
	}
	expect(p2, Addrs{gwIP, extIP, e2.DPort, e2.DPort})
	pong := echoFrame(t, extIP, gwIP, header.ICMPv4EchoReply, e2.DPort)
	r.forward(pong)
	expect(pong, Addrs{extIP, vm2IP, 1, 1})

	// A floating IP: in to the fixed IP, back from the floating IP, and
	// the VM's own error about an inbound segment leaves from it too.
	syn := synFrame(t, extIP, fipIP, 51000, 22, false)
	r.dnat(syn, vmIP)
	expect(syn, Addrs{extIP, vmIP, 51000, 22})
	synack := synFrame(t, vmIP, extIP, 22, 51000, true)
	r.forward(synack)
	expect(synack, Addrs{fipIP, extIP, 22, 51000})
	unreach := icmpErrorFrame(t, vmIP, extIP, 3, 3, syn, 1000)
	r.related(unreach)
	verifyChecksums(t, unreach)
	l = parse(t, unreach)
	if ip := header.IPv4(unreach[l.L3:]); ip.Src() != fipIP || ip.Dst() != extIP {
		t.Errorf("VM's error goes %v -> %v", ip.Src(), ip.Dst())
	}
	if in, _, _ := ICMPErrorInner(unreach, l); in != (Addrs{extIP, fipIP, 51000, 22}) {
		t.Errorf("VM's error quotes %+v", in)
	}
}
