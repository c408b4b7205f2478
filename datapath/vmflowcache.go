package datapath

import (
	"encoding/binary"

	"neutrino/conntrack"
	"neutrino/packet"
	"neutrino/packet/header"
	l2switch "neutrino/switch"
)

// vmFlowCache is a worker's exact-match cache of the frames VM ports
// send to other ports of the node through br-int, as Open vSwitch's
// microflow cache is of its datapath: for a TCP or UDP frame (its ports,
// addresses, protocol, MACs and the port it came in by), what its walk
// decided: br-int's unicast to a device, straight or through the
// destination port's ingress filter, and for a port with security groups
// its egress filter's answer. The next frames of the flow are then one
// key extraction and one lookup, filtered or not; a walk is taken by
// frames to a router (the route cache's), for a DHCP port, broadcasts,
// and anything not cached.
//
// A hit answers what the walk would. br-int: the entry keeps br-int's
// Gen when the walk began (a MAC moved or went changes it) and the time
// before which Forward finds the source learned on the port and fresh
// (nothing to write) and the destination learned and not aged
// (Switch.UnicastUntil); the graph is a given (a reload empties the
// cache). The port's own checks before br-int (routers, DHCP port) are
// decided by the key. The filters: as the filters' flow cache (sgFlow),
// a filter's answer is a conntrack pin taken from the HitCache entry its
// own decision left, with the same key, zone and tag, and holds only
// while the table would answer ESTABLISHED without writing; for TCP only
// segments with ACK and without SYN, FIN or RST are answered. All that
// is checked once an epoch: a batch is one instant (its frames were read
// before it runs and its clock is one time), and within it br-int's
// table and the connections change under this worker only on a walk: a
// frame this cache does not answer, nor the route cache, and a filter
// that tracks a packet start a new epoch, as does the end of each batch.
// Traced frames, dry runs and captures never use the cache. A filtered
// flow's counts are its filters' established rules' (packets and bytes,
// by port and direction), kept in the entry during a batch and added to
// the worker's counters when the batch is written (settleAll).
type vmFlowCache struct {
	epoch uint64 // see vmFlowCache; entries checked in it need no check
	ok    bool   // the batch may use the cache: no dry run, no capture
	off   bool   // tests: never filled, so never answers
	// answered counts the filters' answers (a frame through two filters
	// counts twice) the cache gave, as they are settled.
	answered uint64
	hits     uint64 // frames answered in this batch (then in the worker's vmHits)
	rec      vmRec  // the walk being watched for an entry
	nDirty   int
	dirty    [vmFlowsSize]uint8 // entries with counts to settle, each once
	ents     [vmFlowsSize]vmFlow
}

const (
	vmFlowsBits = 8
	vmFlowsSize = 1 << vmFlowsBits
)

// vmFlow is one entry. What a hit reads comes first (64 bytes).
type vmFlow struct {
	// The key: the IPv4 addresses; the ports, the protocol and the
	// ingress slot (plus one, so that no key is zero); the destination
	// MAC and the source MAC's first two bytes; its last four.
	k0, k1, k2, k3 uint64
	epoch          uint64 // when everything was last checked
	out            uint16 // the device slot the frames are queued for
	eg, in         bool   // the egress filter of the port they come from, the ingress filter of out's, answered
	dirty          bool   // in vmFlowCache.dirty
	slot           uint8  // the entry's index
	pkts, bytes    uint64 // counted by the filters' established rules, not yet in the worker's counters
	gen            uint64 // br-int's Gen before the walk
	until          int64  // br-int's answer holds before this time (l2switch.Millis)
	egPin, inPin   conntrack.Pin
}

// vmRec is the walk of a frame the cache missed, for its entry.
type vmRec struct {
	b              *packet.Buffer // nil: none
	in             uint16         // its port's slot
	out            uint16         // br-int's unicast on its first way through, to this port plus one; 0: none
	slot           uint8
	k0, k1, k2, k3 uint64
	gen            uint64
}

// vmFast is portIn's try of the cache for frame b of VM port e (bound
// to br-int, one network, not to one of its routers): true when an entry
// answered it, and it is queued for its device. On false b takes the
// walk, watched for an entry when it may have one.
func (w *Worker) vmFast(e *portIn, b *packet.Buffer) bool {
	c := &w.vfc
	d := b.Data()
	l := &b.Meta.Layout
	l3, n := int(l.L3), len(d)
	// An IPv4 header without options (those with options are not
	// cached), its L4 ports after it: one bounds check for both.
	if b.Meta.Trace == nil && c.ok && l.Flags&(header.IsIPv4|header.Fragment|header.HasL4) == header.IsIPv4|header.HasL4 &&
		int(l.L4) == l3+header.IPv4MinLen && l3 <= n-header.IPv4MinLen-8 {
		h := (*[header.IPv4MinLen + 8]byte)(d[l3:])
		eth := (*[12]byte)(d)
		if h[6]&0x3f == 0 && (l.Proto == header.ProtoUDP || l.Proto == header.ProtoTCP) { // no MF, no offset
			k0 := binary.LittleEndian.Uint64(h[12:20])
			k1 := uint64(binary.LittleEndian.Uint32(h[20:24])) | uint64(l.Proto)<<32 | e.vmKey
			k2, k3 := binary.LittleEndian.Uint64(eth[0:8]), uint64(binary.LittleEndian.Uint32(eth[8:12]))
			i := vmFlowSlot(k0, k1, k2, k3)
			en := &c.ents[i]
			if en.k0 == k0 && en.k1 == k1 && en.k2 == k2 && en.k3 == k3 &&
				(en.epoch == c.epoch || c.check(w, en)) {
				if en.eg || en.in {
					if l.Proto == header.ProtoTCP && !pureACK(d, l3) {
						goto walk
					}
					en.pkts++
					en.bytes += uint64(n)
				}
				c.hits++
				w.enqueue(int(en.out), b)
				return true
			}
		walk:
			c.epoch++
			c.rec = vmRec{b: b, in: uint16(e.p.id), slot: uint8(i), k0: k0, k1: k1, k2: k2, k3: k3, gen: w.n.sw.Gen()}
			return false
		}
	}
	c.epoch++
	c.rec.b = nil
	return false
}

// vmFlowSlot returns the entry of a key.
func vmFlowSlot(k0, k1, k2, k3 uint64) uint64 {
	return (k0*0x9e3779b97f4a7c15 ^ k1 ^ k2 ^ k3) * 0xbf58476d1ce4e5b9 >> (64 - vmFlowsBits)
}

// pureACK reports whether the TCP segment after an IPv4 header without
// options at l3 is one the filters' conntrack cache answers: ACK, and no
// SYN, FIN or RST (anything else may change its connection).
func pureACK(d []byte, l3 int) bool {
	return l3 <= len(d)-header.IPv4MinLen-header.TCPMinLen &&
		d[l3+header.IPv4MinLen+13]&(header.TCPFlagSYN|header.TCPFlagFIN|header.TCPFlagRST|header.TCPFlagACK) == header.TCPFlagACK
}

// check checks en in this epoch: br-int's answer and the filters' pins.
func (c *vmFlowCache) check(w *Worker, en *vmFlow) bool {
	if en.gen != w.n.sw.Gen() || l2switch.Millis(w.now) >= en.until {
		return false
	}
	ms := w.sgf.millis(w.now)
	if en.eg && !en.egPin.Holds(ms) || en.in && !en.inPin.Holds(ms) {
		return false
	}
	en.epoch = c.epoch
	if (en.eg || en.in) && !en.dirty {
		en.dirty = true
		c.dirty[c.nDirty] = en.slot
		c.nDirty++
	}
	return true
}

// fill makes the entry of the watched frame b at the end of its walk,
// when br-int (br) sent it by unicast to a device, or to an ingress
// filter that let it through. fl is the filters' flow cache entry of
// b's egress filtering (nil when it has none); a frame from a port with
// security groups gets an entry only with it.
func (c *vmFlowCache) fill(w *Worker, br *bridge, fl *sgFlow, b *packet.Buffer) {
	r := &c.rec
	r.b = nil
	if c.off || r.out == 0 {
		return
	}
	in, out := r.in, r.out-1
	t := br.out[out]
	d := b.Data()
	ms := w.sgf.millis(w.now)
	en := vmFlow{k0: r.k0, k1: r.k1, k2: r.k2, k3: r.k3, gen: r.gen, out: t.port}
	if f := w.g.entry[in].fw; f != nil {
		if fl == nil || fl.eg != f || !fl.egPin.Holds(ms) {
			return
		}
		en.eg, en.egPin = true, fl.egPin
	}
	if t.elem != nil {
		f, ok := t.elem.(*sgFilter)
		if !ok || !f.stateful {
			return
		}
		if fl != nil && fl.in == f && fl.inOK {
			en.inPin = fl.inPin
		} else if en.inPin, ok = w.ctc.Pin(d, &b.Meta.Layout, f.zone, f.tag(d, sgIngress), w.now); !ok {
			return
		}
		if !en.inPin.Holds(ms) {
			return
		}
		en.in, en.out = true, uint16(f.p.id)
	}
	until, ok := w.n.sw.UnicastUntil(l2switch.PortID(in), l2switch.PortID(out), b.Meta.LVID,
		(*l2switch.MAC)(d[0:6]), (*l2switch.MAC)(d[6:12]), w.now)
	if !ok {
		return
	}
	en.until = until
	e := &c.ents[r.slot]
	c.settle(w, e) // its counts are its filters'
	en.dirty, en.slot = e.dirty, r.slot
	en.epoch = c.epoch - 1 // checked on its first hit
	*e = en
}

// settle adds e's counts to the worker's counters of its filters.
func (c *vmFlowCache) settle(w *Worker, e *vmFlow) {
	if e.pkts == 0 {
		return
	}
	if e.eg {
		k := &w.sg[e.k1>>40-1][sgEgress][SGAcceptEstablished]
		k.pkts.add(e.pkts)
		k.bytes.add(e.bytes)
		c.answered += e.pkts
	}
	if e.in {
		k := &w.sg[e.out][sgIngress][SGAcceptEstablished]
		k.pkts.add(e.pkts)
		k.bytes.add(e.bytes)
		c.answered += e.pkts
	}
	e.pkts, e.bytes = 0, 0
}

// settleAll settles the entries that counted frames since the last
// time: at the end of each batch, before its frames are written. The
// entries of a batch mostly count for the same filters (the batch's
// port's, and the few its flows go to): their counts are summed by
// filter first, for each counter is written with a store that costs as
// much as a locked instruction.
func (c *vmFlowCache) settleAll(w *Worker) {
	var eg, in sgSum
	for _, i := range c.dirty[:c.nDirty] {
		e := &c.ents[i]
		if e.pkts != 0 {
			if e.eg {
				eg.add(w, int(e.k1>>40-1), sgEgress, e.pkts, e.bytes)
			}
			if e.in {
				in.add(w, int(e.out), sgIngress, e.pkts, e.bytes)
			}
			e.pkts, e.bytes = 0, 0
		}
		e.dirty = false
	}
	c.answered += eg.all + in.all
	eg.settle(w, sgEgress)
	in.settle(w, sgIngress)
	if c.hits != 0 {
		w.vmHits.add(c.hits)
		c.hits = 0
	}
	c.nDirty = 0
	c.epoch++ // the next batch is another instant
	c.rec.b = nil
}

// sgSum sums counts of one direction's established rule for a run of
// entries of the same port.
type sgSum struct {
	slot        int
	pkts, bytes uint64
	all         uint64 // every packet summed
}

// add adds a count for port slot, after settling the sum of the port
// before when it is another.
func (s *sgSum) add(w *Worker, slot, dir int, pkts, bytes uint64) {
	if slot != s.slot {
		s.settle(w, dir)
		s.slot = slot
	}
	s.pkts += pkts
	s.bytes += bytes
	s.all += pkts
}

// settle adds the sum to the port's counter.
func (s *sgSum) settle(w *Worker, dir int) {
	if s.pkts != 0 {
		k := &w.sg[s.slot][dir][SGAcceptEstablished]
		k.pkts.add(s.pkts)
		k.bytes.add(s.bytes)
		s.pkts, s.bytes = 0, 0
	}
}

// reset empties the cache: its entries were made on an older graph.
// Nothing is left to settle (each batch settles its own).
func (c *vmFlowCache) reset() {
	off, answered := c.off, c.answered
	*c = vmFlowCache{off: off, answered: answered}
}
