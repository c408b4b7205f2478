package datapath

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"neutrino/conntrack"
	"neutrino/router"
)

// RouterInfo describes one router for `neutrino show routers`.
type RouterInfo struct {
	Name        string            `json:"name"`
	Zone        uint16            `json:"zone"`
	Ports       []RouterPortInfo  `json:"ports"`
	EnableSNAT  bool              `json:"enable_snat"`
	GatewayIP   string            `json:"gateway_ip,omitempty"`
	FloatingIPs []FloatingIPInfo  `json:"floating_ips,omitempty"`
	Counters    map[string]uint64 `json:"counters"`
}

// RouterPortInfo is one qr- or qg- port.
type RouterPortInfo struct {
	Name    string `json:"name"`
	Kind    string `json:"kind"` // router_interface (qr-) or router_gateway (qg-), as Neutron's device_owner
	MAC     string `json:"mac"`
	Address string `json:"address"` // with the subnet's prefix length
	Subnet  string `json:"subnet"`
	Network string `json:"network"`
	LVID    uint16 `json:"lvid"`
	MTU     int    `json:"mtu"`
}

// FloatingIPInfo is one floating IP of a router.
type FloatingIPInfo struct {
	Router     string `json:"router"`
	FloatingIP string `json:"floating_ip"`
	FixedIP    string `json:"fixed_ip"`
	Port       string `json:"port"`
}

// RouteInfo is one entry of a router's FIB, as `ip route` shows it.
type RouteInfo struct {
	Router      string `json:"router"`
	Destination string `json:"destination"`
	Via         string `json:"via,omitempty"` // the next hop; empty for a connected route
	Dev         string `json:"dev"`
	Source      string `json:"src,omitempty"` // connected routes: the router's address there
	Kind        string `json:"kind"`          // connected, default or static
}

// NeighborInfo is one neighbour cache entry, as `ip neigh` shows it.
type NeighborInfo struct {
	Router string `json:"router"`
	Dev    string `json:"dev"`
	IP     string `json:"ip"`
	MAC    string `json:"lladdr,omitempty"`
	State  string `json:"state"`
	Queued int    `json:"queued,omitempty"`
}

func (p *routerPort) kind() string {
	if p.gateway {
		return "router_gateway"
	}
	return "router_interface"
}

// Routers describes the router called name (every router, in topology
// order, when name is "").
func (n *Node) Routers(name string) ([]RouterInfo, error) {
	rs, err := n.routerNamed(name)
	if err != nil {
		return nil, err
	}
	var out []RouterInfo
	for _, e := range rs {
		ri := RouterInfo{Name: e.spec.Name, Zone: e.zone, EnableSNAT: e.snat, Counters: e.counters()}
		for i := range e.ports {
			p := &e.ports[i]
			ps := &e.spec.Ports[i]
			ri.Ports = append(ri.Ports, RouterPortInfo{
				Name: p.name, Kind: p.kind(), MAC: macString(p.mac), Address: ps.Addr.String(),
				Subnet: ps.Subnet, Network: ps.Network, LVID: p.lvid, MTU: p.mtu,
			})
			if p.gateway {
				ri.GatewayIP = netip.AddrFrom4(p.ip).String()
			}
		}
		ri.FloatingIPs = e.floatingIPs()
		out = append(out, ri)
	}
	return out, nil
}

func (e *routerElem) floatingIPs() []FloatingIPInfo {
	var out []FloatingIPInfo
	for _, f := range e.spec.FloatingIPs {
		out = append(out, FloatingIPInfo{Router: e.spec.Name, FloatingIP: f.Address.String(), FixedIP: f.Fixed.String(), Port: f.Port})
	}
	return out
}

// counters snapshots what the router counted.
func (e *routerElem) counters() map[string]uint64 {
	c := &e.c
	m := map[string]uint64{
		"forwarded": c.forwarded.Load(), "local": c.local.Load(), "ignored": c.ignored.Load(),
		"arp_answered": c.arpAnswered.Load(), "arp_proxied": c.arpProxied.Load(),
		"icmp_errors_sent": c.icmpSent.Load(), "icmp_errors_rate_limited": c.icmpLimited.Load(),
		"gratuitous_arp": c.garp.Load(), "neighbour_queued": c.held.Load(), "neighbour_released": c.released.Load(),
		"dnat_connections": c.dnat.Load(), "snat_connections": c.snat.Load(),
		"fragments_held": c.fragsHeld.Load(), "datagrams_reassembled": c.reassembled.Load(),
	}
	ns := e.neigh.Stats()
	m["neighbour_requests"] = ns.Requests
	m["neighbour_failed"] = ns.Failed
	m["neighbour_entries"] = uint64(ns.Entries)
	fs := e.frags.Stats()
	m["fragment_bytes_held"] = uint64(fs.HeldBytes)
	return m
}

// routerNamed returns the router called name, or an error listing them.
func (n *Node) routerNamed(name string) ([]*routerElem, error) {
	rs := n.g.Load().routers
	if name == "" {
		return rs, nil
	}
	var names []string
	for _, e := range rs {
		if e.spec.Name == name {
			return []*routerElem{e}, nil
		}
		names = append(names, e.spec.Name)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no router %q: this node has no routers", name)
	}
	return nil, fmt.Errorf("no router %q (routers: %s)", name, strings.Join(names, ", "))
}

// Routes lists the FIB of the router called name (every router's when
// name is ""), connected routes first, then by prefix.
func (n *Node) Routes(name string) ([]RouteInfo, error) {
	rs, err := n.routerNamed(name)
	if err != nil {
		return nil, err
	}
	var out []RouteInfo
	for _, e := range rs {
		routes := e.fib.Routes()
		slices.SortStableFunc(routes, func(a, b router.Route) int {
			if a.Connected() != b.Connected() {
				if a.Connected() {
					return -1
				}
				return 1
			}
			return a.Prefix.Addr().Compare(b.Prefix.Addr())
		})
		for _, r := range routes {
			ri := RouteInfo{Router: e.spec.Name, Destination: r.Prefix.String(), Kind: "static"}
			if r.Prefix.Bits() == 0 {
				ri.Destination, ri.Kind = "default", "default"
			}
			if r.Connected() {
				p := &e.ports[r.Interface]
				ri.Dev, ri.Source, ri.Kind = p.name, netip.AddrFrom4(p.ip).String(), "connected"
			} else {
				ri.Via = r.Gateway.String()
				if hop, ok := e.fib.Lookup(r.Gateway, 0); ok {
					ri.Dev = e.ports[hop.Interface].name
				}
			}
			out = append(out, ri)
		}
	}
	return out, nil
}

// Neighbors lists the neighbour caches of the router called name (every
// router's when name is "").
func (n *Node) Neighbors(name string) ([]NeighborInfo, error) {
	rs, err := n.routerNamed(name)
	if err != nil {
		return nil, err
	}
	now := n.clock.Now()
	var out []NeighborInfo
	for _, e := range rs {
		entries := e.neigh.Entries(now)
		slices.SortFunc(entries, func(a, b router.Neighbour) int {
			if a.Iface != b.Iface {
				return a.Iface - b.Iface
			}
			return netip.AddrFrom4(a.IP).Compare(netip.AddrFrom4(b.IP))
		})
		for _, nb := range entries {
			ni := NeighborInfo{Router: e.spec.Name, Dev: e.ports[nb.Iface].name, IP: netip.AddrFrom4(nb.IP).String(),
				State: nb.State.String(), Queued: nb.Queued}
			if nb.MAC != ([6]byte{}) {
				ni.MAC = macString(nb.MAC)
			}
			out = append(out, ni)
		}
	}
	return out, nil
}

// ConntrackFilter selects connections for `show conntrack`, as conntrack
// -L's options: -s/-d match the original direction's addresses, an
// address matches any of the four, a zone only that zone (-1: any).
type ConntrackFilter struct {
	Src, Dst, Addr netip.Addr
	Zone           int
}

// ParseConntrackFilter reads the words `show conntrack` sends: src=ADDR,
// dst=ADDR, addr=ADDR, zone=N.
func ParseConntrackFilter(args []string) (ConntrackFilter, error) {
	f := ConntrackFilter{Zone: -1}
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			return f, fmt.Errorf("filter %q: want src=ADDR, dst=ADDR, addr=ADDR or zone=N", a)
		}
		if k == "zone" {
			z, err := strconv.ParseUint(v, 10, 16)
			if err != nil {
				return f, fmt.Errorf("zone %q: want a number from 0 to 65535", v)
			}
			f.Zone = int(z)
			continue
		}
		ip, err := netip.ParseAddr(v)
		if err != nil || !ip.Is4() {
			return f, fmt.Errorf("%s %q: want an IPv4 address", k, v)
		}
		switch k {
		case "src":
			f.Src = ip
		case "dst":
			f.Dst = ip
		case "addr":
			f.Addr = ip
		default:
			return f, fmt.Errorf("filter %q: want src=ADDR, dst=ADDR, addr=ADDR or zone=N", a)
		}
	}
	return f, nil
}

func (f *ConntrackFilter) match(i *conntrack.Info) bool {
	is := func(want netip.Addr, a [4]byte) bool { return want == netip.AddrFrom4(a) }
	switch {
	case f.Zone >= 0 && int(i.Zone) != f.Zone,
		f.Src.IsValid() && !is(f.Src, i.Orig.Src),
		f.Dst.IsValid() && !is(f.Dst, i.Orig.Dst):
		return false
	case f.Addr.IsValid():
		return is(f.Addr, i.Orig.Src) || is(f.Addr, i.Orig.Dst) || is(f.Addr, i.Reply.Src) || is(f.Addr, i.Reply.Dst)
	}
	return true
}

// ConntrackEntry is one connection for `neutrino show conntrack`: its line
// in conntrack -L's words, and its fields.
type ConntrackEntry struct {
	Line    string `json:"line"`
	Proto   string `json:"proto"`
	State   string `json:"state,omitempty"` // TCP only
	Timeout int64  `json:"timeout"`
	Orig    Tuple  `json:"orig"`
	Reply   Tuple  `json:"reply"`
	Replied bool   `json:"replied"`
	Assured bool   `json:"assured"`
	Zone    uint16 `json:"zone"`
}

// Tuple is one direction of a connection.
type Tuple struct {
	Src   string `json:"src"`
	Dst   string `json:"dst"`
	SPort uint16 `json:"sport,omitempty"`
	DPort uint16 `json:"dport,omitempty"`
}

func tupleOf(k conntrack.Key) Tuple {
	return Tuple{Src: netip.AddrFrom4(k.Src).String(), Dst: netip.AddrFrom4(k.Dst).String(), SPort: k.SPort, DPort: k.DPort}
}

// EachConntrack yields the connections f selects, one at a time, without
// building the table: what `show conntrack` streams.
func (n *Node) EachConntrack(f ConntrackFilter, yield func(ConntrackEntry) bool) {
	n.ct.Each(n.clock.Now(), func(i conntrack.Info) bool {
		if !f.match(&i) {
			return true
		}
		e := ConntrackEntry{
			Line: conntrack.Format(i), Proto: i.ProtoName(), Timeout: i.Timeout,
			Orig: tupleOf(i.Orig), Reply: tupleOf(i.Reply), Replied: i.Replied, Assured: i.Assured, Zone: i.Zone,
		}
		if i.Proto == 6 {
			e.State = i.TCPState.String()
		}
		return yield(e)
	})
}

// ConntrackCount is `show conntrack --count`: the connections and the
// table's bound and events.
type ConntrackCount struct {
	Count     int    `json:"count"` // connections (matching the filter, when one is given)
	Max       int    `json:"max"`
	TCP       int    `json:"tcp"`
	UDP       int    `json:"udp"`
	ICMP      int    `json:"icmp"`
	Other     int    `json:"other"`
	Unreplied int    `json:"unreplied"`
	Assured   int    `json:"assured"`
	Inserted  uint64 `json:"inserted"`
	EarlyDrop uint64 `json:"early_drop"`
	Refused   uint64 `json:"insert_failed"`
}

// CountConntrack counts the connections f selects.
func (n *Node) CountConntrack(f ConntrackFilter) ConntrackCount {
	st := n.ct.Stats()
	c := ConntrackCount{Max: st.Max}
	n.ct.Each(n.clock.Now(), func(i conntrack.Info) bool {
		if !f.match(&i) {
			return true
		}
		c.Count++
		switch i.Proto {
		case 6:
			c.TCP++
		case 17:
			c.UDP++
		case 1:
			c.ICMP++
		default:
			c.Other++
		}
		if !i.Replied {
			c.Unreplied++
		}
		if i.Assured {
			c.Assured++
		}
		return true
	})
	c.Inserted, c.EarlyDrop, c.Refused = st.Inserted, st.Evicted, st.Refused[conntrack.RefusedTableFull]
	return c
}

// NATBinding is one translated connection for `neutrino show nat`.
type NATBinding struct {
	Router  string `json:"router"`
	Kind    string `json:"kind"`   // snat, dnat (floating IP) or hairpin
	Proto   string `json:"proto"`  //
	Inside  string `json:"inside"` // the tenant side's address:port
	Outside string `json:"outside"`
	Remote  string `json:"remote"`
	State   string `json:"state"`
}

// NATInfo is `neutrino show nat`: floating IPs and the SNAT/DNAT bindings
// in the connection table.
type NATInfo struct {
	FloatingIPs []FloatingIPInfo  `json:"floating_ips"`
	Bindings    []NATBinding      `json:"bindings"`
	Counters    map[string]uint64 `json:"counters"`
}

// NAT lists the routers' floating IPs and current translations.
func (n *Node) NAT() NATInfo {
	info := NATInfo{FloatingIPs: []FloatingIPInfo{}, Bindings: []NATBinding{}, Counters: map[string]uint64{}}
	byZone := map[uint16]*routerElem{}
	for _, e := range n.g.Load().routers {
		byZone[e.zone] = e
		info.FloatingIPs = append(info.FloatingIPs, e.floatingIPs()...)
		info.Counters[e.spec.Name+"/snat_connections"] = e.c.snat.Load()
		info.Counters[e.spec.Name+"/dnat_connections"] = e.c.dnat.Load()
	}
	ep := func(a [4]byte, p uint16, proto uint8) string {
		if proto == 6 || proto == 17 {
			return netip.AddrPortFrom(netip.AddrFrom4(a), p).String()
		}
		return netip.AddrFrom4(a).String()
	}
	n.ct.Each(n.clock.Now(), func(i conntrack.Info) bool {
		e := byZone[i.Zone]
		if e == nil || i.Reply == i.Orig.Invert() {
			return true
		}
		b := NATBinding{Router: e.spec.Name, Proto: i.ProtoName(), State: "UNREPLIED"}
		if i.Replied {
			b.State = "REPLIED"
		}
		if i.Proto == 6 {
			b.State = i.TCPState.String()
		}
		o, r := i.Orig, i.Reply
		b.Kind = natKind(&i)
		switch b.Kind {
		case "hairpin":
			b.Inside = ep(o.Src, o.SPort, o.Proto)
			b.Outside = ep(r.Dst, r.DPort, o.Proto)
			b.Remote = ep(o.Dst, o.DPort, o.Proto) + " -> " + ep(r.Src, r.SPort, o.Proto)
		case "dnat":
			b.Inside = ep(r.Src, r.SPort, o.Proto)
			b.Outside = ep(o.Dst, o.DPort, o.Proto)
			b.Remote = ep(o.Src, o.SPort, o.Proto)
		default:
			b.Inside = ep(o.Src, o.SPort, o.Proto)
			b.Outside = ep(r.Dst, r.DPort, o.Proto)
			b.Remote = ep(o.Dst, o.DPort, o.Proto)
		}
		info.Bindings = append(info.Bindings, b)
		return len(info.Bindings) < maxNATBindings
	})
	return info
}

// maxNATBindings bounds the bindings `show nat` lists (the count of all is
// `show conntrack --count`).
const maxNATBindings = 10000

// natKind says how a translated connection is translated: dnat (to a
// floating IP's fixed address), snat (from a tenant to the gateway's or a
// floating IP's address), or hairpin (both: a VM reaching a floating IP
// from behind the same router).
func natKind(i *conntrack.Info) string {
	dnat := i.Reply.Src != i.Orig.Dst
	snat := i.Reply.Dst != i.Orig.Src
	switch {
	case dnat && snat:
		return "hairpin"
	case dnat:
		return "dnat"
	}
	return "snat"
}

// ConntrackSummary is the connection table at a glance: its counters,
// the live connections by protocol and the routers' translations by
// kind. It costs one pass over the table and builds no entry.
type ConntrackSummary struct {
	Stats     conntrack.Stats
	Live      int // connections not timed out
	TCP       int
	UDP       int
	ICMP      int
	Other     int
	Unreplied int
	Assured   int
	// NAT counts the translated connections by router and kind (snat,
	// dnat, hairpin); every router of the node has an entry.
	NAT map[string]map[string]int
}

// SummarizeConntrack walks the connection table once and counts.
func (n *Node) SummarizeConntrack() ConntrackSummary {
	s := ConntrackSummary{Stats: n.ct.Stats(), NAT: map[string]map[string]int{}}
	byZone := map[uint16]map[string]int{}
	for _, e := range n.g.Load().routers {
		m := map[string]int{}
		s.NAT[e.spec.Name] = m
		byZone[e.zone] = m
	}
	n.ct.Each(n.clock.Now(), func(i conntrack.Info) bool {
		s.Live++
		switch i.Proto {
		case 6:
			s.TCP++
		case 17:
			s.UDP++
		case 1:
			s.ICMP++
		default:
			s.Other++
		}
		if !i.Replied {
			s.Unreplied++
		}
		if i.Assured {
			s.Assured++
		}
		if m := byZone[i.Zone]; m != nil && i.Reply != i.Orig.Invert() {
			m[natKind(&i)]++
		}
		return true
	})
	return s
}
