package datapath

import (
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"

	"neutrino/packet"
	"neutrino/packet/header"
	"neutrino/router"
)

// brtun is Neutron's br-tun on the graph: between br-int's tunnel port
// and the node's VXLAN endpoint (the tunnel device port). A frame br-int
// sends it is, by its local VLAN's network:
//
//   - an ARP request for an address of another node's port or router
//     interface: answered here, the reply sent back into br-int from the
//     tunnel port (table 21); for an address of this node: dropped, its
//     owner answers on br-int (no ARP broadcast crosses the underlay for
//     a known address);
//   - unicast to a MAC of the L2 population FDB (table 20), or learned
//     from the tunnels (table 10): to that VTEP;
//   - anything else (broadcast, multicast, unknown unicast): to every
//     VTEP of the network's flood list (table 22), a copy each.
//
// Frames read from the tunnels are classified by portIn (VNI to local
// VLAN, table 4), which calls learn (table 10) before br-int.
type brtun struct {
	n      *Node
	spec   *TunnelSpec
	dev    int       // the tunnel device port
	br     *bridge   // br-int, for ARP replies
	nets   []*tunNet // by LVID
	byVNI  map[uint32]uint16
	l2pop  map[tunMAC]uint16 // (lvid, MAC) -> VTEP
	arp    map[tunIP]tunARP
	local  map[tunIP]bool
	vteps  int
	learnt *tunLearnt
	c      *brtunCounters
}

// brtunCounters count what br-tun did: ARP answered or kept off the
// tunnels, and frames and bytes to and from each VTEP (by VTEP number).
type brtunCounters struct {
	arpAnswered, arpLocal atomic.Uint64
	vtep                  []vtepCounters
}

type vtepCounters struct {
	txFrames, txBytes, rxFrames, rxBytes atomic.Uint64
}

type tunNet struct {
	vni   uint32
	flood []uint16
}

type tunMAC struct {
	lvid uint16
	mac  [6]byte
}

type tunIP struct {
	lvid uint16
	ip   [4]byte
}

type tunARP struct {
	mac   [6]byte
	owner string
}

// tunLearnt is table 10: MACs the topology does not place, learned from
// the tunnels they came out of, each for learnAging; at most
// maxLearnt of them.
type tunLearnt struct {
	mu sync.RWMutex
	m  map[tunMAC]learntEntry
}

type learntEntry struct {
	vtep uint16
	seen int64
}

const (
	learnAging = 300e9 // ns, as table 10's hard timeout
	maxLearnt  = 65536
)

func (n *Node) newBrtun(dev int, spec *TunnelSpec, br *bridge, was *brtun) *brtun {
	e := &brtun{
		n: n, dev: dev, br: br, spec: spec, byVNI: map[uint32]uint16{}, l2pop: map[tunMAC]uint16{},
		arp: map[tunIP]tunARP{}, local: map[tunIP]bool{}, vteps: len(spec.VTEPs),
		learnt: &tunLearnt{m: map[tunMAC]learntEntry{}},
		c:      &brtunCounters{vtep: make([]vtepCounters, len(spec.VTEPs)+1)},
	}
	if was != nil && slices.Equal(was.spec.VTEPs, spec.VTEPs) {
		// The same tunnels, numbered the same: what was learned from
		// them and their counters stay (a reload).
		e.learnt, e.c = was.learnt, was.c
	}
	for _, tn := range spec.Networks {
		for int(tn.LVID) >= len(e.nets) {
			e.nets = append(e.nets, nil)
		}
		e.nets[tn.LVID] = &tunNet{vni: tn.VNI, flood: tn.Flood}
		e.byVNI[tn.VNI] = tn.LVID
		for _, f := range tn.FDB {
			e.l2pop[tunMAC{tn.LVID, [6]byte(f.MAC)}] = f.VTEP
		}
		for _, a := range tn.ARP {
			e.arp[tunIP{tn.LVID, a.IP.As4()}] = tunARP{mac: [6]byte(a.MAC), owner: a.Owner}
		}
		for _, ip := range tn.Local {
			if ip.Is4() {
				e.local[tunIP{tn.LVID, ip.As4()}] = true
			}
		}
	}
	return e
}

func (e *brtun) name() string { return "br-tun" }

func (e *brtun) receive(w *Worker, _ uint16, b *packet.Buffer) {
	lvid := b.Meta.LVID
	var nw *tunNet
	if int(lvid) < len(e.nets) {
		nw = e.nets[lvid]
	}
	if nw == nil {
		w.dropIn(e, StagePortOut, uint8(ReasonNoTag), b)
		return
	}
	d := b.Data()
	tr := b.Meta.Trace
	if d[0]&1 != 0 {
		if l := &b.Meta.Layout; l.Flags&header.IsARP != 0 && e.answerARP(w, b, lvid) {
			return
		}
		if tr != nil {
			tr.Addf(e.name(), "flood", "vni %d to %d vteps", nw.vni, len(nw.flood))
		}
		e.flood(w, b, nw)
		return
	}
	dst := [6]byte(d[0:6])
	if k, ok := e.l2pop[tunMAC{lvid, dst}]; ok {
		if tr != nil {
			tr.Addf(e.name(), "unicast", "%s vni %d to vtep %s (l2pop)", macString(dst), nw.vni, e.vtepAddr(k))
		}
		e.send(w, b, nw.vni, k, false)
		return
	}
	if k := e.learnt.lookup(lvid, dst, w.now); k != 0 {
		if tr != nil {
			tr.Addf(e.name(), "unicast", "%s vni %d to vtep %s (learned)", macString(dst), nw.vni, e.vtepAddr(k))
		}
		e.send(w, b, nw.vni, k, false)
		return
	}
	if tr != nil {
		tr.Addf(e.name(), "flood", "unknown %s: vni %d to %d vteps", macString(dst), nw.vni, len(nw.flood))
	}
	e.flood(w, b, nw)
}

// flood sends b to every VTEP of the network's flood list; none: a drop.
func (e *brtun) flood(w *Worker, b *packet.Buffer, nw *tunNet) {
	if len(nw.flood) == 0 {
		w.dropIn(e, StagePortOut, uint8(ReasonNoVTEP), b)
		return
	}
	for i, k := range nw.flood {
		e.send(w, b, nw.vni, k, i < len(nw.flood)-1)
	}
}

// send queues b for the tunnel device to VTEP k with VNI vni: b itself
// when no one else holds it and no later copy is to be made (more), else
// a copy.
func (e *brtun) send(w *Worker, b *packet.Buffer, vni uint32, k uint16, more bool) {
	c := b
	if b.Meta.Shared || more {
		if c = w.copyOf(e, b); c == nil {
			return
		}
	}
	c.Meta.Tunnel = packet.Tunnel{VNI: vni, VTEP: k}
	if !w.dryRun && int(k) < len(e.c.vtep) {
		v := &e.c.vtep[k]
		v.txFrames.Add(1)
		v.txBytes.Add(uint64(c.Len()))
	}
	w.enqueue(e.dev, c)
}

// answerARP answers a broadcast ARP request for an address the responder
// knows, or drops one for an address of this node (its owner answers on
// br-int); it reports whether it took care of b.
func (e *brtun) answerARP(w *Worker, b *packet.Buffer, lvid uint16) bool {
	d := b.Data()
	a := header.ARP(d[b.Meta.Layout.L3:])
	if a.Op() != header.ARPRequest {
		return false
	}
	tpa := a.TPA()
	spa := a.SPA()
	if tpa == spa {
		return false // gratuitous: everyone must hear it
	}
	key := tunIP{lvid, tpa}
	if e.local[key] {
		if tr := b.Meta.Trace; tr != nil {
			tr.Addf(e.name(), "arp", "who-has %s: on this node, not sent to the tunnels", netip.AddrFrom4(tpa))
		}
		if !w.dryRun {
			e.c.arpLocal.Add(1)
		}
		return true
	}
	ent, ok := e.arp[key]
	if !ok {
		return false
	}
	r := w.alloc(e, b)
	if r == nil {
		return true
	}
	r.SetLen(60)
	f := r.Data()
	clear(f)
	router.BuildReply(f, ent.mac, tpa, a.SHA(), spa)
	r.Meta.LVID = lvid
	r.Meta.Trace = b.Meta.Trace
	if m := header.Parse(f, &r.Meta.Layout); m != header.OK {
		return true
	}
	if tr := b.Meta.Trace; tr != nil {
		tr.Addf(e.name(), "arp", "responder: %s is-at %s (%s)", netip.AddrFrom4(tpa), macString(ent.mac), ent.owner)
	}
	if !w.dryRun {
		e.c.arpAnswered.Add(1)
	}
	w.emit(target{elem: e.br, port: uint16(e.dev)}, r)
	return true
}

// learn is table 10: a frame from VTEP k teaches where its source MAC
// is, unless the L2 population FDB places it already.
func (e *brtun) learn(w *Worker, lvid uint16, src [6]byte, k uint16, size int) {
	if w.dryRun {
		return
	}
	if int(k) < len(e.c.vtep) {
		v := &e.c.vtep[k]
		v.rxFrames.Add(1)
		v.rxBytes.Add(uint64(size))
	}
	if src[0]&1 != 0 {
		return
	}
	key := tunMAC{lvid, src}
	if _, ok := e.l2pop[key]; ok {
		return
	}
	e.learnt.learn(key, k, w.now)
}

func (e *brtun) vtepAddr(k uint16) string {
	if p := e.spec; k >= 1 && int(k) <= len(p.VTEPs) {
		return p.VTEPs[k-1].String()
	}
	return "?"
}

func (t *tunLearnt) lookup(lvid uint16, mac [6]byte, now int64) uint16 {
	t.mu.RLock()
	en, ok := t.m[tunMAC{lvid, mac}]
	t.mu.RUnlock()
	if !ok || now-en.seen > learnAging {
		return 0
	}
	return en.vtep
}

func (t *tunLearnt) learn(key tunMAC, k uint16, now int64) {
	t.mu.RLock()
	en, ok := t.m[key]
	t.mu.RUnlock()
	if ok && en.vtep == k && now-en.seen < 1e9 {
		return // fresh: no write
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.m[key]; !ok && len(t.m) >= maxLearnt {
		for old, en := range t.m { // evict an expired one, or any
			if now-en.seen > learnAging {
				delete(t.m, old)
				break
			}
		}
		if len(t.m) >= maxLearnt {
			for old := range t.m {
				delete(t.m, old)
				break
			}
		}
	}
	t.m[key] = learntEntry{vtep: k, seen: now}
}

// tunnelLVID is table 4 for a frame read from the tunnels: its VNI's
// local VLAN, 0 for a VNI of no network here.
func (e *brtun) tunnelLVID(vni uint32) uint16 { return e.byVNI[vni] }

// where says which VTEP br-tun sends (lvid, mac) to and why.
func (e *brtun) where(lvid uint16, mac [6]byte, now int64) (vtep, source string) {
	if k, ok := e.l2pop[tunMAC{lvid, mac}]; ok {
		return e.vtepAddr(k), "l2pop"
	}
	if k := e.learnt.lookup(lvid, mac, now); k != 0 {
		return e.vtepAddr(k), "learned"
	}
	return "", "flood"
}
