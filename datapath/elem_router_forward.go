package datapath

import (
	"net/netip"

	"neutrino/conntrack"
	"neutrino/nat"
	"neutrino/packet"
	"neutrino/packet/header"
	"neutrino/router"
)

// receiveIPv4 checks an IPv4 packet to the router's MAC, then routes it
// (fragments are reassembled first, as nf_defrag does before conntrack).
func (e *routerElem) receiveIPv4(w *Worker, in int, b *packet.Buffer) {
	d := b.Data()
	ip := header.IPv4(d[b.Meta.Layout.L3:])
	if !ip.ChecksumValid() {
		e.drop(w, b, RouterBadChecksum)
		return
	}
	if src := ip.Src(); martian(src) || e.maybeSpecial(src) && (e.isOwn(src) || e.isFloating(src) || e.isBroadcast(src)) {
		// A source that can't be a neighbour's: Linux's
		// fib_validate_source drops a local or broadcast source too.
		e.drop(w, b, RouterMartian)
		return
	}
	if ip.IsFragment() {
		e.reassemble(w, in, b)
		return
	}
	e.route(w, in, b)
}

// martian reports whether src may not be a packet's source: 0.0.0.0,
// loopback, multicast, class E or broadcast.
func martian(src [4]byte) bool {
	return src[0] == 0 || src[0] == 127 || src[0] >= 224
}

// ipv4Of returns b's frame, layout and IPv4 header.
func ipv4Of(b *packet.Buffer) ([]byte, *header.Layout, header.IPv4) {
	d := b.Data()
	return d, &b.Meta.Layout, header.IPv4(d[b.Meta.Layout.L3:])
}

// route runs a whole IPv4 datagram through the router: conntrack, DNAT,
// the FIB, TTL and MTU, SNAT, and out to the next hop.
func (e *routerElem) route(w *Worker, in int, b *packet.Buffer) {
	d := b.Data()
	l := &b.Meta.Layout
	tr := b.Meta.Trace
	var v conntrack.Verdict
	if w.dryRun {
		v = w.trackDry(e.ct, d, l, e.zone) // a trace changes no connection
	} else {
		v = e.ct.Track(d, l, e.zone, w.now)
		if nb := w.ahead(1); nb != nil && v.State != conntrack.StateNew {
			// A batch's frames mostly take the same way: the next one's
			// conntrack lookup, a cache miss in a large table, is asked
			// for now, to overlap with what this one's Track asked for.
			// (A new connection's commit asks for it with its own misses,
			// see commit.)
			e.ct.Prefetch(nb.Data(), e.zone)
		}
	}
	k := v.Key()
	cur := nat.AddrsOf(k)
	want := cur
	fresh, dnat := false, false
	switch {
	case v.State == conntrack.StateRelated:
		e.related(w, in, b, &v)
		return
	case v.Conn.Valid():
		if orig, reply, ok := v.Conn.Tuples(); ok {
			if v.Dir == conntrack.Original {
				want = nat.AddrsOf(reply.Invert())
			} else {
				want = nat.AddrsOf(orig.Invert())
			}
		}
	case v.State == conntrack.StateNew:
		fresh = true
		if e.maybeSpecial(k.Dst) { // the floating IPs are in the filter
			if fixed, ok := e.dnat[k.Dst]; ok {
				want.Dst = fixed
				dnat = true
			}
		}
	}
	if tr != nil {
		traceConntrack(tr, e, in, &v, k)
	}
	if e.maybeSpecial(want.Dst) && (e.isOwn(want.Dst) || want.Dst == cur.Dst && e.isFloating(want.Dst)) {
		// The router's addresses, and a floating IP conntrack could not
		// DNAT (an INVALID packet): the L3 agent puts the floating IPs
		// on qg, so the qrouter namespace takes those.
		e.local(w, in, b)
		return
	}
	if !v.Conn.Valid() && (want.Dst[0] >= 224 || e.maybeSpecial(want.Dst) && e.isBroadcast(want.Dst)) {
		// A subnet's broadcast address is the router's to take, never
		// forwarded (Linux's bc_forwarding 0), and answered with nothing;
		// multicast is not routed.
		if tr != nil {
			tr.Add(e.ports[in].name, "local", "to a broadcast or multicast address: not forwarded")
		}
		e.drop(w, b, RouterLocalDelivered)
		return
	}
	ip := header.IPv4(d[l.L3:])
	// An ICMP error the router sends about a DNATed packet leaves from the
	// address the sender used (the floating IP), as Linux NATs it as
	// related to the packet's connection.
	from := e.ports[in].ip
	if want.Dst != cur.Dst {
		from = cur.Dst
	}
	out, nh, ok := e.nextHopFrom(w, b, in, from, want, k.Proto)
	if !ok {
		return
	}
	if ip.TTL() <= 1 {
		e.sendErrorFrom(w, b, in, from, icmpTimeExceeded, icmpTTLExceeded, 0)
		e.drop(w, b, RouterTTLExceeded)
		return
	}
	mtu := e.ports[out].mtu
	if w.fragMax > 0 && w.fragMax < mtu {
		mtu = w.fragMax // a reassembled datagram leaves in fragments no larger than it came
	}
	frag := false
	if int(ip.TotalLength()) > mtu {
		var send bool
		if send, frag = e.tooBig(w, b, in, from, mtu); !send {
			return
		}
	}
	if w.rec.b != nil {
		if fresh || frag || w.fragMax > 0 {
			w.rec.b = nil
		} else {
			w.recRoute(e, b, &v, cur, want)
		}
	}
	if fresh {
		var why RouterReason
		if want, why = e.commit(w, in, out, &v, want, dnat); why != 0 {
			e.drop(w, b, why)
			return
		}
	}
	if b.Meta.Shared || w.dryRun {
		// A dry run changes a copy: the caller's frame stays as it was.
		if b = w.private(e, b); b == nil {
			return
		}
		d, l, ip = ipv4Of(b)
	}
	var undo *nat.Addrs
	if want != cur {
		nat.Rewrite(d, l, want, b.Meta.GSO.NeedsCsum)
		undo = &cur
		if tr != nil {
			traceNAT(tr, e.ports[out].name, cur, want, v.Dir)
		}
	}
	ttl := ip.TTL()
	setTTL(ip, ttl-1)
	e.count(w, &e.c.forwarded)
	if frag {
		e.fragmentOut(w, b, in, out, nh, mtu, undo, ttl)
		return
	}
	e.toNeighbour(w, b, in, out, nh, undo, ttl)
}

// nextHop looks up the FIB for a packet with addresses a; no route is
// answered with ICMP net unreachable and dropped (ok false).
func (e *routerElem) nextHop(w *Worker, b *packet.Buffer, in int, a nat.Addrs, proto uint8) (out int, nh [4]byte, ok bool) {
	var from [4]byte
	if in >= 0 {
		from = e.ports[in].ip
	}
	return e.nextHopFrom(w, b, in, from, a, proto)
}

// nextHopFrom is nextHop with the source of its ICMP error given.
func (e *routerElem) nextHopFrom(w *Worker, b *packet.Buffer, in int, from [4]byte, a nat.Addrs, proto uint8) (out int, nh [4]byte, ok bool) {
	hop, ecmp, ok := e.fib.Route4(a.Dst)
	if ecmp {
		// Several next hops: the flow's hash picks one, so a flow keeps
		// its path.
		var h router.NextHop
		h, ok = e.fib.Lookup4(a.Dst, router.FlowHash(a.Src, a.Dst, proto, a.SPort, a.DPort))
		hop = router.Hop4{Interface: h.Interface, OnLink: h.OnLink()}
		if !hop.OnLink {
			hop.Gateway = h.Gateway.As4()
		}
	}
	if !ok {
		if tr := b.Meta.Trace; tr != nil {
			tr.Addf(e.label, "fib", "%s: no route", netip.AddrFrom4(a.Dst))
		}
		if in >= 0 {
			e.sendErrorFrom(w, b, in, from, icmpDestUnreachable, icmpNetUnreachable, 0)
		}
		e.drop(w, b, RouterNoRoute)
		return 0, nh, false
	}
	out = hop.Interface
	nh = hop.Neighbour(a.Dst)
	if tr := b.Meta.Trace; tr != nil {
		p := &e.ports[out]
		if hop.OnLink {
			tr.Addf(p.name, "fib", "%s dev %s", netip.AddrFrom4(a.Dst), p.name)
		} else {
			tr.Addf(p.name, "fib", "%s via %s dev %s", netip.AddrFrom4(a.Dst), netip.AddrFrom4(nh), p.name)
		}
	}
	return out, nh, true
}

// commit creates the connection of a NEW packet with Neutron's NAT rules
// (NEUTRON.md §3), in their order, and returns the packet's addresses
// after NAT:
//
//  1. DNAT floating IP -> fixed IP (done by the caller, PREROUTING);
//  2. east-west between the router's subnets: nothing more;
//  3. float-snat: a fixed IP with a floating IP leaves as the floating IP;
//  4. anything else leaving by qg leaves as the gateway IP (enable_snat);
//  5. hairpin: DNATed and not in by qg: SNAT to the gateway IP, so a VM
//     reaches a floating IP on its own network and the answer comes back
//     through the router.
//
// The source port is kept when free, else SNAT picks one as Linux's
// --random-fully.
func (e *routerElem) commit(w *Worker, in, out int, v *conntrack.Verdict, want nat.Addrs, dnat bool) (nat.Addrs, RouterReason) {
	k := v.Key()
	var to [4]byte
	snat := false
	if in != e.gw || out == e.gw || dnat {
		eastWest := in != e.gw && out != e.gw && !dnat
		switch f, ok := e.floatingOf(k.Src); {
		case eastWest:
		case ok:
			to, snat = f, true
		case out == e.gw && e.snat:
			to, snat = e.gwIP, true
		case dnat && in != e.gw:
			to, snat = e.gwIP, true
		}
	}
	// The tuple after DNAT (ports unchanged); its inverse is the reply,
	// unless SNAT then changes the source, and the packet leaves as the
	// reply's inverse.
	t := k
	t.Dst = want.Dst
	reply := t.Invert()
	if w.dryRun {
		return e.commitDry(w, v, t, to, snat)
	}
	// A commit into a full table may early-drop a port zone's connection:
	// the flow caches check their pins again.
	w.sgf.epoch++
	w.vfc.epoch++
	if next := w.ahead(1); next != nil {
		// The batch's next frames are likely new connections too: the
		// commit asks for what they will need with its own cache misses.
		var after []byte
		if b := w.ahead(2); b != nil {
			after = b.Data()
		}
		e.ct.Ahead(v, &w.ctAhead, next.Data(), after, e.zone)
	}
	if !snat && !dnat {
		if _, why := e.ct.Commit(v, w.now); why != conntrack.RefusedNone {
			return want, refusalReason(why)
		}
		return want, 0
	}
	why := conntrack.RefusedClash
	if snat {
		if t.Proto == header.ProtoTCP || t.Proto == header.ProtoUDP || t.Proto == header.ProtoICMP {
			// The source port (echo id) kept when it is free, the common
			// case: the insert finds out, which saves a lookup first.
			reply = nat.SNATReply(t, to, t.SPort)
			_, why = e.ct.TryCommitReply(v, reply, w.now)
		}
		if why == conntrack.RefusedClash {
			port, ok := e.pickPort(w, &t, to)
			if !ok {
				return want, RouterSNATExhausted
			}
			reply = nat.SNATReply(t, to, port)
			_, why = e.ct.CommitReply(v, reply, w.now)
		}
		e.count(w, &e.c.snat)
	} else {
		_, why = e.ct.CommitReply(v, reply, w.now)
	}
	if dnat {
		e.count(w, &e.c.dnat)
	}
	if why != conntrack.RefusedNone {
		return want, refusalReason(why)
	}
	return nat.AddrsOf(reply.Invert()), 0
}

// pickPort finds the port (the echo id for ICMP) that SNAT of t to address
// to gives the connection: one whose reply tuple no other connection
// holds.
func (e *routerElem) pickPort(w *Worker, t *conntrack.Key, to [4]byte) (uint16, bool) {
	now := w.now
	free := func(p uint16) bool {
		if w.dryRun {
			return !w.ctHolds(e.ct, nat.SNATReply(*t, to, p))
		}
		_, _, taken := e.ct.Lookup(nat.SNATReply(*t, to, p), now)
		return !taken
	}
	switch t.Proto {
	case header.ProtoTCP, header.ProtoUDP:
		return w.snat.Pick(t.SPort, free)
	case header.ProtoICMP:
		return w.snat.PickID(t.SPort, free)
	}
	return 0, free(0)
}

func refusalReason(r conntrack.Refusal) RouterReason {
	if r == conntrack.RefusedTableFull {
		return RouterConntrackFull
	}
	return RouterNATClash
}

// toNeighbour sends a routed frame out of router port out to next hop nh,
// resolving its MAC; undo and ttl are what an ICMP error about it quotes.
func (e *routerElem) toNeighbour(w *Worker, b *packet.Buffer, in, out int, nh [4]byte, undo *nat.Addrs, ttl uint8) {
	box := w.nbox
	if box == nil {
		box = new(heldFrame)
		w.nbox = box
	}
	if w.dryRun {
		mac, st := e.neigh.Lookup(out, nh, w.now)
		if mac == ([6]byte{}) {
			// Not resolved: the router would ask with ARP and hold the
			// frame until the answer. The trace goes on with the MAC the
			// topology gives the next hop (broadcast when it gives none).
			mac = [6]byte(e.n.macOf(e.ports[out].lvid, netip.AddrFrom4(nh)))
			if tr := b.Meta.Trace; tr != nil {
				tr.Addf(e.ports[out].name, "neighbour", "%s unresolved (%s): would send an ARP request and hold the frame until the answer; traced on to %s", netip.AddrFrom4(nh), st, neighMAC(mac))
			}
			e.emitRouted(w, b, out, mac)
			return
		}
		if tr := b.Meta.Trace; tr != nil {
			tr.Addf(e.ports[out].name, "neighbour", "%s lladdr %s %s", netip.AddrFrom4(nh), neighMAC(mac), st)
		}
		e.emitRouted(w, b, out, mac)
		return
	}
	dec := e.neigh.Resolve(out, nh, box, w.now)
	if tr := b.Meta.Trace; tr != nil {
		tr.Addf(e.ports[out].name, "neighbour", "%s: %s %s", netip.AddrFrom4(nh), dec.Action, neighMAC(dec.MAC))
	}
	switch dec.Action {
	case router.Send:
		if w.rec.b != nil {
			w.recNeighbour(e, b, out, nh, dec.MAC)
		}
		e.emitRouted(w, b, out, dec.MAC)
	case router.SendAndProbe:
		e.emitRouted(w, b, out, dec.MAC)
		e.sendARPRequest(w, out, nh, dec.MAC)
	case router.QueueAndRequest, router.Queued:
		w.nbox = nil
		e.hold(w, box, b, out, in, undo, ttl)
		if dec.HasDropped {
			e.release(dec.Dropped)
			w.drops[StageRouter][RouterNeighQueueFull].inc()
		}
		if dec.Action == router.QueueAndRequest {
			e.sendARPRequest(w, out, nh, [6]byte{})
		}
	case router.Unreachable:
		if in >= 0 {
			e.sendHostUnreachable(w, b, in, undo, ttl)
		}
		e.drop(w, b, RouterHostUnreachable)
	default: // router.TableFull
		e.drop(w, b, RouterNeighTableFull)
	}
}

// emitRouted writes the Ethernet addresses of a routed frame and sends it
// into br-int by router port out.
func (e *routerElem) emitRouted(w *Worker, b *packet.Buffer, out int, mac [6]byte) {
	p := &e.ports[out]
	d := b.Data()
	copy(d[0:6], mac[:])
	copy(d[6:12], p.mac[:])
	b.Meta.LVID = p.lvid
	w.emit(e.out[out], b)
}
