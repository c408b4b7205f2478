package datapath

import (
	"encoding/binary"

	"neutrino/conntrack"
	"neutrino/packet"
)

// sgFlowCache is a worker's flow cache of the security groups' established
// path: for a frame a VM port sends (its FlowKey, source MAC and the
// port's filter), what the filter's conntrack cache answered on an
// earlier frame of the flow, pinned (conntrack.Pin), and what the
// ingress filter of the port br-int then sent it to answered. A frame
// between two filtered VMs of the node is then one key extraction, one
// lookup and two pin checks, where the filters would each extract the
// key, look it up and check the connection.
//
// It answers exactly what the filters' fast paths (fast: the worker's
// HitCache) answer: an entry is filled only from the HitCache entry the
// filter's own decision left, with the same key, zone and tag (the
// filter itself stands for its generation, the source MAC for the
// anti-spoofing checks), and a pin holds only while the table would
// answer ESTABLISHED without writing (no FIN, kill, removal or reuse
// since, stamp younger than the refresh interval). Traced frames and dry
// runs never use it. Its counts are the filters' (the established rule's
// packets and bytes, by port and direction), kept in the entry during a
// batch and added to the worker's counters when the batch is written
// (settle), so that the hot path makes no atomic writes.
type sgFlowCache struct {
	now, ms int64 // the batch's time, and conntrack.Millis of it
	off     bool  // tests: never filled, so never answers
	// answered counts the frames (each direction once) the cache
	// answered, as they are settled.
	answered uint64
	nDirty   uint8
	dirty    [256]uint8 // entries with counts to settle, each once (indexed by a uint8: no bounds check)
	ents     [sgFlowsSize]sgFlow
}

const (
	sgFlowsBits = 7
	sgFlowsSize = 1 << sgFlowsBits
)

// sgFlow is one flow cache entry.
type sgFlow struct {
	k0, k1 uint64    // conntrack.FlowKey of the frames
	eg     *sgFilter // the filter of the port that sent them; nil: empty
	mac    uint64    // their source MAC, the low 48 bits
	egPin  conntrack.Pin
	in     *sgFilter // the ingress filter br-int sent them to; nil: none known
	inPort int       // in's port
	inPin  conntrack.Pin
	pend   [2]struct{ pkts, bytes uint64 } // by direction, not yet in the worker's counters
	dirty  bool                            // in sgFlowCache.dirty
	slot   uint8                           // the entry's index
}

// sgFlowSlot returns the entry of a FlowKey.
func sgFlowSlot(k0, k1 uint64) uint64 {
	return (k0 ^ k1*0x9e3779b97f4a7c15) >> (64 - sgFlowsBits)
}

// srcMAC returns the source MAC of a frame of at least 12 bytes.
func srcMAC(d []byte) uint64 { return binary.LittleEndian.Uint64(d[4:12]) >> 16 }

// millis returns conntrack.Millis(now), computed once a batch.
func (c *sgFlowCache) millis(now int64) int64 {
	if now != c.now {
		c.now, c.ms = now, conntrack.Millis(now)
	}
	return c.ms
}

// egress takes b, sent by f's port, through f when the cache answers it:
// the packet is ESTABLISHED in f's zone and every check f made on its
// flow's earlier frame would pass again. It counts b as f's established
// rule would and returns the entry, for the ingress side (ingress); nil
// when f must decide.
func (c *sgFlowCache) egress(w *Worker, f *sgFilter, b *packet.Buffer) *sgFlow {
	if b.Meta.Trace != nil || w.dryRun {
		return nil
	}
	d := b.Data()
	k0, k1, ok := conntrack.FlowKey(d, &b.Meta.Layout)
	if !ok {
		return nil
	}
	e := &c.ents[sgFlowSlot(k0, k1)]
	if e.k0 != k0 || e.k1 != k1 || e.eg != f || e.mac != srcMAC(d) || !e.egPin.Holds(c.millis(w.now)) {
		return nil
	}
	c.mark(e)
	p := &e.pend[sgEgress]
	p.pkts++
	p.bytes += uint64(len(d))
	return e
}

// learn fills the entry of b, which f let through on its way from f's
// port, from the worker's conntrack cache: when f's decision left a
// HitCache entry for it (an established connection of a kind the cache
// keeps), the next frames of its flow take egress. It returns the entry
// (nil when there is none), for the ingress side.
func (c *sgFlowCache) learn(w *Worker, f *sgFilter, b *packet.Buffer) *sgFlow {
	if c.off || !f.stateful || b.Meta.Trace != nil || w.dryRun {
		return nil
	}
	d := b.Data()
	l := &b.Meta.Layout
	k0, k1, ok := conntrack.FlowKey(d, l)
	if !ok {
		return nil
	}
	pin, ok := w.ctc.Pin(d, l, f.zone, f.tag(d, sgEgress), w.now)
	if !ok {
		return nil
	}
	c.millis(w.now)
	i := sgFlowSlot(k0, k1)
	e := &c.ents[i]
	if mac := srcMAC(d); e.k0 != k0 || e.k1 != k1 || e.eg != f || e.mac != mac {
		c.settle(w, e) // its counts are its filters'
		*e = sgFlow{k0: k0, k1: k1, eg: f, mac: mac, dirty: e.dirty, slot: uint8(i)}
	}
	e.egPin = pin
	c.mark(e) // for ingress, which counts without marking
	return e
}

// ingress is br-int's unicast of b, whose egress the cache answered or
// learned (e), to wire t: when t is the ingress filter that let the
// flow's earlier frame through and its pin holds, b goes to the filter's
// port without the filter, counted as the filter's established rule
// would count it. Otherwise b goes to t (ingressSlow). Like the filter,
// it is the last element of the frame's way, so the hop limit does not
// come into it.
func (c *sgFlowCache) ingress(w *Worker, e *sgFlow, t target, b *packet.Buffer) {
	if f := e.in; f != nil && t.elem == element(f) && e.inPin.Holds(c.ms) {
		p := &e.pend[sgIngress] // e is marked: egress or learn did it
		p.pkts++
		p.bytes += uint64(b.Len())
		w.enqueue(e.inPort, b)
		return
	}
	c.ingressSlow(w, e, t, b)
}

// ingressSlow sends b to t, and when t is a filter that left a HitCache
// entry for b, e learns it.
func (c *sgFlowCache) ingressSlow(w *Worker, e *sgFlow, t target, b *packet.Buffer) {
	w.emit(t, b)
	f, ok := t.elem.(*sgFilter)
	if !ok || !f.stateful || c.off {
		return
	}
	d := b.Data()
	pin, ok := w.ctc.Pin(d, &b.Meta.Layout, f.zone, f.tag(d, sgIngress), w.now)
	if !ok {
		return
	}
	if e.in != f {
		c.settle(w, e) // its ingress counts are the former filter's
		e.in, e.inPort = f, int(f.p.id)
	}
	e.inPin = pin
}

// mark puts e on the list of entries to settle.
func (c *sgFlowCache) mark(e *sgFlow) {
	if !e.dirty {
		e.dirty = true
		c.dirty[c.nDirty] = e.slot
		c.nDirty++
	}
}

// settle adds e's counts to the worker's counters of its filters.
func (c *sgFlowCache) settle(w *Worker, e *sgFlow) {
	for dir, f := range [2]*sgFilter{sgEgress: e.eg, sgIngress: e.in} {
		p := &e.pend[dir]
		if p.pkts == 0 {
			continue
		}
		k := &w.sg[f.p.id][dir][SGAcceptEstablished]
		k.pkts.add(p.pkts)
		k.bytes.add(p.bytes)
		c.answered += p.pkts
		*p = struct{ pkts, bytes uint64 }{}
	}
}

// settleAll settles the entries that counted frames since the last
// time: at the end of each batch, before its frames are written.
func (c *sgFlowCache) settleAll(w *Worker) {
	for _, i := range c.dirty[:c.nDirty] {
		e := &c.ents[i&(sgFlowsSize-1)]
		c.settle(w, e)
		e.dirty = false
	}
	c.nDirty = 0
}
