package datapath

import (
	"net/netip"

	"neutrino/conntrack"
	"neutrino/nat"
	"neutrino/packet"
	"neutrino/packet/header"
	"neutrino/router"
)

// ICMP types and codes the router sends.
const (
	icmpDestUnreachable  = 3
	icmpNetUnreachable   = 0
	icmpHostUnreachable  = 1
	icmpProtoUnreachable = 2
	icmpPortUnreachable  = 3
	icmpFragNeeded       = 4
	icmpTimeExceeded     = 11
	icmpTTLExceeded      = 0
)

// sendError answers b, received on router port in, with an ICMP error
// from that port's address, as Linux's icmp_send: never about an ICMP
// error, a later fragment or a broadcast, and rate-limited (fragmentation
// needed is not). b itself is left as it is.
func (e *routerElem) sendError(w *Worker, b *packet.Buffer, in int, typ, code uint8, mtu uint16) {
	e.sendErrorFrom(w, b, in, e.ports[in].ip, typ, code, mtu)
}

// sendErrorFrom is sendError from the address from.
func (e *routerElem) sendErrorFrom(w *Worker, b *packet.Buffer, in int, from [4]byte, typ, code uint8, mtu uint16) {
	if w.dryRun {
		if tr := b.Meta.Trace; tr != nil {
			tr.Addf(e.ports[in].name, "icmp-error", "type %d code %d to %s", typ, code, netip.AddrFrom4(header.IPv4(b.Data()[b.Meta.Layout.L3:]).Src()))
		}
		return
	}
	orig := b.Meta.Layout.IPv4(b.Data())
	if !router.ShouldSendError(orig) {
		return
	}
	if !e.icmp.Allow(header.IPv4(orig).Src(), typ, code, w.now) {
		e.count(w, &e.c.icmpLimited)
		if tr := b.Meta.Trace; tr != nil {
			tr.Addf(e.ports[in].name, "icmp-error", "type %d code %d rate-limited", typ, code)
		}
		return
	}
	nb := w.pool.Get()
	if nb == nil {
		w.drops[StageGraph][ReasonNoBuffer].inc()
		return
	}
	w.held = append(w.held, nb)
	p := &e.ports[in]
	n := router.BuildICMPError(nb.Space(), [6]byte{}, p.mac, from, typ, code, mtu, orig)
	if n == 0 {
		return
	}
	nb.SetLen(n)
	nb.Meta.Trace = b.Meta.Trace
	if tr := nb.Meta.Trace; tr != nil {
		tr.Addf(p.name, "icmp-error", "type %d code %d from %s to %s", typ, code, netip.AddrFrom4(from), netip.AddrFrom4(header.IPv4(orig).Src()))
	}
	e.count(w, &e.c.icmpSent)
	e.sendMade(w, nb)
}

// sendMade routes an IPv4 packet the router made (an echo reply, an ICMP
// error, a TCP reset): FIB, neighbour, out. It is not NATed: its source is
// the router's own address on the way back.
func (e *routerElem) sendMade(w *Worker, nb *packet.Buffer) {
	l := &nb.Meta.Layout
	if header.Parse(nb.Data(), l) != header.OK || l.Flags&header.IsIPv4 == 0 {
		return
	}
	nb.Meta.Time = w.now
	ip := header.IPv4(nb.Data()[l.L3:])
	if e.isOwn(ip.Dst()) || e.isFloating(ip.Dst()) || e.isBroadcast(ip.Dst()) {
		return // never an answer to the router itself
	}
	out, nh, ok := e.nextHop(w, nb, -1, nat.Addrs{Src: ip.Src(), Dst: ip.Dst()}, ip.Protocol())
	if !ok {
		return
	}
	if mtu := e.ports[out].mtu; int(ip.TotalLength()) > mtu && !ip.DontFragment() {
		// An echo reply to a reassembled request larger than the MTU
		// leaves in fragments, as the kernel's.
		e.fragmentOut(w, nb, -1, out, nh, mtu, nil, ip.TTL())
		return
	}
	e.toNeighbour(w, nb, -1, out, nh, nil, ip.TTL())
}

// tooBig decides about a datagram larger than mtu: DF set, it is
// answered with fragmentation needed (mtu) and dropped; a super-frame goes
// on whole when its segments fit; anything else goes on to be fragmented
// (frag). send false: b was dropped.
func (e *routerElem) tooBig(w *Worker, b *packet.Buffer, in int, from [4]byte, mtu int) (send, frag bool) {
	d := b.Data()
	l := &b.Meta.Layout
	ip := header.IPv4(d[l.L3:])
	if g := b.Meta.GSO; g.IsGSO() {
		// Segments carry HdrLen bytes of headers (from the Ethernet
		// header) and at most Size bytes of payload.
		if int(g.HdrLen)-int(l.L3)+int(g.Size) <= mtu {
			return true, false
		}
		if ip.DontFragment() {
			e.sendErrorFrom(w, b, in, from, icmpDestUnreachable, icmpFragNeeded, uint16(mtu))
		}
		e.drop(w, b, RouterSegmentTooBig)
		return false, false
	}
	if ip.DontFragment() {
		e.sendErrorFrom(w, b, in, from, icmpDestUnreachable, icmpFragNeeded, uint16(mtu))
		e.drop(w, b, RouterFragNeeded)
		return false, false
	}
	return true, true
}

// local answers a packet for one of the router's own addresses as the
// qrouter namespace's kernel would: echo requests with echo replies, UDP
// with port unreachable, TCP with a reset, other protocols with protocol
// unreachable. Other ICMP (replies, errors) is taken and dropped.
func (e *routerElem) local(w *Worker, in int, b *packet.Buffer) {
	d := b.Data()
	l := &b.Meta.Layout
	tr := b.Meta.Trace
	ip := header.IPv4(d[l.L3:])
	switch l.Proto {
	case header.ProtoICMP:
		if l.Flags&header.HasL4 != 0 && header.ICMPv4(d[l.L4:]).Type() == icmpEcho && !w.dryRun {
			if b = w.writable(e, b); b == nil {
				return
			}
			n, ok := router.EchoReply(b.Data(), &b.Meta.Layout, e.ports[in].mac)
			if ok {
				b.Truncate(n)
				b.Meta.GSO = packet.GSO{}
				if tr != nil {
					tr.Addf(e.ports[in].name, "echo-reply", "from %s", netip.AddrFrom4(ip.Dst()))
				}
				e.count(w, &e.c.local)
				e.sendMade(w, b)
				return
			}
		}
		if tr != nil {
			tr.Add(e.ports[in].name, "local", "ICMP for the router")
		}
		e.count(w, &e.c.local)
		return
	case header.ProtoUDP:
		e.sendError(w, b, in, icmpDestUnreachable, icmpPortUnreachable, 0)
	case header.ProtoTCP:
		if l.Flags&header.HasL4 != 0 {
			e.sendReset(w, b, in)
		}
	default:
		e.sendError(w, b, in, icmpDestUnreachable, icmpProtoUnreachable, 0)
	}
	e.drop(w, b, RouterLocalDelivered)
}

// sendReset answers a TCP segment to the router (which listens on no
// port) with a reset, as Linux does.
func (e *routerElem) sendReset(w *Worker, b *packet.Buffer, in int) {
	if w.dryRun {
		return
	}
	nb := w.pool.Get()
	if nb == nil {
		return
	}
	w.held = append(w.held, nb)
	d := b.Data()
	n := router.BuildTCPReset(nb.Space(), [6]byte(d[6:12]), e.ports[in].mac, b.Meta.Layout.IPv4(d))
	if n == 0 {
		return
	}
	nb.SetLen(n)
	nb.Meta.Trace = b.Meta.Trace
	e.sendMade(w, nb)
}

// related forwards an ICMP error about a tracked connection, translating
// its outer header as the packets of the connection in the error's
// direction are, and the packet inside it back to how it looked on the
// other side (nf_nat_icmp_reply_translation).
func (e *routerElem) related(w *Worker, in int, b *packet.Buffer, v *conntrack.Verdict) {
	tr := b.Meta.Trace
	orig, reply, ok := v.Conn.Tuples()
	if !ok {
		e.drop(w, b, RouterICMPUntranslated)
		return
	}
	cur, want, inner := reply, orig.Invert(), orig
	if v.Dir == conntrack.Original {
		cur, want, inner = orig, reply.Invert(), reply
	}
	d := b.Data()
	l := &b.Meta.Layout
	ip := header.IPv4(d[l.L3:])
	// The outer header takes the translation of the error's direction as
	// Linux's nf_nat_icmp_reply_translation does: an address the
	// connection translates is replaced whoever sent the error (a router
	// on the way keeps its source only where there is no SNAT).
	src, dst := ip.Src(), ip.Dst()
	if want.Src != cur.Src {
		src = want.Src
	}
	if want.Dst != cur.Dst {
		dst = want.Dst
	}
	if tr != nil {
		tr.Addf(e.label, "conntrack", "related zone %d to %s (%s)", e.zone, tupleString(orig), v.Dir)
	}
	if e.isOwn(dst) {
		if tr != nil {
			tr.Add(e.ports[in].name, "local", "ICMP error for the router")
		}
		e.count(w, &e.c.local)
		return
	}
	out, nh, ok := e.nextHop(w, b, in, nat.Addrs{Src: src, Dst: dst}, header.ProtoICMP)
	if !ok {
		return
	}
	if ip.TTL() <= 1 {
		e.drop(w, b, RouterTTLExceeded) // no error about an error
		return
	}
	frag := false
	if mtu := e.ports[out].mtu; int(ip.TotalLength()) > mtu {
		var send bool
		if send, frag = e.tooBig(w, b, in, e.ports[in].ip, mtu); !send {
			return
		}
	}
	if b.Meta.Shared || w.dryRun {
		if b = w.private(e, b); b == nil {
			return
		}
		d, l, ip = ipv4Of(b)
	}
	if want != cur {
		if !nat.RewriteICMPError(d, l, src, dst, nat.AddrsOf(inner)) {
			e.drop(w, b, RouterICMPUntranslated)
			return
		}
		if tr != nil {
			tr.Addf(e.ports[out].name, "nat", "icmp error to %s, inner %s", netip.AddrFrom4(dst), tupleString(inner))
		}
	}
	ttl := ip.TTL()
	setTTL(ip, ttl-1)
	e.count(w, &e.c.forwarded)
	if frag {
		e.fragmentOut(w, b, in, out, nh, e.ports[out].mtu, nil, ttl)
		return
	}
	e.toNeighbour(w, b, in, out, nh, nil, ttl)
}
