package datapath

import (
	"fmt"
	"net/netip"
	"sync/atomic"

	"neutrino/conntrack"
	"neutrino/defrag"
	"neutrino/packet"
	"neutrino/packet/header"
	"neutrino/router"
	l2switch "neutrino/switch"
)

// routerElem is a Neutron router, the qrouter namespace of the L3 agent
// (NEUTRON.md §3), as one element. Each of its ports (qr- on a tenant
// subnet, qg- on the external network) is a port of br-int in its
// network's local VLAN: the router's input port i is what br-int sends to
// router port i (frames to its MAC, and floods), and its output i leads
// back into br-int as that bridge port. So the router's MACs are learned
// like any host's, and local, flat and vlan networks all work.
//
// A routed IPv4 frame goes: conntrack (the router's zone) -> DNAT of a
// floating IP -> FIB -> TTL and MTU checks -> SNAT -> TTL decrement ->
// neighbour -> br-int. ARP is answered for the router's addresses and, on
// qg, for its floating IPs (proxy ARP); ICMP echo to the router's
// addresses is answered, and errors (time exceeded, unreachable,
// fragmentation needed) are sent as Linux sends them, rate-limited.
type routerElem struct {
	*routerState
	*neighState
	n     *Node
	label string
	spec  *RouterSpec
	ports []routerPort
	out   []target // by router port: br-int's input for it
	gw    int      // the qg- port, -1 when none
	zone  uint16

	fib *router.FIB
	arp *router.Responder
	ct  *conntrack.Table

	// Floating IPs: DNAT floating -> fixed, SNAT fixed -> floating.
	dnat map[[4]byte][4]byte
	fip  map[[4]byte][4]byte
	snat bool      // enable_snat
	gwIP [4]byte   // the qg- address: SNAT source
	own  [][4]byte // the router's addresses (qr- gateway IPs, the qg- IP)
	// special is a 256-bit filter of the router's own, floating and
	// broadcast addresses: a packet whose source or destination misses it
	// (nearly all) skips the exact checks.
	special [4]uint64
	// fixed is the same filter of the fixed IPs that have a floating IP,
	// so that a new connection from any other address skips the map.
	fixed [4]uint64

	// Gratuitous ARP: the addresses to announce (nil: all the router
	// answers for), the rounds sent and when the first was. Only the
	// router timers touch them.
	garpOnly map[[4]byte]bool
	garpSent int
	garpAt   int64
}

// routerState is what a router keeps across reloads that leave it in
// place: its ICMP rate limit, its datagrams being reassembled and its
// counters.
type routerState struct {
	icmp  *router.ICMPLimiter
	frags *defrag.Table
	c     routerCounters
}

// neighState is the router's neighbour cache and the frames it holds; a
// reload keeps it when the router's ports stay as they were (the cache
// names them by number).
type neighState struct {
	neigh     *router.Cache[*heldFrame]
	heldBytes atomic.Int64 // bytes of frames waiting for neighbours
	ifaces    []string     // the ports' names, by number
}

// routerPort is one qr- or qg- port of a router.
type routerPort struct {
	name    string
	mac     [6]byte
	ip      [4]byte
	prefix  netip.Prefix
	lvid    uint16
	mtu     int
	gateway bool
	bcast   [4]byte         // the subnet's broadcast address
	bport   l2switch.PortID // its port on br-int
}

// routerCounters count what a router did, beside its drops.
type routerCounters struct {
	forwarded, local, ignored, arpAnswered, arpProxied atomic.Uint64
	icmpSent, icmpLimited, garp, held, released        atomic.Uint64
	dnat, snat, fragsHeld, reassembled                 atomic.Uint64
}

// maxHeldBytes bounds the frames one router keeps for neighbours being
// resolved (the cache bounds them per neighbour and in number).
const maxHeldBytes = 4 << 20

func (e *routerElem) name() string { return e.label }

// newRouter builds the element of spec; bports are its ports' br-int
// ports. was, when set, is the router's element in the graph a reload
// replaces: its state goes on in the new one.
func (n *Node) newRouter(spec *RouterSpec, bports []l2switch.PortID, ct *conntrack.Table, br *bridge, was *routerElem) (*routerElem, error) {
	e := &routerElem{
		n: n, label: "qrouter-" + spec.Name, spec: spec, gw: spec.Gateway, zone: spec.Zone, ct: ct,
		dnat: map[[4]byte][4]byte{}, fip: map[[4]byte][4]byte{}, snat: spec.EnableSNAT,
	}
	e.adopt(was)
	fib, err := router.Build(spec.Routes)
	if err != nil {
		return nil, fmt.Errorf("router %s: %w", spec.Name, err)
	}
	e.fib = fib
	var ifs []router.ARPInterface
	for i, ps := range spec.Ports {
		p := routerPort{
			name: ps.Name, mac: [6]byte(ps.MAC), ip: ps.Addr.Addr().As4(), prefix: ps.Addr.Masked(),
			lvid: ps.LVID, mtu: ps.MTU, gateway: ps.Gateway, bport: bports[i],
		}
		if p.prefix.Bits() < 31 {
			p.bcast = broadcastOf(p.prefix)
		}
		e.ports = append(e.ports, p)
		e.out = append(e.out, target{elem: br, port: uint16(p.bport)})
		e.own = append(e.own, p.ip)
		ai := router.ARPInterface{Index: i, MAC: p.mac, Addrs: []netip.Addr{ps.Addr.Addr()}}
		if ps.Gateway {
			e.gwIP = p.ip
			for _, f := range spec.FloatingIPs {
				ai.Proxy = append(ai.Proxy, f.Address)
			}
		}
		ifs = append(ifs, ai)
	}
	for _, f := range spec.FloatingIPs {
		e.dnat[f.Address.As4()] = f.Fixed.As4()
		e.fip[f.Fixed.As4()] = f.Address.As4()
	}
	if e.arp, err = router.NewResponder(ifs); err != nil {
		return nil, fmt.Errorf("router %s: %w", spec.Name, err)
	}
	for _, p := range e.ports {
		e.markSpecial(p.ip)
		e.markSpecial(p.bcast)
	}
	for a := range e.dnat {
		e.markSpecial(a)
	}
	for a := range e.fip {
		b := specialBit(a)
		e.fixed[b>>6] |= 1 << (b & 63)
	}
	return e, nil
}

func specialBit(ip [4]byte) uint32 {
	return (uint32(ip[0])<<24 | uint32(ip[1])<<16 | uint32(ip[2])<<8 | uint32(ip[3])) * 0x9e3779b1 >> 24
}

func (e *routerElem) markSpecial(ip [4]byte) {
	b := specialBit(ip)
	e.special[b>>6] |= 1 << (b & 63)
}

// maybeSpecial reports whether ip may be one of the router's own,
// floating or subnet broadcast addresses (false: it is none of them).
func (e *routerElem) maybeSpecial(ip [4]byte) bool {
	b := specialBit(ip)
	return e.special[b>>6]&(1<<(b&63)) != 0
}

// floatingOf returns the floating IP of fixed IP ip, if it has one.
func (e *routerElem) floatingOf(ip [4]byte) ([4]byte, bool) {
	if b := specialBit(ip); e.fixed[b>>6]&(1<<(b&63)) == 0 {
		return [4]byte{}, false
	}
	f, ok := e.fip[ip]
	return f, ok
}

// isBroadcast reports whether ip is the broadcast address of one of the
// router's subnets, the limited broadcast, or a multicast (or class E)
// address: none of them is routed (no multicast routes, bc_forwarding 0).
func (e *routerElem) isBroadcast(ip [4]byte) bool {
	if ip[0] >= 224 {
		return true
	}
	for i := range e.ports {
		if e.ports[i].bcast == ip {
			return true
		}
	}
	return false
}

// isFloating reports whether ip is one of the router's floating IPs.
func (e *routerElem) isFloating(ip [4]byte) bool {
	_, ok := e.dnat[ip]
	return ok
}

// isOwn reports whether ip is one of the router's addresses.
func (e *routerElem) isOwn(ip [4]byte) bool {
	for _, a := range e.own {
		if a == ip {
			return true
		}
	}
	return false
}

func (e *routerElem) receive(w *Worker, in uint16, b *packet.Buffer) {
	p := &e.ports[in]
	if w.capt != nil && !w.dryRun {
		if cs := w.capt.bridge[int(p.bport)]; cs != nil {
			record(cs, b, w.now, false)
		}
	}
	d := b.Data()
	l := &b.Meta.Layout
	if tr := b.Meta.Trace; tr != nil {
		tr.Addf(p.name, "receive", "%s: %s", e.label, packetSummary(d, l))
	}
	if [6]byte(d[0:6]) != p.mac {
		// Floods reach the router as every host on the network: only
		// broadcast ARP is for it.
		if l.Flags&header.IsARP == 0 || !header.Ethernet(d).IsMulticast() {
			e.count(w, &e.c.ignored)
			if tr := b.Meta.Trace; tr != nil {
				tr.Add(p.name, "ignore", "not for the router's MAC")
			}
			return
		}
	}
	switch {
	case l.Flags&header.IsARP != 0:
		e.receiveARP(w, int(in), b)
	case l.Flags&header.IsIPv4 != 0:
		e.receiveIPv4(w, int(in), b)
	default:
		e.drop(w, b, RouterNotIPv4)
	}
}

// drop counts b dropped by the router for reason r.
func (e *routerElem) drop(w *Worker, b *packet.Buffer, r RouterReason) {
	w.dropIn(e, StageRouter, uint8(r), b)
}

// count adds one to c, except in a dry run.
func (e *routerElem) count(w *Worker, c *atomic.Uint64) {
	if !w.dryRun {
		c.Add(1)
	}
}

// broadcastOf returns the last address of an IPv4 prefix.
func broadcastOf(p netip.Prefix) [4]byte {
	a := p.Masked().Addr().As4()
	host := ^uint32(0) >> p.Bits()
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3]) | host
	return [4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
}
