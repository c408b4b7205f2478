package datapath

import (
	"reflect"
	"slices"

	"neutrino/defrag"
	"neutrino/dhcp"
	"neutrino/router"
)

// What the elements of a new graph take over from the ones they replace
// at a reload (buildGraph's old): state that outlives a graph when the
// part of the spec it depends on is unchanged.

// router returns the element of the router named name, nil when there is
// none (or no graph).
func (g *graph) router(name string) *routerElem {
	if g == nil {
		return nil
	}
	for _, e := range g.routers {
		if e.spec.Name == name {
			return e
		}
	}
	return nil
}

// dhcpPort returns the DHCP port of the network named name, nil when
// there is none (or no graph).
func (g *graph) dhcpPort(name string) *dhcpPort {
	if g == nil {
		return nil
	}
	for _, e := range g.elems {
		if d, ok := e.(*dhcpPort); ok && d.network == name {
			return d
		}
	}
	return nil
}

// adopt gives the router was's state: its counters, ICMP limit and
// reassembly always, its neighbour cache when its ports are the same,
// in the same order. A router with state of its own announces only the
// addresses it did not answer for before (a floating IP added or moved,
// a port added); a new one announces all.
func (e *routerElem) adopt(was *routerElem) {
	ifaces := make([]string, len(e.spec.Ports))
	for i, p := range e.spec.Ports {
		ifaces[i] = p.Name
	}
	if was == nil {
		e.routerState = &routerState{icmp: router.NewICMPLimiter(router.ICMPLimitConfig{}), frags: defrag.New(defrag.Config{})}
		e.neighState = &neighState{neigh: router.New[*heldFrame](router.Config{}), ifaces: ifaces}
		return
	}
	e.routerState = was.routerState
	if slices.Equal(was.ifaces, ifaces) {
		e.neighState = was.neighState
	} else {
		e.neighState = &neighState{neigh: router.New[*heldFrame](router.Config{}), ifaces: ifaces}
	}
	e.garpOnly = map[[4]byte]bool{}
	had := map[[4]byte][6]byte{} // what was answered for, with which MAC
	for _, p := range was.spec.Ports {
		had[p.Addr.Addr().As4()] = [6]byte(p.MAC)
		if p.Gateway {
			for _, f := range was.spec.FloatingIPs {
				had[f.Address.As4()] = [6]byte(p.MAC)
			}
		}
	}
	wasFixed := map[[4]byte][4]byte{}
	for _, f := range was.spec.FloatingIPs {
		wasFixed[f.Address.As4()] = f.Fixed.As4()
	}
	for _, p := range e.spec.Ports {
		if mac, ok := had[p.Addr.Addr().As4()]; !ok || mac != [6]byte(p.MAC) {
			e.garpOnly[p.Addr.Addr().As4()] = true
		}
		if !p.Gateway {
			continue
		}
		for _, f := range e.spec.FloatingIPs {
			a := f.Address.As4()
			fixed, ok := wasFixed[a]
			if mac, known := had[a]; !ok || !known || mac != [6]byte(p.MAC) || fixed != f.Fixed.As4() {
				e.garpOnly[a] = true // new, or moved to another port
			}
		}
	}
	if len(e.garpOnly) == 0 {
		e.garpSent = garpRounds // nothing new to announce
	}
}

// adopt gives the DHCP port was's counters, and its server when what it
// serves is unchanged; otherwise a server is made for the new config
// (the leases are the node's and stay either way).
func (e *dhcpPort) adopt(n *Node, was *dhcpPort) error {
	if was != nil {
		e.c = was.c
	} else {
		e.c = new(dhcpPortCounters)
	}
	cfg := e.spec.Server
	if cfg == nil {
		return nil
	}
	if was != nil && was.server != nil && reflect.DeepEqual(was.spec.Server, cfg) {
		e.server = was.server
		return nil
	}
	srv, err := dhcp.New(*cfg, n.leases)
	if err != nil {
		return err
	}
	e.server = srv
	return nil
}
