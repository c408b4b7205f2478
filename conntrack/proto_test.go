package conntrack

import (
	"encoding/binary"
	"testing"
	"time"

	"neutrino/packet/header"
)

func TestUDPTimeouts(t *testing.T) {
	k := Key{Src: cliIP, Dst: srvIP, SPort: 5353, DPort: 53, Proto: header.ProtoUDP}
	t.Run("unreplied", func(t *testing.T) {
		e := newEnv(t, Config{})
		if v := e.pass(udpFrame(cliIP, srvIP, 5353, 53), 0); v.State != StateNew {
			t.Fatalf("first datagram %v, want NEW", v.State)
		}
		e.advance(10 * time.Second)
		if v := e.pass(udpFrame(cliIP, srvIP, 5353, 53), 0); v.State != StateNew || !v.Conn.Valid() {
			t.Fatalf("second datagram without reply %v (conn %v), want NEW of the existing connection", v.State, v.Conn.Valid())
		}
		if e.tab.Len() != 1 {
			t.Fatalf("%d entries, want 1", e.tab.Len())
		}
		e.advance(30*time.Second - time.Millisecond)
		if _, _, ok := e.tab.Lookup(k, e.now); !ok {
			t.Fatal("gone before 30 s")
		}
		e.advance(time.Millisecond)
		if _, _, ok := e.tab.Lookup(k, e.now); ok {
			t.Fatal("still there 30 s after the last datagram")
		}
	})
	t.Run("replied", func(t *testing.T) {
		e := newEnv(t, Config{})
		e.pass(udpFrame(cliIP, srvIP, 5353, 53), 0)
		e.advance(time.Second)
		v := e.pass(udpFrame(srvIP, cliIP, 53, 5353), 0)
		if v.State != StateEstablished || v.Dir != Reply {
			t.Fatalf("reply %v %v, want ESTABLISHED reply", v.State, v.Dir)
		}
		r, _, _ := e.tab.Lookup(k, e.now)
		in, _ := e.tab.Info(r, e.now)
		if !in.Assured || !in.Replied || in.Timeout != 120 {
			t.Fatalf("after the reply: %+v, want assured, replied, 120 s", in)
		}
		if v := e.pass(udpFrame(cliIP, srvIP, 5353, 53), 0); v.State != StateEstablished {
			t.Fatalf("after a reply the original direction is %v, want ESTABLISHED", v.State)
		}
		e.advance(120*time.Second - time.Millisecond)
		if _, _, ok := e.tab.Lookup(k, e.now); !ok {
			t.Fatal("gone before 120 s")
		}
		e.advance(time.Millisecond)
		if _, _, ok := e.tab.Lookup(k, e.now); ok {
			t.Fatal("still there 120 s after the last datagram")
		}
	})
}

func TestICMPEcho(t *testing.T) {
	e := newEnv(t, Config{})
	if v := e.pass(echoFrame(cliIP, srvIP, header.ICMPv4EchoReply, 7), 0); v.State != StateInvalid || v.Reason != ReasonICMPNoConn {
		t.Errorf("orphan echo reply: %v %v, want INVALID icmp_no_conn", v.State, v.Reason)
	}
	if v := e.pass(echoFrame(cliIP, srvIP, header.ICMPv4Echo, 7), 0); v.State != StateNew {
		t.Errorf("echo request: %v, want NEW", v.State)
	}
	if v := e.pass(echoFrame(srvIP, cliIP, header.ICMPv4EchoReply, 7), 0); v.State != StateEstablished || v.Dir != Reply {
		t.Errorf("echo reply: %v %v, want ESTABLISHED reply", v.State, v.Dir)
	}
	// The peer's own ping with the same identifier is a connection of
	// its own (the type is part of the tuple, as in Linux).
	if v := e.pass(echoFrame(srvIP, cliIP, header.ICMPv4Echo, 7), 0); v.State != StateNew {
		t.Errorf("echo request the other way: %v %v, want NEW", v.State, v.Reason)
	}
	if v := e.pass(echoFrame(cliIP, srvIP, header.ICMPv4Echo, 8), 0); v.State != StateNew {
		t.Errorf("another id: %v, want NEW", v.State)
	}
	if v := e.pass(echoFrame(cliIP, srvIP, header.ICMPv4TimestampReq, 8), 0); v.State != StateInvalid || v.Reason != ReasonICMPType {
		t.Errorf("timestamp request: %v %v, want INVALID icmp_type", v.State, v.Reason)
	}
	k := Key{Src: cliIP, Dst: srvIP, SPort: 7, DPort: 7, Proto: header.ProtoICMP, EchoRequest: 1}
	e.advance(30*time.Second - time.Millisecond)
	if _, _, ok := e.tab.Lookup(k, e.now); !ok {
		t.Fatal("gone before 30 s")
	}
	e.advance(time.Millisecond)
	if _, _, ok := e.tab.Lookup(k, e.now); ok {
		t.Fatal("still there after 30 s")
	}
}

func TestGeneric(t *testing.T) {
	e := newEnv(t, Config{})
	gre := func(src, dst [4]byte) []byte { return frame(src, dst, 47, make([]byte, 8)) }
	if v := e.pass(gre(cliIP, srvIP), 0); v.State != StateNew {
		t.Fatalf("first GRE packet %v", v.State)
	}
	if v := e.pass(gre(srvIP, cliIP), 0); v.State != StateEstablished || v.Dir != Reply {
		t.Fatalf("reply %v %v", v.State, v.Dir)
	}
	k := Key{Src: cliIP, Dst: srvIP, Proto: 47}
	e.advance(600*time.Second - time.Millisecond)
	if _, _, ok := e.tab.Lookup(k, e.now); !ok {
		t.Fatal("gone before 600 s")
	}
	e.advance(time.Millisecond)
	if v := e.track(gre(cliIP, srvIP), 0); v.State != StateNew {
		t.Fatalf("after 600 s: %v, want NEW", v.State)
	}
}

func TestRelated(t *testing.T) {
	e := newEnv(t, Config{})
	syn := tcpFrame(cliIP, srvIP, 40000, 80, fSYN)
	e.pass(syn, 3)
	e.pass(tcpFrame(srvIP, cliIP, 80, 40000, fSYN|fACK), 3)
	udp := udpFrame(cliIP, srvIP, 5353, 53)
	e.pass(udp, 3)
	ping := echoFrame(cliIP, srvIP, header.ICMPv4Echo, 9)
	e.pass(ping, 3)
	// A SNATed connection: 10.0.0.1:1234 -> 8.8.8.8:53 leaves as
	// 172.24.4.10:40001.
	gw, dns := [4]byte{172, 24, 4, 10}, [4]byte{8, 8, 8, 8}
	nat := e.track(udpFrame(cliIP, dns, 1234, 53), 3)
	natReply := Key{Src: dns, Dst: gw, SPort: 53, DPort: 40001, Zone: 3, Proto: header.ProtoUDP}
	if _, why := e.tab.CommitReply(&nat, natReply, e.now); why != RefusedNone {
		t.Fatalf("CommitReply: %v", why)
	}
	onWire := udpFrame(gw, dns, 40001, 53)

	tests := []struct {
		name   string
		f      []byte
		zone   uint16
		state  CtState
		dir    Dir
		reason Reason
	}{
		{"port unreachable about TCP from the server", icmpErrorFrame(srvIP, cliIP, 3, 3, syn, 28), 3, StateRelated, Reply, 0},
		{"TTL exceeded about TCP from a router", icmpErrorFrame(rtrIP, cliIP, 11, 0, syn, 60), 3, StateRelated, Reply, 0},
		{"frag needed about UDP", icmpErrorFrame(rtrIP, cliIP, 3, 4, udp, 28), 3, StateRelated, Reply, 0},
		{"parameter problem about echo", icmpErrorFrame(rtrIP, cliIP, 12, 0, ping, 28), 3, StateRelated, Reply, 0},
		{"error about the reply direction", icmpErrorFrame(rtrIP, srvIP, 3, 1, tcpFrame(srvIP, cliIP, 80, 40000, fACK), 28), 3, StateRelated, Original, 0},
		{"error about a NATed packet on the wire", icmpErrorFrame(dns, gw, 3, 3, onWire, 28), 3, StateRelated, Reply, 0},
		{"other zone", icmpErrorFrame(srvIP, cliIP, 3, 3, syn, 28), 4, StateInvalid, 0, ReasonRelatedNoConn},
		{"unknown connection", icmpErrorFrame(srvIP, cliIP, 3, 3, tcpFrame(cliIP, srvIP, 40001, 80, fSYN), 28), 3, StateInvalid, 0, ReasonRelatedNoConn},
		{"embedded packet cut short", icmpErrorFrame(srvIP, cliIP, 3, 3, syn, 24), 3, StateInvalid, 0, ReasonRelatedBad},
		{"error about an error", icmpErrorFrame(srvIP, cliIP, 3, 3, icmpErrorFrame(cliIP, srvIP, 3, 3, syn, 28), 28), 3, StateInvalid, 0, ReasonRelatedBad},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := e.track(tt.f, tt.zone)
			if v.State != tt.state || v.Reason != tt.reason || (tt.state == StateRelated && v.Dir != tt.dir) {
				t.Errorf("got %v %v dir %v, want %v %v dir %v", v.State, v.Reason, v.Dir, tt.state, tt.reason, tt.dir)
			}
			if tt.state == StateRelated && !v.Conn.Valid() {
				t.Error("RELATED without its connection")
			}
		})
	}
	if e.tab.Len() != 4 {
		t.Errorf("errors created entries: %d, want 4", e.tab.Len())
	}
}

func TestZones(t *testing.T) {
	e := newEnv(t, Config{})
	e.pass(udpFrame(cliIP, srvIP, 5353, 53), 1)
	if v := e.pass(udpFrame(cliIP, srvIP, 5353, 53), 2); v.State != StateNew || v.Conn.Valid() && e.tab.Len() != 2 {
		t.Fatalf("same tuple in zone 2: %v", v.State)
	}
	if e.tab.Len() != 2 {
		t.Fatalf("%d entries, want 2", e.tab.Len())
	}
	if v := e.pass(udpFrame(srvIP, cliIP, 53, 5353), 2); v.State != StateEstablished {
		t.Fatalf("reply in zone 2: %v", v.State)
	}
	if v := e.track(udpFrame(cliIP, srvIP, 5353, 53), 1); v.State != StateNew {
		t.Fatalf("zone 1 saw zone 2's reply: %v", v.State)
	}
}

func TestClash(t *testing.T) {
	e := newEnv(t, Config{})
	gw, dns := [4]byte{172, 24, 4, 10}, [4]byte{8, 8, 8, 8}
	reply := Key{Src: dns, Dst: gw, SPort: 53, DPort: 40001, Proto: header.ProtoUDP}
	a := e.track(udpFrame(cliIP, dns, 1234, 53), 0)
	if _, why := e.tab.CommitReply(&a, reply, e.now); why != RefusedNone {
		t.Fatal(why)
	}
	b := e.track(udpFrame(srvIP, dns, 1234, 53), 0)
	if _, why := e.tab.CommitReply(&b, reply, e.now); why != RefusedClash {
		t.Fatalf("second use of a reply tuple: %v, want clash", why)
	}
	if s := e.tab.Stats(); s.Refused[RefusedClash] != 1 || s.Entries != 1 {
		t.Fatalf("stats %+v", s)
	}
}

func TestEarlyDrop(t *testing.T) {
	const max = 200
	e := newEnv(t, Config{MaxEntries: max})
	// max/2 established TCP connections, max/2 unreplied UDP ones.
	for i := 0; i < max/2; i++ {
		p := uint16(10000 + i)
		e.pass(tcpFrame(cliIP, srvIP, p, 80, fSYN), 0)
		e.pass(tcpFrame(srvIP, cliIP, 80, p, fSYN|fACK), 0)
		e.pass(tcpFrame(cliIP, srvIP, p, 80, fACK), 0)
		e.pass(udpFrame(cliIP, srvIP, p, 53), 0)
	}
	if e.tab.Len() != max {
		t.Fatalf("%d entries, want %d", e.tab.Len(), max)
	}
	// New connections, each answered at once (ASSURED), push out the
	// unreplied ones only.
	for i := 0; i < max/2; i++ {
		e.pass(udpFrame(srvIP, cliIP, uint16(20000+i), 53), 0)
		e.pass(udpFrame(cliIP, srvIP, 53, uint16(20000+i)), 0)
		if e.tab.Len() != max {
			t.Fatalf("%d entries, want %d", e.tab.Len(), max)
		}
	}
	for i := 0; i < max/2; i++ {
		if v := e.track(tcpFrame(cliIP, srvIP, uint16(10000+i), 80, fACK), 0); v.State != StateEstablished {
			t.Fatalf("established connection %d evicted", i)
		}
	}
	s := e.tab.Stats()
	if s.Evicted != max/2 || s.Refused[RefusedTableFull] != 0 {
		t.Fatalf("evicted %d refused %d, want %d, 0", s.Evicted, s.Refused[RefusedTableFull], max/2)
	}
	// Now the table holds only ASSURED connections: a new one is refused.
	v := e.track(udpFrame(cliIP, srvIP, 1, 1), 0)
	if _, why := e.tab.Commit(&v, e.now); why != RefusedTableFull {
		t.Fatalf("commit into a table of assured connections: %v", why)
	}
	if s := e.tab.Stats(); s.Refused[RefusedTableFull] != 1 || s.Entries != max {
		t.Fatalf("stats %+v", s)
	}
	// Timed out connections make room even if assured.
	e.advance(121 * time.Second)
	if _, why := e.tab.Commit(&v, e.now); why != RefusedNone {
		t.Fatalf("commit after the UDP ones timed out: %v", why)
	}
}

func TestExpireBudget(t *testing.T) {
	e := newEnv(t, Config{})
	const n = 1000
	for i := 0; i < n; i++ {
		e.pass(udpFrame(cliIP, srvIP, uint16(i), 53), 0)
	}
	e.advance(30 * time.Second)
	if got := e.tab.Expire(e.now, 0); got != 0 {
		t.Fatalf("Expire with no budget removed %d", got)
	}
	total, calls := 0, 0
	for e.tab.Len() > 0 && calls < 1000 {
		got := e.tab.Expire(e.now, 64)
		if got > 64 {
			t.Fatalf("Expire(64) removed %d", got)
		}
		total += got
		calls++
	}
	if total != n || calls < n/64 {
		t.Fatalf("removed %d in %d calls, want %d in at least %d", total, calls, n, n/64)
	}
	if s := e.tab.Stats(); s.Expired != n || s.Entries != 0 {
		t.Fatalf("stats %+v", s)
	}
	// The slots shrank back.
	for i := range e.tab.shards {
		if l := len(e.tab.shards[i].tab.Load().s); l > minSlots {
			t.Fatalf("shard %d kept %d slots", i, l)
		}
	}
}

func TestDelete(t *testing.T) {
	e := newEnv(t, Config{})
	v := e.pass(udpFrame(cliIP, srvIP, 1, 2), 0)
	r, _, _ := e.tab.Lookup(v.Key(), e.now)
	if !e.tab.Delete(r) || e.tab.Delete(r) {
		t.Fatal("Delete should succeed once")
	}
	if _, _, ok := r.Tuples(); ok {
		t.Fatal("Tuples of a deleted connection")
	}
	if e.tab.Len() != 0 {
		t.Fatal("entry left")
	}
}

// A host pinging itself through NAT (its own floating IP: DNAT to itself,
// SNAT to the floating IP) has one tuple for both directions; the echo's
// type tells the reply, which marks the connection replied.
func TestICMPEchoSelfNAT(t *testing.T) {
	e := newEnv(t, Config{})
	vm, fip := [4]byte{91, 1, 180, 14}, [4]byte{192, 168, 1, 104}
	v := e.track(echoFrame(vm, fip, header.ICMPv4Echo, 9), 1)
	if v.State != StateNew {
		t.Fatalf("request: %v", v.State)
	}
	// After NAT the request goes fip -> vm: the reply tuple is the
	// request's own.
	reply := Key{Src: vm, Dst: fip, SPort: 9, DPort: 9, Zone: 1, Proto: header.ProtoICMP}
	if _, why := e.tab.CommitReply(&v, reply, e.now); why != RefusedNone {
		t.Fatalf("commit: %v", why)
	}
	if v := e.track(echoFrame(vm, fip, header.ICMPv4EchoReply, 9), 1); v.State != StateEstablished || v.Dir != Reply {
		t.Fatalf("echo reply: %v %v (%v), want ESTABLISHED reply", v.State, v.Dir, v.Reason)
	}
	r, _, _ := e.tab.Lookup(reply, e.now)
	if in, _ := e.tab.Info(r, e.now); !in.Replied {
		t.Errorf("not replied after the echo reply: %+v", in)
	}
	if v := e.track(echoFrame(vm, fip, header.ICMPv4Echo, 9), 1); v.State != StateEstablished || v.Dir != Original {
		t.Errorf("the next request: %v %v, want ESTABLISHED original", v.State, v.Dir)
	}
}

// SCTP, DCCP and UDP-Lite have their ports in the tuple: another port of
// the same peers is another connection (a rule's port range holds for
// each), as in Linux's trackers.
func TestPortProtocolsKeepPorts(t *testing.T) {
	for _, proto := range []uint8{132, 33, 136} {
		e := newEnv(t, Config{})
		pkt := func(src, dst [4]byte, sp, dp uint16) []byte {
			l4 := make([]byte, 12)
			binary.BigEndian.PutUint16(l4[0:], sp)
			binary.BigEndian.PutUint16(l4[2:], dp)
			return frame(src, dst, proto, l4)
		}
		if v := e.pass(pkt(cliIP, srvIP, 1234, 5000), 0); v.State != StateNew {
			t.Fatalf("proto %d: first packet %v, want NEW", proto, v.State)
		}
		if v := e.pass(pkt(srvIP, cliIP, 5000, 1234), 0); v.State != StateEstablished {
			t.Errorf("proto %d: reply %v, want ESTABLISHED", proto, v.State)
		}
		if v := e.pass(pkt(cliIP, srvIP, 4444, 22), 0); v.State != StateNew {
			t.Errorf("proto %d: other ports %v, want NEW (a connection of their own)", proto, v.State)
		}
		if v := e.pass(frame(cliIP, srvIP, proto, []byte{1, 2}), 0); v.State != StateInvalid || v.Reason != ReasonTruncated {
			t.Errorf("proto %d: no room for ports: %v %v, want INVALID truncated", proto, v.State, v.Reason)
		}
	}
}
