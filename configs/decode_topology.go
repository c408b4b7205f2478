package configs

import (
	"net/netip"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The fields of each object, in the order of TOPOLOGY.md.
var (
	topologyFields   = []string{"version", "nodes", "uplinks", "networks", "ports", "routers", "floating_ips", "security_groups"}
	nodeFields       = []string{"name", "underlay_ip"}
	uplinkFields     = []string{"name", "node", "interface", "tap"}
	networkFields    = []string{"name", "type", "segment", "physical", "external", "mtu", "subnets"}
	subnetFields     = []string{"name", "cidr", "gateway", "enable_dhcp", "dhcp_ip", "dns_nameservers", "host_routes", "lease_time", "domain", "allocation_pool"}
	routeFields      = []string{"destination", "nexthop"}
	poolFields       = []string{"start", "end"}
	portFields       = []string{"name", "network", "node", "device", "attach", "mac", "fixed_ips", "security_groups", "port_security", "allowed_address_pairs", "extra_dhcp_opts"}
	pairFields       = []string{"ip_address", "mac_address"}
	dhcpOptFields    = []string{"opt_name", "opt_value", "ip_version"}
	routerFields     = []string{"name", "node", "external_gateway", "interfaces", "routes"}
	gatewayFields    = []string{"network", "ip", "enable_snat", "mac"}
	interfaceFields  = []string{"subnet", "mac"}
	floatingIPFields = []string{"floating_ip_address", "floating_network", "port", "fixed_ip_address"}
	groupFields      = []string{"name", "stateful", "rules"}
	ruleFields       = []string{"direction", "ethertype", "protocol", "port_range_min", "port_range_max", "remote_ip_prefix", "remote_group"}
)

// badInt marks an integer field that was given but could not be decoded, so
// that checks which need it stay quiet (the decoder has reported it).
const badInt = -1 << 31

var (
	networkTypes = []string{string(Local), string(Flat), string(VLAN), string(VXLAN)}
	attachKinds  = []string{string(AttachTap), string(AttachExisting)}
	directions   = []string{string(Ingress), string(Egress)}
	etherTypes   = []string{string(IPv4), string(IPv6)}
)

// decodeTopology decodes the document's root mapping. Values are checked on
// their own here (syntax, enumerations, ranges); defaults and everything that
// relates objects to each other come later.
func (d *decoder) decodeTopology(root *yaml.Node) *Topology {
	t := &Topology{File: d.file}
	f := d.object(root, "", "", &t.Source, topologyFields)
	if f == nil {
		return nil
	}
	if !f.has("version") {
		d.errorf(t.Pos, "", "missing required field \"version\" (write version: 1 at the top)")
	} else if v, ok := f.integer("version"); ok {
		t.Version = v
		if v != 1 {
			d.errorf(t.At("version"), "version", "unsupported version %d: this neutrino reads version 1", v)
		}
	}
	f.objects("nodes", func(n *yaml.Node, path string) {
		if x := d.node(n, path); x != nil {
			t.Nodes = append(t.Nodes, x)
		}
	})
	f.objects("uplinks", func(n *yaml.Node, path string) {
		if x := d.uplink(n, path); x != nil {
			t.Uplinks = append(t.Uplinks, x)
		}
	})
	f.objects("networks", func(n *yaml.Node, path string) {
		if x := d.network(n, path); x != nil {
			t.Networks = append(t.Networks, x)
		}
	})
	f.objects("ports", func(n *yaml.Node, path string) {
		if x := d.port(n, path); x != nil {
			t.Ports = append(t.Ports, x)
		}
	})
	f.objects("routers", func(n *yaml.Node, path string) {
		if x := d.router(n, path); x != nil {
			t.Routers = append(t.Routers, x)
		}
	})
	f.objects("floating_ips", func(n *yaml.Node, path string) {
		if x := d.floatingIP(n, path); x != nil {
			t.FloatingIPs = append(t.FloatingIPs, x)
		}
	})
	f.objects("security_groups", func(n *yaml.Node, path string) {
		if x := d.securityGroup(n, path); x != nil {
			t.SecurityGroups = append(t.SecurityGroups, x)
		}
	})
	return t
}

// addr decodes an IP address field; the zero Addr when absent or bad.
func (f *fieldSet) addr(key string) netip.Addr {
	s, ok := f.str(key)
	if !ok {
		return netip.Addr{}
	}
	a, err := parseAddr(s)
	if err != nil {
		f.d.add(f.src.At(key), f.path(key), err.Error())
	}
	return a
}

// addrList decodes a list of IP addresses, one per item (the zero Addr for
// a bad one, so that indexes match the file).
func (f *fieldSet) addrList(key string) []netip.Addr {
	var out []netip.Addr
	for _, it := range f.strList(key) {
		var a netip.Addr
		if it.OK {
			var err error
			if a, err = parseAddr(it.Value); err != nil {
				f.d.add(f.src.At(it.Field), f.path(it.Field), err.Error())
			}
		}
		out = append(out, a)
	}
	return out
}

// prefix decodes a CIDR field; the zero Prefix when absent or bad.
func (f *fieldSet) prefix(key string) netip.Prefix {
	s, ok := f.str(key)
	if !ok {
		return netip.Prefix{}
	}
	p, err := parsePrefix(s)
	if err != nil {
		f.d.add(f.src.At(key), f.path(key), err.Error())
	}
	return p
}

// mac decodes a MAC field; the zero MAC when absent or bad.
func (f *fieldSet) mac(key string) MAC {
	s, ok := f.str(key)
	if !ok {
		return MAC{}
	}
	m, err := ParseMAC(s)
	if err != nil {
		f.d.add(f.src.At(key), f.path(key), err.Error())
	}
	return m
}

// device decodes an interface name field.
func (f *fieldSet) device(key string) string {
	s, ok := f.str(key)
	if !ok {
		return ""
	}
	if err := checkDeviceName(s); err != nil {
		f.d.add(f.src.At(key), f.path(key), err.Error())
	}
	return s
}

// enum decodes a field that takes one of a few words, exactly spelled.
func (f *fieldSet) enum(key string, words []string) (string, bool) {
	s, ok := f.str(key)
	if !ok {
		return "", false
	}
	if !containsString(words, s) {
		f.d.errorf(f.src.At(key), f.path(key), "%q is not one of %s%s", s, strings.Join(words, ", "), didYouMean(s, words))
		return "", false
	}
	return s, true
}

func (d *decoder) node(n *yaml.Node, path string) *Node {
	x := &Node{}
	f := d.object(n, path, "name", &x.Source, nodeFields)
	if f == nil {
		return nil
	}
	f.require("name")
	x.Name = f.name("name")
	x.UnderlayIP = f.addr("underlay_ip")
	return x
}

func (d *decoder) uplink(n *yaml.Node, path string) *Uplink {
	x := &Uplink{}
	f := d.object(n, path, "name", &x.Source, uplinkFields)
	if f == nil {
		return nil
	}
	f.require("name")
	x.Name = f.name("name")
	x.NodeName, _ = f.str("node")
	x.Interface = f.device("interface")
	x.Tap = f.device("tap")
	switch hasIf, hasTap := f.has("interface"), f.has("tap"); {
	case hasIf && hasTap:
		d.errorf(x.At("tap"), x.Path, "give one of interface and tap, not both")
	case !hasIf && !hasTap:
		d.errorf(x.Pos, x.Path, "missing interface (an existing interface, bound with AF_PACKET) or tap (a TAP device neutrino creates)")
	}
	return x
}

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

func (d *decoder) port(n *yaml.Node, path string) *Port {
	x := &Port{}
	f := d.object(n, path, "name", &x.Source, portFields)
	if f == nil {
		return nil
	}
	f.require("name", "network")
	x.Name = f.name("name")
	x.NetworkName, _ = f.str("network")
	x.NodeName, _ = f.str("node")
	x.Device = f.device("device")
	x.Attach = AttachTap
	if s, ok := f.enum("attach", attachKinds); ok {
		x.Attach = Attach(s)
	}
	x.MAC = f.mac("mac")
	for _, a := range f.addrList("fixed_ips") {
		x.FixedIPs = append(x.FixedIPs, FixedIP{Address: a})
	}
	x.PortSecurity = f.boolean("port_security", true)
	for _, it := range f.strList("security_groups") {
		x.SecurityGroupNames = append(x.SecurityGroupNames, it.Value) // "" when bad
	}
	f.objects("allowed_address_pairs", func(n *yaml.Node, path string) {
		p := &AddressPair{}
		g := d.object(n, path, "", &p.Source, pairFields)
		if g == nil {
			return
		}
		g.require("ip_address")
		if s, ok := g.str("ip_address"); ok {
			pfx, err := parseAddrOrPrefix(s)
			if err != nil {
				d.add(p.At("ip_address"), p.FieldPath("ip_address"), err.Error())
			}
			p.IPAddress = pfx
		}
		p.MAC = g.mac("mac_address")
		x.AllowedAddressPairs = append(x.AllowedAddressPairs, p)
	})
	f.objects("extra_dhcp_opts", func(n *yaml.Node, path string) {
		o := &DHCPOpt{IPVersion: 4}
		g := d.object(n, path, "opt_name", &o.Source, dhcpOptFields)
		if g == nil {
			return
		}
		g.require("opt_name", "opt_value")
		o.Name = g.name("opt_name")
		o.Value, _ = g.str("opt_value")
		if v, ok := g.integer("ip_version"); ok {
			o.IPVersion = v
			if v != 4 && v != 6 {
				d.errorf(o.At("ip_version"), o.FieldPath("ip_version"), "%d is not an IP version: 4 or 6", v)
			}
		}
		x.ExtraDHCPOpts = append(x.ExtraDHCPOpts, o)
	})
	return x
}

func (d *decoder) router(n *yaml.Node, path string) *Router {
	x := &Router{}
	f := d.object(n, path, "name", &x.Source, routerFields)
	if f == nil {
		return nil
	}
	f.require("name")
	x.Name = f.name("name")
	x.NodeName, _ = f.str("node")
	if gn := f.sub("external_gateway"); gn != nil {
		g := &ExternalGateway{EnableSNAT: true}
		if gf := d.object(gn, f.path("external_gateway"), "", &g.Source, gatewayFields); gf != nil {
			gf.require("network")
			g.NetworkName, _ = gf.str("network")
			g.IP = gf.addr("ip")
			g.EnableSNAT = gf.boolean("enable_snat", true)
			g.MAC = gf.mac("mac")
			x.ExternalGateway = g
		}
	}
	for i, e := range f.list("interfaces") {
		field := item("interfaces", i)
		path := f.path(field)
		if e = d.deref(e); e == nil {
			break
		}
		x.setField(field, posOf(e))
		ri := &RouterInterface{Router: x}
		switch {
		case e.Kind == yaml.MappingNode:
			g := d.object(e, path, "subnet", &ri.Source, interfaceFields)
			if g == nil {
				continue
			}
			g.require("subnet")
			ri.SubnetName, _ = g.str("subnet")
			ri.MAC = g.mac("mac")
		default:
			s, ok := scalarString(e)
			if !ok {
				d.errorf(posOf(e), path, "expected a subnet name or a mapping {subnet: NAME, mac: MAC}, got %s", describe(e))
				continue
			}
			ri.Pos = posOf(e)
			ri.Path = path + " (" + labelText(s) + ")"
			ri.setField("subnet", posOf(e))
			ri.SubnetName = s
		}
		x.Interfaces = append(x.Interfaces, ri)
	}
	f.objects("routes", func(n *yaml.Node, path string) {
		r := &Route{}
		if g := d.object(n, path, "", &r.Source, routeFields); g != nil {
			g.require(routeFields...)
			r.Destination = g.prefix("destination")
			r.NextHop = g.addr("nexthop")
			x.Routes = append(x.Routes, r)
		}
	})
	return x
}

func (d *decoder) floatingIP(n *yaml.Node, path string) *FloatingIP {
	x := &FloatingIP{}
	f := d.object(n, path, "floating_ip_address", &x.Source, floatingIPFields)
	if f == nil {
		return nil
	}
	f.require("floating_network")
	x.Address = f.addr("floating_ip_address")
	if x.Address.Is6() {
		d.errorf(x.At("floating_ip_address"), x.FieldPath("floating_ip_address"), "%s: floating IPs are IPv4 only", x.Address)
		x.Address = netip.Addr{}
	}
	x.NetworkName, _ = f.str("floating_network")
	x.PortName, _ = f.str("port")
	x.FixedIP = f.addr("fixed_ip_address")
	return x
}

func (d *decoder) securityGroup(n *yaml.Node, path string) *SecurityGroup {
	x := &SecurityGroup{}
	f := d.object(n, path, "name", &x.Source, groupFields)
	if f == nil {
		return nil
	}
	f.require("name")
	x.Name = f.name("name")
	x.Stateful = f.boolean("stateful", true)
	x.Rules = []*Rule{}
	f.objects("rules", func(n *yaml.Node, path string) {
		if r := d.rule(n, path); r != nil {
			x.Rules = append(x.Rules, r)
		}
	})
	return x
}

func (d *decoder) rule(n *yaml.Node, path string) *Rule {
	x := &Rule{EtherType: IPv4, Protocol: AnyProtocol, PortRangeMin: Unset, PortRangeMax: Unset}
	f := d.object(n, path, "", &x.Source, ruleFields)
	if f == nil {
		return nil
	}
	f.require("direction")
	if s, ok := f.enum("direction", directions); ok {
		x.Direction = Direction(s)
	}
	if s, ok := f.enum("ethertype", etherTypes); ok {
		x.EtherType = EtherType(s)
	}
	if s, ok := f.str("protocol"); ok {
		name, num, err := parseProtocol(s)
		if err != nil {
			d.add(x.At("protocol"), x.FieldPath("protocol"), err.Error())
		} else {
			x.ProtocolName, x.Protocol = name, num
		}
	}
	for _, k := range []string{"port_range_min", "port_range_max"} {
		v, ok := f.integer(k)
		switch {
		case !ok:
		case v < 0:
			d.errorf(x.At(k), x.FieldPath(k), "%d is negative", v)
		case k == "port_range_min":
			x.PortRangeMin = v
		default:
			x.PortRangeMax = v
		}
	}
	if s, ok := f.str("remote_ip_prefix"); ok {
		p, err := parseAddrOrPrefix(s)
		if err != nil {
			d.add(x.At("remote_ip_prefix"), x.FieldPath("remote_ip_prefix"), err.Error())
		}
		x.RemoteIPPrefix = p
	}
	x.RemoteGroupName, _ = f.str("remote_group")
	return x
}
