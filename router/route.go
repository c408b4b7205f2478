package router

import (
	"fmt"
	"net/netip"
)

// Route is one entry of a router's routing table, as Neutron describes it:
//
//   - connected: the subnet of an interface (Gateway is the zero Addr);
//     destinations in it are on-link on Interface.
//   - static (an extra route, or the default route 0.0.0.0/0): reached via
//     Gateway, which must be on-link on one of the connected routes; the
//     interface is the one of that connected route, so Interface is ignored.
//
// Several static routes with the same Prefix and different gateways are one
// ECMP route.
type Route struct {
	Prefix    netip.Prefix
	Interface int        // connected routes only
	Gateway   netip.Addr // zero for a connected route
}

// Connected reports whether r is a connected route.
func (r Route) Connected() bool { return !r.Gateway.IsValid() }

// String formats r as ip route does: "10.0.0.0/24 dev 1" or
// "0.0.0.0/0 via 172.24.4.1".
func (r Route) String() string {
	if r.Connected() {
		return fmt.Sprintf("%s dev %d", r.Prefix, r.Interface)
	}
	return fmt.Sprintf("%s via %s", r.Prefix, r.Gateway)
}

// NextHop is where a lookup sends a packet: out Interface, to Gateway, or,
// when Gateway is the zero Addr, to the destination itself (on-link).
type NextHop struct {
	Interface int
	Gateway   netip.Addr
}

// OnLink reports whether the destination is on the interface's link.
func (h NextHop) OnLink() bool { return !h.Gateway.IsValid() }

// Neighbour returns the address to resolve for dst: the gateway, or dst
// itself when on-link.
func (h NextHop) Neighbour(dst netip.Addr) netip.Addr {
	if h.Gateway.IsValid() {
		return h.Gateway
	}
	return dst
}
