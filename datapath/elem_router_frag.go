package datapath

import (
	"neutrino/defrag"
	"neutrino/nat"
	"neutrino/packet"
	"neutrino/packet/header"
	"neutrino/router"
)

// reassemble gives a fragment to the router's reassembly table, as Linux's
// nf_defrag_ipv4 does before conntrack: the whole datagram, once complete,
// is routed (and NATed) as one and leaves in fragments no larger than the
// largest that came in.
func (e *routerElem) reassemble(w *Worker, in int, b *packet.Buffer) {
	tr := b.Meta.Trace
	if w.dryRun {
		if tr != nil {
			tr.Add(e.label, "defrag", "fragment held for reassembly")
		}
		return
	}
	nb := w.pool.Get()
	if nb == nil {
		w.dropIn(e, StageGraph, uint8(ReasonNoBuffer), b)
		return
	}
	w.held = append(w.held, nb)
	space := nb.Space()
	d := b.Data()
	l := &b.Meta.Layout
	n, v := e.frags.Add(l.IPv4(d), e.zone, w.now, space[l.L3:])
	maxFrag := v.MaxFragSize
	switch v.Outcome {
	case defrag.Held:
		e.count(w, &e.c.fragsHeld)
		if tr != nil {
			tr.Add(e.label, "defrag", "fragment held for reassembly")
		}
		return
	case defrag.Complete:
	default:
		if tr != nil {
			tr.Addf(e.label, "defrag", "fragment dropped: %s", v.Outcome)
		}
		e.drop(w, b, RouterFragment)
		return
	}
	copy(space[:l.L3], d[:l.L3])
	nb.SetLen(int(l.L3) + n)
	if header.Parse(nb.Data(), &nb.Meta.Layout) != header.OK {
		e.drop(w, b, RouterFragment)
		return
	}
	nb.Meta.LVID, nb.Meta.InPort, nb.Meta.Time, nb.Meta.Trace = b.Meta.LVID, b.Meta.InPort, b.Meta.Time, tr
	e.count(w, &e.c.reassembled)
	if tr != nil {
		tr.Addf(e.label, "defrag", "reassembled %d bytes (largest fragment %d)", n, maxFrag)
	}
	w.fragMax = maxFrag
	e.route(w, in, nb)
	w.fragMax = 0
}

// fragmentOut cuts a routed datagram into fragments of at most mtu bytes
// (ip_do_fragment) and sends each to the next hop.
func (e *routerElem) fragmentOut(w *Worker, b *packet.Buffer, in, out int, nh [4]byte, mtu int, undo *nat.Addrs, ttl uint8) {
	if b.Meta.GSO.NeedsCsum {
		if err := packet.CompleteChecksum(b); err != nil {
			e.drop(w, b, RouterFragmentFailed)
			return
		}
	}
	d := b.Data()
	l := &b.Meta.Layout
	eth := d[:l.L3]
	frags := w.frags[:0]
	_, ok := router.Fragment(l.IPv4(d), mtu, func(size int) []byte {
		nb := w.pool.Get()
		if nb == nil {
			return nil
		}
		w.held = append(w.held, nb)
		frags = append(frags, nb)
		nb.SetLen(len(eth) + size)
		copy(nb.Data(), eth)
		return nb.Data()[len(eth):]
	})
	w.frags = frags[:0]
	if !ok {
		e.drop(w, b, RouterFragmentFailed)
		return
	}
	if tr := b.Meta.Trace; tr != nil {
		tr.Addf(e.ports[out].name, "fragment", "%d bytes into %d fragments of at most %d", l.IPv4(d).TotalLength(), len(frags), mtu)
	}
	for _, nb := range frags {
		if header.Parse(nb.Data(), &nb.Meta.Layout) != header.OK {
			continue
		}
		nb.Meta.Time, nb.Meta.Trace = b.Meta.Time, b.Meta.Trace
		e.toNeighbour(w, nb, in, out, nh, undo, ttl)
	}
}
