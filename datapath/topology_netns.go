package datapath

import (
	"fmt"
	"net/netip"

	"neutrino/configs"
	"neutrino/link/nstap"
)

// netnsPlan is what an attach: netns port's namespace gets: the port's MAC
// and its network's MTU on the device; with static addressing each fixed
// IP with its subnet's prefix length, a default route via the gateway of
// the first subnet that has one (per address family), and the host routes
// of the port's subnets.
func netnsPlan(p *configs.Port) *nstap.Plan {
	plan := &nstap.Plan{
		Namespace: p.Netns, Reuse: p.NetnsReuse, IfName: p.IfName,
		MAC: p.MAC.HardwareAddr(), MTU: p.Network.MTU,
	}
	if p.Addressing == configs.AddressingDHCP {
		plan.Notes = append(plan.Notes, fmt.Sprintf(
			"addressing: dhcp, no address set; run a DHCP client in it, e.g. neutrino exec %s -- udhcpc -i %s (create /etc/netns/%s/resolv.conf first: a client rewrites resolv.conf)", p.Name, p.IfName, p.Netns))
		return plan
	}
	if len(p.FixedIPs) == 0 {
		plan.Notes = append(plan.Notes, "no fixed IP: the namespace comes up without an address")
		return plan
	}
	gateway := map[bool]bool{} // by Is4: a default route is set
	seen := map[*configs.Subnet]bool{}
	var routes []nstap.Route
	for _, f := range p.FixedIPs {
		sn := f.Subnet
		plan.Addrs = append(plan.Addrs, netip.PrefixFrom(f.Address, sn.CIDR.Bits()))
		if seen[sn] {
			continue
		}
		seen[sn] = true
		if sn.Gateway.IsValid() && !gateway[sn.Gateway.Is4()] {
			gateway[sn.Gateway.Is4()] = true
			plan.Routes = append(plan.Routes, nstap.Route{Dst: netip.PrefixFrom(netip.IPv4Unspecified(), 0), Via: sn.Gateway})
			if !sn.Gateway.Is4() {
				plan.Routes[len(plan.Routes)-1].Dst = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
			}
		}
		for _, r := range sn.HostRoutes {
			routes = append(routes, nstap.Route{Dst: r.Destination, Via: r.NextHop})
		}
	}
	plan.Routes = append(plan.Routes, routes...)
	if len(gateway) == 0 {
		plan.Notes = append(plan.Notes, "no gateway on its subnets: no default route")
	}
	return plan
}
