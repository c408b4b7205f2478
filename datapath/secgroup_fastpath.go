package datapath

import (
	"encoding/binary"

	"neutrino/conntrack"
	"neutrino/packet"
	"neutrino/packet/header"
)

// sgFlowCache is a worker's flow cache of the security groups' established
// path: for a frame a VM port sends (its FlowKey, source MAC and the
// port's filter), what the filter's conntrack cache answered on an
// earlier frame of the flow, pinned (conntrack.Pin), and what the
// ingress filter of the port br-int then sent it to answered. A frame
// between two filtered VMs of the node is then one key extraction and
// one lookup, where the filters would each extract the key, look it up
// and check the connection.
//
// It answers exactly what the filters' fast paths (fast: the worker's
// HitCache) answer: an entry is filled only from the HitCache entry the
// filter's own decision left, with the same key, zone and tag (the
// filter itself stands for its generation, the source MAC for the
// anti-spoofing checks), and a pin holds only while the table would
// answer ESTABLISHED without writing (no FIN, kill, removal or reuse
// since, stamp younger than the refresh interval). An entry's pins are
// checked once an epoch: a batch is one instant (its frames were read
// before it runs, and its clock, w.now, is one time), and within it the
// table changes under this worker only when a filter of the worker
// tracks a packet (state), which starts a new epoch, as does the end of
// each batch. Traced frames and dry runs never use the cache. Its counts
// are the filters' (the established rule's packets and bytes, by port
// and direction), kept in the entry during a batch and added to the
// worker's counters when the batch is written (settle), so that the hot
// path makes no atomic writes.
type sgFlowCache struct {
	epoch   uint64 // see sgFlowCache; entries checked in it need no check
	now, ms int64  // the batch's time, and conntrack.Millis of it
	off     bool   // tests: never filled, so never answers
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
	epoch  uint64    // when egPin held, and inPin if inOK
	inOK   bool
	dirty  bool                            // in sgFlowCache.dirty
	slot   uint8                           // the entry's index
	in     *sgFilter                       // the ingress filter br-int sent them to; nil: none known
	inPort int                             // in's port
	pend   [2]struct{ pkts, bytes uint64 } // by direction, not yet in the worker's counters
	egPin  conntrack.Pin
	inPin  conntrack.Pin
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

// filtered is portIn's receive for a VM port with security groups,
// past the parsing and classification: egress filtering, then as
// receive, with the flow cache's entry for br-int (which may answer the
// ingress filter too). When the cache answers, b is ESTABLISHED in the
// zone of the port's filter f and every check f made on its flow's
// earlier frame would pass again; it is counted as f's established rule
// would count it. Otherwise f decides, and the cache may learn its
// decision. The flow cache's lookup is written out here, key
// (conntrack.FlowKey's, which learn stores) and all: this is the hot
// path, and a call of its own cost a tenth of it.
func (e *portIn) filtered(w *Worker, b *packet.Buffer, lvid uint16, toRouter bool) {
	f, c := e.fw, &w.sgf
	fl := (*sgFlow)(nil)
	d := b.Data()
	l := &b.Meta.Layout
	l3, n := int(l.L3), len(d)
	// An IPv4 header without options (those with options go to f, and
	// its fast path), its L4 header after it: one bounds check for both.
	if b.Meta.Trace == nil && !w.dryRun && l.Flags&(header.IsIPv4|header.Fragment|header.HasL4) == header.IsIPv4|header.HasL4 &&
		int(l.L4) == l3+header.IPv4MinLen && l3 <= n-header.IPv4MinLen-8 {
		h := (*[header.IPv4MinLen + 8]byte)(d[l3:])
		if h[6]&0x3f == 0 && // no MF, no offset
			(l.Proto == header.ProtoUDP || l.Proto == header.ProtoTCP && l3 <= n-header.IPv4MinLen-header.TCPMinLen &&
				d[l3+header.IPv4MinLen+13]&(header.TCPFlagSYN|header.TCPFlagFIN|header.TCPFlagRST|header.TCPFlagACK) == header.TCPFlagACK) {
			k0, k1 := binary.LittleEndian.Uint64(h[12:20]), uint64(binary.LittleEndian.Uint32(h[20:24]))|uint64(l.Proto)<<32
			en := &c.ents[sgFlowSlot(k0, k1)]
			if en.k0 == k0 && en.k1 == k1 && en.eg == f && en.mac == binary.LittleEndian.Uint64(d[4:12])>>16 &&
				(en.epoch == c.epoch || c.check(w, en)) {
				en.pend[sgEgress].pkts++
				en.pend[sgEgress].bytes += uint64(n)
				fl = en
			}
		}
	}
	if fl == nil {
		if !f.egress(w, b) {
			return
		}
		fl = c.learn(w, f, b)
	}
	// Let out by the filter: a routed flow's frame may be the route
	// cache's (never the DHCP port's, nor a broadcast).
	if toRouter && w.routeFast(e, b) {
		return
	}
	if e.intercepts || d[0]&1 != 0 {
		if e.special(w, b, lvid) {
			return
		}
	}
	if e.br != nil {
		e.toBridge(w, b, fl)
		return
	}
	w.rec.b = nil
	w.emit(e.out[portInToBridge], b)
}

// check checks e's pins in this epoch: it reports whether egPin holds,
// and notes whether inPin does.
func (c *sgFlowCache) check(w *Worker, e *sgFlow) bool {
	ms := c.millis(w.now)
	if !e.egPin.Holds(ms) {
		return false
	}
	e.inOK = e.in != nil && e.inPin.Holds(ms)
	e.epoch = c.epoch
	c.mark(e)
	return true
}

// learn fills the entry of b, which f let through on its way from f's
// port, from the worker's conntrack cache: when f's decision left a
// HitCache entry for it (an established connection of a kind the cache
// keeps), the next frames of its flow take egress. It returns the entry
// (nil when there is none), for the ingress side.
func (c *sgFlowCache) learn(w *Worker, f *sgFilter, b *packet.Buffer) *sgFlow {
	l := &b.Meta.Layout
	if c.off || !f.stateful || b.Meta.Trace != nil || w.dryRun || l.L4 != l.L3+header.IPv4MinLen {
		return nil // filtered looks up no frame with IP options
	}
	d := b.Data()
	k0, k1, ok := conntrack.FlowKey(d, l)
	if !ok {
		return nil
	}
	pin, ok := w.ctc.Pin(d, l, f.zone, f.tag(d, sgEgress), w.now)
	if !ok {
		return nil
	}
	i := sgFlowSlot(k0, k1)
	e := &c.ents[i]
	if mac := srcMAC(d); e.k0 != k0 || e.k1 != k1 || e.eg != f || e.mac != mac {
		c.settle(w, e) // its counts are its filters'
		*e = sgFlow{k0: k0, k1: k1, eg: f, mac: mac, dirty: e.dirty, slot: uint8(i)}
	}
	e.egPin = pin // it holds: the HitCache entry was fresh now
	e.inOK = e.in != nil && e.inPin.Holds(c.millis(w.now))
	e.epoch = c.epoch
	c.mark(e)
	return e
}

// passes reports whether the cache answers the ingress side of a frame
// of n bytes whose egress it answered or learned (e), for br-int's
// unicast to wire t: t is the ingress filter that let the flow's earlier
// frame through, and its pin holds. It counts the frame as the filter's
// established rule would; br-int then queues it for port e.inPort, as
// the filter would (like the filter, it is the last element of the
// frame's way, so the hop limit does not come into it). Otherwise the
// frame goes to t by ingressSlow.
func (e *sgFlow) passes(c *sgFlowCache, t target, n int) bool {
	if !e.inOK || e.epoch != c.epoch || t.elem != element(e.in) {
		return false
	}
	p := &e.pend[sgIngress] // e is marked: check or learn did it
	p.pkts++
	p.bytes += uint64(n)
	return true
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
	e.inPin, e.inOK = pin, true // it holds now; e.epoch may be past
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
	if p := &e.pend[sgEgress]; p.pkts != 0 {
		k := &w.sg[e.eg.p.id][sgEgress][SGAcceptEstablished]
		k.pkts.add(p.pkts)
		k.bytes.add(p.bytes)
		c.answered += p.pkts
		p.pkts, p.bytes = 0, 0
	}
	if p := &e.pend[sgIngress]; p.pkts != 0 {
		k := &w.sg[e.in.p.id][sgIngress][SGAcceptEstablished]
		k.pkts.add(p.pkts)
		k.bytes.add(p.bytes)
		c.answered += p.pkts
		p.pkts, p.bytes = 0, 0
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
	c.epoch++ // the next batch is another instant
}
