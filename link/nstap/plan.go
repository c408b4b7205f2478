package nstap

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// Route is a route added inside the namespace.
type Route struct {
	Dst netip.Prefix
	Via netip.Addr
}

// Plan is what Open creates for one port: pure data, built and checked
// without root.
type Plan struct {
	Namespace string
	Reuse     bool // an existing namespace is used (and left in place)
	IfName    string
	MAC       net.HardwareAddr
	MTU       int
	// GSOMaxSegs, when positive, bounds the segments of the TCP
	// super-frames the namespace sends through the device (see
	// tap.Config.GSOMaxSegs).
	GSOMaxSegs int
	Addrs      []netip.Prefix // each fixed IP with its subnet's prefix length
	Routes     []Route        // the default route (via the gateway) first, then host routes
	// Notes are things worth a log line: no address, addressing left to
	// DHCP, no gateway.
	Notes []string
}

// String describes the plan in `ip` terms, one step a line.
func (p *Plan) String() string {
	var b strings.Builder
	if p.Reuse {
		fmt.Fprintf(&b, "use namespace %s (or create it)\n", p.Namespace)
	} else {
		fmt.Fprintf(&b, "ip netns add %s\n", p.Namespace)
	}
	fmt.Fprintf(&b, "tap %s in %s: address %s mtu %d, up; lo up\n", p.IfName, p.Namespace, p.MAC, p.MTU)
	for _, a := range p.Addrs {
		fmt.Fprintf(&b, "ip -n %s addr add %s dev %s\n", p.Namespace, a, p.IfName)
	}
	for _, r := range p.Routes {
		fmt.Fprintf(&b, "ip -n %s route add %s via %s dev %s\n", p.Namespace, routeDst(r.Dst), r.Via, p.IfName)
	}
	for _, n := range p.Notes {
		fmt.Fprintf(&b, "# %s\n", n)
	}
	return b.String()
}

func routeDst(p netip.Prefix) string {
	if p.Bits() == 0 {
		return "default"
	}
	return p.String()
}
