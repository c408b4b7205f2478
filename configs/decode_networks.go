package configs

import (
	"net/netip"

	"go.yaml.in/yaml/v3"
)

// The fields of networks and their subnets, in the order of TOPOLOGY.md.
var (
	networkFields = []string{"name", "type", "segment", "physical", "external", "mtu", "subnets"}
	subnetFields  = []string{"name", "cidr", "gateway", "enable_dhcp", "dhcp_ip", "dns_nameservers", "host_routes", "lease_time", "domain", "allocation_pool"}
	routeFields   = []string{"destination", "nexthop"}
	poolFields    = []string{"start", "end"}
)

var networkTypes = []string{string(Local), string(Flat), string(VLAN), string(VXLAN)}

// badInt marks an integer field that was given but could not be decoded, so
// that checks which need it stay quiet (the decoder has reported it).
const badInt = -1 << 31

func (d *decoder) network(n *yaml.Node, path string) *Network {
	x := &Network{}
	f := d.object(n, path, "name", &x.Source, networkFields)
	if f == nil {
		return nil
	}
	f.require("name", "type")
	x.Name = f.name("name")
	if s, ok := f.enum("type", networkTypes); ok {
		x.Type = NetworkType(s)
	}
	if f.has("segment") {
		x.Segment = badInt
		if v, ok := f.integer("segment"); ok {
			x.Segment = v
		}
	}
	x.Physical, _ = f.str("physical")
	x.External = f.boolean("external", false)
	if m, ok := f.integer("mtu"); ok {
		x.MTU = m
		if m < MinMTU || m > MaxMTU {
			d.errorf(x.At("mtu"), x.FieldPath("mtu"), "%d is out of range %d-%d", m, MinMTU, MaxMTU)
		}
	}
	f.objects("subnets", func(n *yaml.Node, path string) {
		if s := d.subnet(n, path); s != nil {
			s.Network = x
			x.Subnets = append(x.Subnets, s)
		}
	})
	return x
}

func (d *decoder) subnet(n *yaml.Node, path string) *Subnet {
	x := &Subnet{}
	f := d.object(n, path, "name", &x.Source, subnetFields)
	if f == nil {
		return nil
	}
	f.require("name", "cidr")
	x.Name = f.name("name")
	x.CIDR = f.prefix("cidr")
	if x.CIDR.IsValid() {
		if longest := x.CIDR.Addr().BitLen() - 2; x.CIDR.Bits() > longest || x.CIDR.Bits() == 0 {
			d.errorf(x.At("cidr"), x.FieldPath("cidr"), "%s is not a usable subnet: the prefix length must be 1 to %d", x.CIDR, longest)
			x.CIDR = netip.Prefix{}
		}
	}
	// gateway: absent = default (set later), "none" or null = no gateway.
	if g := f.node("gateway"); g != nil && !isNull(g) {
		if s, ok := f.str("gateway"); ok && s != "none" {
			x.Gateway = f.addr("gateway")
		}
	}
	x.EnableDHCP = f.boolean("enable_dhcp", true)
	x.DHCPIP = f.addr("dhcp_ip")
	x.DNSNameservers = f.addrList("dns_nameservers")
	f.objects("host_routes", func(n *yaml.Node, path string) {
		r := &HostRoute{}
		if g := d.object(n, path, "", &r.Source, routeFields); g != nil {
			g.require(routeFields...)
			r.Destination = g.prefix("destination")
			r.NextHop = g.addr("nexthop")
			x.HostRoutes = append(x.HostRoutes, r)
		}
	})
	x.LeaseTime = DefaultLeaseTime
	if v, ok := f.integer("lease_time"); ok {
		x.LeaseTime = v
		switch {
		case v == 0 || v < InfiniteLease:
			d.errorf(x.At("lease_time"), x.FieldPath("lease_time"), "%d is not a lease time: give seconds (at least %d, Neutron's and dnsmasq's minimum) or -1 for infinite", v, MinLeaseTime)
		case v > 0 && v < MinLeaseTime:
			d.errorf(x.At("lease_time"), x.FieldPath("lease_time"), "%d seconds is too short: the minimum is %d (Neutron's and dnsmasq's), or -1 for infinite", v, MinLeaseTime)
		}
	}
	x.Domain = DefaultDomain
	if s, ok := f.str("domain"); ok {
		x.Domain = s
		if err := checkDomain(s); err != nil {
			d.add(x.At("domain"), x.FieldPath("domain"), err.Error())
		}
	}
	if pn := f.sub("allocation_pool"); pn != nil {
		p := &AllocationPool{}
		if g := d.object(pn, f.path("allocation_pool"), "", &p.Source, poolFields); g != nil {
			g.require(poolFields...)
			p.Start = g.addr("start")
			p.End = g.addr("end")
			x.AllocationPool = p
		}
	}
	return x
}
