package datapath

import (
	"encoding/binary"

	"neutrino/conntrack"
	"neutrino/nat"
	"neutrino/packet"
	"neutrino/packet/header"
	"neutrino/router"
)

// The route cache is each worker's exact-match cache of routed flows, as
// Open vSwitch's microflow cache is of its datapath flows: a TCP or UDP
// packet from a VM port without filters, through br-int to a router,
// through conntrack (a hit), NAT, the FIB and a resolved neighbour, and
// through br-int again to a device port, is recorded as it runs; the next
// packets of its flow skip the walk and get the recorded rewrite. A hit
// re-checks everything the walk would decide differently now: the graph
// (a reload), br-int's table (Switch.Gen: a MAC moved or went), the
// connection (conntrack.Hold: alive, the same, a packet Track would not
// write for), the neighbour (still resolved to the same MAC), the TTL,
// the size against the egress MTU and the header checksum. Anything else
// (a trace, a capture, a super-frame, IP options, a fragment) takes the
// walk.
type routeCache struct {
	sets [routeCacheSets][2]routeEntry
}

const (
	routeCacheBits = 10
	routeCacheSets = 1 << routeCacheBits
)

// routeKey is what fixes a flow's walk: the ingress port, the Ethernet
// addresses, the IPv4 addresses, the protocol and the ports.
type routeKey struct {
	k0 uint64 // in slot << 48 | destination MAC
	k1 uint64 // protocol << 48 | source MAC
	k2 uint64 // source << 32 | destination address
	k3 uint64 // source << 16 | destination port
}

// routeEntry is one recorded walk.
type routeEntry struct {
	key    routeKey
	g      *graph // the graph it was recorded on; nil: empty
	fdbGen uint64
	r      *routerElem
	pin    conntrack.Hold
	plan   nat.Plan // NAT and the TTL decrement
	nh     [4]byte  // the next hop
	mac    [6]byte  // its MAC
	smac   [6]byte  // the router port's
	out    uint16   // the router port
	dev    uint16   // the device slot it leaves by
	lvid   uint16   // the egress network's
	mtu    uint16
	recent bool // the way of its set used last
}

// routeRec is the walk of one frame being recorded.
type routeRec struct {
	b    *packet.Buffer // the frame (nil: none)
	step uint8
	e    routeEntry
}

// Steps of a recording.
const (
	recIn       uint8 = iota + 1 // portIn: the key
	recToRouter                  // br-int: unicast to a router port
	recRouted                    // the router: conntrack hit, NAT, FIB, neighbour
	recOut                       // br-int: unicast to a device without filter
)

// routeKeyOf returns the key of a frame that may be cached: IPv4 TCP or
// UDP, unfragmented, without IP options, not a super-frame.
func routeKeyOf(in uint16, b *packet.Buffer) (routeKey, bool) {
	l := &b.Meta.Layout
	if l.Flags&(header.IsIPv4|header.Fragment|header.HasL4|header.Tagged) != header.IsIPv4|header.HasL4 || b.Meta.GSO.IsGSO() {
		return routeKey{}, false
	}
	d := b.Data()
	if int(l.L3)+20 > len(d) || int(l.L4)+4 > len(d) {
		return routeKey{}, false
	}
	ip := d[l.L3 : l.L3+20]
	if ip[0] != 0x45 || ip[9] != header.ProtoTCP && ip[9] != header.ProtoUDP {
		return routeKey{}, false
	}
	eth := d[0:12]
	return routeKey{
		k0: uint64(in)<<48 | uint64(binary.BigEndian.Uint16(eth[0:2]))<<32 | uint64(binary.BigEndian.Uint32(eth[2:6])),
		k1: uint64(ip[9])<<48 | uint64(binary.BigEndian.Uint16(eth[6:8]))<<32 | uint64(binary.BigEndian.Uint32(eth[8:12])),
		k2: binary.BigEndian.Uint64(ip[12:20]),
		k3: uint64(binary.BigEndian.Uint32(d[l.L4 : l.L4+4])),
	}, true
}

func (k *routeKey) set() uint64 {
	h := k.k0 ^ k.k1*0x9e3779b97f4a7c15 ^ k.k2*0xc2b2ae3d27d4eb4f ^ k.k3*0x165667b19e3779f9
	return (h ^ h>>29) * 0xbf58476d1ce4e5b9 >> (64 - routeCacheBits)
}

// routeFast is portIn's try of the route cache for frame b of VM port
// e: true when a recorded walk answered it (it is queued for its
// device). On false the frame takes the walk, recorded when it may be
// cached; a walk may change br-int's table and the connections (a new
// connection may early-drop another), so the VM flow cache and the
// filters' flow cache check their entries again (a new epoch).
func (w *Worker) routeFast(e *portIn, b *packet.Buffer) bool {
	if !w.cacheOK || b.Meta.Trace != nil || b.Data()[0]&1 != 0 {
		w.vfc.epoch++
		w.sgf.epoch++
		return false
	}
	k, ok := routeKeyOf(uint16(e.p.id), b)
	if !ok {
		w.vfc.epoch++
		w.sgf.epoch++
		return false
	}
	if rc := w.rc; rc != nil {
		set := &rc.sets[k.set()]
		for i := range set {
			if ent := &set[i]; ent.key == k && ent.g == w.g {
				if w.routeHit(ent, b) {
					w.routeHits.inc()
					set[i].recent, set[1-i].recent = true, false
					return true
				}
				break
			}
		}
	}
	w.rec = routeRec{b: b, step: recIn}
	w.rec.e.key = k
	w.rec.e.fdbGen = w.n.sw.Gen()
	w.vfc.epoch++
	w.sgf.epoch++
	return false
}

// routeHit applies ent to b if it still holds; false leaves b untouched.
func (w *Worker) routeHit(ent *routeEntry, b *packet.Buffer) bool {
	if w.n.sw.Gen() != ent.fdbGen {
		return false
	}
	d := b.Data()
	l := &b.Meta.Layout
	ip := header.IPv4(d[l.L3:])
	if ip.TTL() <= 1 || int(ip.TotalLength()) > int(ent.mtu) {
		return false
	}
	var flags uint8
	if ip[9] == header.ProtoTCP {
		flags = d[l.L4+13]
	}
	if !ent.pin.Hit(flags, w.now) {
		return false
	}
	r := ent.r
	if mac, st := r.neigh.Lookup(int(ent.out), ent.nh, w.now); mac != ent.mac || st != router.StateReachable && st != router.StateProbe {
		return false
	}
	if !ip.ChecksumValid() {
		return false
	}
	ent.plan.Apply(d, l, b.Meta.GSO.NeedsCsum)
	r.c.forwarded.Add(1)
	copy(d[0:6], ent.mac[:])
	copy(d[6:12], ent.smac[:])
	b.Meta.LVID = ent.lvid
	w.enqueue(int(ent.dev), b)
	return true
}

// recBridge records br-int's decision for the frame being recorded: the
// walk goes on only as a unicast to a router port (first) or to a
// device without filter (second).
func (w *Worker) recBridge(b *packet.Buffer, unicast bool, t target) {
	switch {
	case w.rec.b != b:
	case !unicast:
		w.rec.b = nil
	case w.rec.step == recIn:
		if r, ok := t.elem.(*routerElem); ok {
			w.rec.e.r = r
			w.rec.step = recToRouter
		} else {
			w.rec.b = nil
		}
	case w.rec.step == recRouted && t.elem == nil:
		w.rec.e.dev = t.port
		w.rec.step = recOut
	default:
		w.rec.b = nil
	}
}

// recRoute records the router's decision for the frame being recorded:
// the connection it belongs to and the addresses NAT gives it.
func (w *Worker) recRoute(e *routerElem, b *packet.Buffer, v *conntrack.Verdict, cur, want nat.Addrs) {
	if w.rec.b != b || w.rec.step != recToRouter || w.rec.e.r != e {
		w.rec.b = nil
		return
	}
	pin, ok := conntrack.HoldOf(v)
	if !ok {
		w.rec.b = nil
		return
	}
	w.rec.e.pin, w.rec.e.plan = pin, nat.NewPlan(cur, want)
}

// recNeighbour records where the router sends the frame being recorded.
func (w *Worker) recNeighbour(e *routerElem, b *packet.Buffer, out int, nh [4]byte, mac [6]byte) {
	if w.rec.b != b || w.rec.step != recToRouter || w.rec.e.pin == (conntrack.Hold{}) {
		w.rec.b = nil
		return
	}
	p := &e.ports[out]
	w.rec.e.out, w.rec.e.nh, w.rec.e.mac, w.rec.e.smac = uint16(out), nh, mac, p.mac
	w.rec.e.lvid, w.rec.e.mtu = p.lvid, uint16(min(p.mtu, 0xffff))
	w.rec.step = recRouted
}

// recEnd ends the recording of b: a walk recorded whole becomes an entry.
func (w *Worker) recEnd(b *packet.Buffer) {
	if w.rec.b != b {
		return
	}
	rec := &w.rec
	if rec.step == recOut && w.n.sw.Gen() == rec.e.fdbGen {
		if w.rc == nil {
			w.rc = new(routeCache)
		}
		set := &w.rc.sets[rec.e.key.set()]
		i := 0
		if set[0].recent && set[0].key != rec.e.key || set[1].key == rec.e.key {
			i = 1
		}
		rec.e.g = w.g
		rec.e.recent = true
		set[i], set[1-i].recent = rec.e, false
	}
	*rec = routeRec{}
}
