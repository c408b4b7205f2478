package datapath

import (
	"net"
	"net/netip"

	"neutrino/packet"
	"neutrino/packet/header"
	"neutrino/router"
)

// receiveARP answers ARP for the router's addresses on port in (and, on
// qg, for its floating IPs by proxy), and learns senders into the
// neighbour cache: frames waiting for a sender go out at once.
func (e *routerElem) receiveARP(w *Worker, in int, b *packet.Buffer) {
	p := &e.ports[in]
	d := b.Data()
	l := &b.Meta.Layout
	if int(l.L3)+header.ARPLen > len(d) {
		e.drop(w, b, RouterARPInvalid)
		return
	}
	if w.dryRun {
		e.traceARPDry(b, in)
		return
	}
	// Answer rewrites a request for us in place: take a copy of a flooded
	// request first.
	if b.Meta.Shared {
		a := header.ARP(d[l.L3:])
		if a.Op() == header.ARPRequest && e.answersARP(in, a.TPA()) {
			if b = w.writable(e, b); b == nil {
				return
			}
			d = b.Data()
			l = &b.Meta.Layout
		}
	}
	res := e.arp.Answer(in, d, l)
	tr := b.Meta.Trace
	ev := router.HeardOther
	switch res.Verdict {
	case router.ARPAnswered, router.ARPProxied:
		ev = router.HeardRequest
		if res.Verdict == router.ARPProxied {
			e.count(w, &e.c.arpProxied)
		} else {
			e.count(w, &e.c.arpAnswered)
		}
		a := header.ARP(d[l.L3:])
		if tr != nil {
			what := "arp-reply"
			if res.Verdict == router.ARPProxied {
				what = "proxy-arp-reply"
			}
			tr.Addf(p.name, what, "%s is-at %s", netip.AddrFrom4(a.SPA()), net.HardwareAddr(p.mac[:]))
		}
		b.Meta.LVID = p.lvid
		e.learn(w, in, res, ev)
		w.emit(e.out[in], b)
		return
	case router.ARPReplyToUs:
		ev = router.HeardReply
	case router.ARPOther:
	case router.ARPInvalid:
		e.drop(w, b, RouterARPInvalid)
		return
	case router.ARPConflict:
		e.drop(w, b, RouterARPConflict)
		return
	default: // ARPOtherHost
		e.count(w, &e.c.ignored)
		if tr != nil {
			tr.Add(p.name, "ignore", "ARP for another host")
		}
		return
	}
	if tr != nil {
		tr.Addf(p.name, "arp-learn", "%s is-at %s (%s)", netip.AddrFrom4(res.SenderIP), net.HardwareAddr(res.SenderMAC[:]), evidenceName(ev))
	}
	e.learn(w, in, res, ev)
}

// answersARP reports whether the router answers ARP for ip on port in.
func (e *routerElem) answersARP(in int, ip [4]byte) bool {
	if e.ports[in].ip == ip {
		return true
	}
	if in == e.gw {
		_, ok := e.dnat[ip]
		return ok
	}
	return false
}

// learn takes an ARP sender into the neighbour cache when it is on the
// port's subnet, and sends the frames that waited for it.
func (e *routerElem) learn(w *Worker, in int, res router.ARPResult, ev router.Evidence) {
	if !e.ports[in].prefix.Contains(netip.AddrFrom4(res.SenderIP)) {
		return
	}
	w.released = e.neigh.Learn(in, res.SenderIP, res.SenderMAC, ev, w.now, w.released[:0])
	for i, h := range w.released {
		e.sendHeld(w, h, res.SenderMAC)
		w.released[i] = nil
	}
}

func evidenceName(ev router.Evidence) string {
	switch ev {
	case router.HeardReply:
		return "reply"
	case router.HeardRequest:
		return "request"
	}
	return "seen"
}

// traceARPDry says what the router would do with an ARP frame, changing
// nothing.
func (e *routerElem) traceARPDry(b *packet.Buffer, in int) {
	tr := b.Meta.Trace
	if tr == nil {
		return
	}
	a := header.ARP(b.Data()[b.Meta.Layout.L3:])
	p := &e.ports[in]
	switch {
	case a.Op() == header.ARPRequest && e.answersARP(in, a.TPA()):
		what := "arp-reply"
		if a.TPA() != p.ip {
			what = "proxy-arp-reply"
		}
		tr.Addf(p.name, what, "%s is-at %s", netip.AddrFrom4(a.TPA()), net.HardwareAddr(p.mac[:]))
	default:
		tr.Addf(p.name, "arp-learn", "%s is-at %s", netip.AddrFrom4(a.SPA()), macString(a.SHA()))
	}
}

// sendARPRequest asks for ip on router port i: broadcast, or unicast to
// mac (a probe of a stale neighbour) when mac is not zero.
func (e *routerElem) sendARPRequest(w *Worker, i int, ip [4]byte, mac [6]byte) {
	p := &e.ports[i]
	nb := w.pool.Get()
	if nb == nil {
		return
	}
	w.held = append(w.held, nb)
	n := router.BuildRequest(nb.Space(), p.mac, p.ip, ip, mac)
	e.emitMade(w, i, nb, n)
}

// sendGratuitous announces ip on router port i: an ARP request (arping
// -U) or reply (arping -A) from the port's MAC.
func (e *routerElem) sendGratuitous(w *Worker, i int, ip [4]byte, reply bool) {
	nb := w.pool.Get()
	if nb == nil {
		return
	}
	w.held = append(w.held, nb)
	n := router.BuildGratuitous(nb.Space(), e.ports[i].mac, ip, reply)
	e.count(w, &e.c.garp)
	e.emitMade(w, i, nb, n)
}

// emitMade sends a frame of n bytes the router wrote into nb out of router
// port i.
func (e *routerElem) emitMade(w *Worker, i int, nb *packet.Buffer, n int) {
	if n == 0 {
		return
	}
	nb.SetLen(n)
	if header.Parse(nb.Data(), &nb.Meta.Layout) != header.OK {
		return
	}
	nb.Meta.LVID = e.ports[i].lvid
	nb.Meta.Time = w.now
	w.emit(e.out[i], nb)
}
