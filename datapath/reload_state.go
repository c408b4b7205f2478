package datapath

import (
	"encoding/binary"
	"net/netip"
	"slices"

	"neutrino/conntrack"
	"neutrino/packet/header"
)

// Causes of the connections a reload deletes (ReloadResult.ConntrackDeleted).
const (
	deletedPortRemoved   = "port removed or unfiltered"
	deletedRouterRemoved = "router removed"
	deletedRuleRemoved   = "no rule allows it now"
	deletedFloatingIP    = "floating IP removed or moved"
	deletedSNAT          = "SNAT address gone"
)

// settleState does what Neutron's agents do to state when the topology
// changes from old to g: connections of removed ports and routers, of
// removed or moved floating IPs, of a gateway address that went or
// stopped SNATing, and those a port's new rules no longer allow are
// deleted; the leases of removed ports, and of ports whose address or MAC
// changed, are released.
func (n *Node) settleState(res *ReloadResult, old, g *graph) {
	now := n.clock.Now()
	newPorts := map[string]*PortSpec{}
	for i := range g.spec.Ports {
		newPorts[g.spec.Ports[i].Name] = &g.spec.Ports[i]
	}
	deadZone := map[uint16]string{}
	for _, op := range old.spec.Ports {
		np := newPorts[op.Name]
		if np == nil || !slices.Equal(op.IPs, np.IPs) || string(op.MAC) != string(np.MAC) {
			res.LeasesReleased += n.leases.ReleasePort(op.Name)
		}
		if op.Security != nil && (np == nil || np.Security == nil) {
			deadZone[op.Security.Zone] = deletedPortRemoved
		}
	}
	// Filters made anew for a port that had one: its connections are
	// checked against the new rules.
	recheck := map[uint16]*sgFilter{}
	for i, f := range g.filters {
		if f == nil || i >= len(old.filters) || old.filters[i] == nil {
			continue
		}
		if was := old.filters[i]; was.gen != f.gen && was.p.spec.Name == f.p.spec.Name && f.stateful {
			recheck[f.zone] = f
		}
	}
	deadAddr := map[uint16]map[[4]byte]string{}
	for _, or := range old.spec.Routers {
		nr := g.router(or.Name)
		if nr == nil {
			deadZone[or.Zone] = deletedRouterRemoved
			continue
		}
		dead := map[[4]byte]string{}
		now := map[netip.Addr]netip.Addr{}
		for _, f := range nr.spec.FloatingIPs {
			now[f.Address] = f.Fixed
		}
		for _, f := range or.FloatingIPs {
			if fixed, ok := now[f.Address]; !ok || fixed != f.Fixed {
				dead[f.Address.As4()] = deletedFloatingIP
			}
		}
		if gw := routerGatewayIP(&or); gw.IsValid() && or.EnableSNAT {
			if ngw := routerGatewayIP(nr.spec); ngw != gw || !nr.spec.EnableSNAT {
				if _, fip := dead[gw.As4()]; !fip {
					dead[gw.As4()] = deletedSNAT
				}
			}
		}
		if len(dead) > 0 {
			deadAddr[or.Zone] = dead
		}
	}
	if len(deadZone)+len(recheck)+len(deadAddr) == 0 {
		return
	}
	causes := map[string]int{}
	n.ct.DeleteIf(now, func(i conntrack.Info) bool {
		if why, ok := deadZone[i.Zone]; ok {
			causes[why]++
			return true
		}
		if f := recheck[i.Zone]; f != nil && !f.allows(i) {
			causes[deletedRuleRemoved]++
			return true
		}
		if dead := deadAddr[i.Zone]; dead != nil {
			why, ok := dead[i.Orig.Dst] // DNAT to a fixed IP
			if !ok {
				why, ok = dead[i.Reply.Dst] // SNAT from a fixed IP
			}
			if ok {
				causes[why]++
				return true
			}
		}
		return false
	})
	if len(causes) > 0 {
		res.ConntrackDeleted = causes
	}
}

// routerGatewayIP is the router's qg- address, invalid when it has none.
func routerGatewayIP(r *RouterSpec) netip.Addr {
	if r.Gateway < 0 || r.Gateway >= len(r.Ports) {
		return netip.Addr{}
	}
	return r.Ports[r.Gateway].Addr.Addr()
}

// allows reports whether the filter's rules let connection i begin: the
// original direction's first packet, from the port (egress) when its
// source is one of the port's addresses, else to it (ingress). DHCP,
// which the fixed rules allow, always passes.
func (f *sgFilter) allows(i conntrack.Info) bool {
	o := i.Orig
	if o.Proto == header.ProtoUDP && (o.SPort == 68 && o.DPort == 67 || o.SPort == 67 && o.DPort == 68) {
		return true
	}
	var key uint16
	switch o.Proto {
	case header.ProtoICMP:
		if o.EchoRequest == 1 {
			key = 8 << 8 // echo request, code 0
		}
	case header.ProtoTCP, header.ProtoUDP, 33, 132, 136:
		key = o.DPort
	}
	dir, remote := sgIngress, o.Src
	if f.owns(binary.BigEndian.Uint32(o.Src[:])) {
		dir, remote = sgEgress, o.Dst
	}
	_, ok := f.match[dir].Match(o.Proto, remote, key)
	return ok
}

// owns reports whether ip is one of the port's addresses (fixed IPs and
// allowed address pairs).
func (f *sgFilter) owns(ip uint32) bool {
	for _, p := range f.pairs {
		if ip&p.mask == p.addr {
			return true
		}
	}
	return false
}
