package datapath

import (
	"runtime"
	"sync/atomic"

	"neutrino/nat"
	"neutrino/packet"
	"neutrino/packet/header"
)

// heldFrame is a routed frame waiting for its next hop's MAC: a copy the
// router owns (the worker's buffer is gone after the batch), its egress
// port, and what an ICMP host unreachable about it needs.
//
// A worker hands the neighbour cache an empty heldFrame and fills it only
// when the cache keeps it (the hit path copies nothing); ready says it is
// filled, so another worker that learns the neighbour in between waits
// the few instructions that takes.
type heldFrame struct {
	ready atomic.Bool
	data  []byte // nil: over the router's memory bound, dropped on release
	gso   packet.GSO
	out   int // egress router port
	in    int // ingress router port; -1 for a frame the router made
	trace *packet.Trace
	// The packet's addresses before NAT and its TTL before the
	// decrement: an ICMP error quotes what the sender sent.
	undo   nat.Addrs
	natted bool
	ttl    uint8
}

func (h *heldFrame) wait() {
	for !h.ready.Load() {
		runtime.Gosched()
	}
}

// hold fills h with a copy of b for port out.
func (e *routerElem) hold(w *Worker, h *heldFrame, b *packet.Buffer, out, in int, undo *nat.Addrs, ttl uint8) {
	n := int64(b.Len())
	if e.heldBytes.Add(n) > maxHeldBytes {
		e.heldBytes.Add(-n)
		w.drops[StageRouter][RouterNeighNoMemory].inc()
	} else {
		h.data = append([]byte(nil), b.Data()...)
		e.count(w, &e.c.held)
	}
	h.gso, h.out, h.in, h.trace, h.ttl = b.Meta.GSO, out, in, b.Meta.Trace, ttl
	if undo != nil {
		h.undo, h.natted = *undo, true
	}
	h.ready.Store(true)
}

// release forgets h, giving its memory back to the router's bound.
func (e *routerElem) release(h *heldFrame) {
	h.wait()
	e.heldBytes.Add(-int64(len(h.data)))
	h.data = nil
}

// sendHeld sends a frame that waited for its next hop, now known at mac.
func (e *routerElem) sendHeld(w *Worker, h *heldFrame, mac [6]byte) {
	h.wait()
	if h.data == nil {
		return
	}
	nb := w.pool.Get()
	if nb == nil {
		w.drops[StageGraph][ReasonNoBuffer].inc()
		e.release(h)
		return
	}
	w.held = append(w.held, nb)
	nb.SetData(h.data)
	e.release(h)
	if header.Parse(nb.Data(), &nb.Meta.Layout) != header.OK {
		return
	}
	nb.Meta.GSO = h.gso
	nb.Meta.Time = w.now
	nb.Meta.Trace = h.trace
	e.count(w, &e.c.released)
	p := &e.ports[h.out]
	d := nb.Data()
	copy(d[0:6], mac[:])
	copy(d[6:12], p.mac[:])
	nb.Meta.LVID = p.lvid
	w.emit(e.out[h.out], nb)
}

// unreachable answers a frame whose next hop never answered with ICMP
// host unreachable, quoting it as its sender sent it.
func (e *routerElem) unreachable(w *Worker, h *heldFrame) {
	h.wait()
	w.drops[StageRouter][RouterHostUnreachable].inc()
	if h.data == nil || h.in < 0 {
		e.release(h)
		return
	}
	nb := w.pool.Get()
	if nb == nil {
		e.release(h)
		return
	}
	w.held = append(w.held, nb)
	nb.SetData(h.data)
	e.release(h)
	l := &nb.Meta.Layout
	if header.Parse(nb.Data(), l) != header.OK || l.Flags&header.IsIPv4 == 0 {
		return
	}
	nb.Meta.GSO = h.gso
	var undo *nat.Addrs
	if h.natted {
		undo = &h.undo
	}
	e.sendHostUnreachable(w, nb, h.in, undo, h.ttl)
}

// sendHostUnreachable answers a routed frame whose next hop did not
// answer: b, translated and its TTL decremented, goes back to how its
// sender sent it (undo, ttl) and is quoted in a host unreachable from the
// port it came in by, or from the address its sender used when it was
// DNATed.
func (e *routerElem) sendHostUnreachable(w *Worker, b *packet.Buffer, in int, undo *nat.Addrs, ttl uint8) {
	d, l, ip := ipv4Of(b)
	from := e.ports[in].ip
	if undo != nil {
		if undo.Dst != ip.Dst() {
			from = undo.Dst
		}
		nat.Rewrite(d, l, *undo, b.Meta.GSO.NeedsCsum)
	}
	setTTL(ip, ttl)
	e.sendErrorFrom(w, b, in, from, icmpDestUnreachable, icmpHostUnreachable, 0)
}

// setTTL sets ip's TTL, updating the header checksum.
func setTTL(ip header.IPv4, ttl uint8) {
	old := uint16(ip[8])<<8 | uint16(ip[9])
	ip[8] = ttl
	ip.SetChecksum(header.ChecksumUpdate16(ip.Checksum(), old, uint16(ip[8])<<8|uint16(ip[9])))
}
