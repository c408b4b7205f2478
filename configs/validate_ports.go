package configs

import (
	"cmp"
	"net/netip"
	"slices"
)

func (c *checker) checkPorts() {
	for _, p := range c.t.Ports {
		s := &p.Source
		// Defaults derived from the name are left out for a duplicate: they
		// would only collide with the first port's.
		named := p.Name != ""
		if named {
			if first := c.ix.ports[p.Name]; first != nil {
				c.at(s, "name", "duplicate port name %q (first at line %d)", p.Name, firstLine(&first.Source))
				named = false
			} else {
				c.ix.ports[p.Name] = p
			}
		}
		if p.NetworkName != "" {
			if p.Network = c.ix.networks[p.NetworkName]; p.Network == nil {
				c.missing(s, "network", "network", p.NetworkName)
			}
		}
		if p.Node = c.nodeOf(s, p.NodeName); p.Node != nil {
			p.NodeName = p.Node.Name
		}
		if !s.Has("device") && named {
			p.Device = defaultDevice(p.Name)
			// A name refused as an identifier has been reported already.
			if err := checkDeviceName(p.Device); err != nil && !c.reported(s.At("name")) {
				c.at(s, "name", "the default device (\"tap\" + the port name) is not usable: %v; set device", err)
			}
		}
		if p.Attach == AttachExisting && !s.Has("device") {
			c.at(s, "attach", "attach: existing needs device, the name of the existing interface")
		}
		c.checkNetnsPort(p, named)
		if !s.Has("mac") && named {
			p.MAC = DeriveMAC(p.Name)
		}
		c.checkFixedIPs(p)
		c.checkPortSecurity(p)
		c.checkDHCPOpts(p)
		c.checkPlacement(s, "node", p.Network, p.Node, "port "+p.Name)
	}
}

// checkFixedIPs finds the subnet of each fixed IP.
func (c *checker) checkFixedIPs(p *Port) {
	if p.Network == nil {
		return
	}
	for i := range p.FixedIPs {
		f := &p.FixedIPs[i]
		field := item("fixed_ips", i)
		if !f.Address.IsValid() {
			continue
		}
		for _, sn := range p.Network.Subnets {
			if sn.CIDR.Contains(f.Address) {
				f.Subnet = sn
				break
			}
		}
		switch {
		case f.Subnet == nil && len(p.Network.Subnets) == 0:
			c.at(&p.Source, field, "%s is not inside any subnet of network %s: it has no subnets", f.Address, p.Network.Name)
		case f.Subnet == nil:
			c.at(&p.Source, field, "%s is not inside any subnet of network %s", f.Address, p.Network.Name)
		default:
			if pr := hostProblem(f.Subnet.CIDR, f.Address); pr != "" {
				c.at(&p.Source, field, "%s is the %s of subnet %s", f.Address, pr, f.Subnet.Name)
			}
		}
	}
}

// checkPortSecurity resolves the security groups and checks them, the
// address pairs and the extra DHCP options against port_security.
func (c *checker) checkPortSecurity(p *Port) {
	s := &p.Source
	explicit := s.Has("security_groups")
	switch {
	case !p.PortSecurity:
		if len(p.SecurityGroupNames) > 0 {
			c.at(s, "security_groups", "port_security is false: a port without port security can't have security groups")
		}
		if len(p.AllowedAddressPairs) > 0 {
			c.at(s, "allowed_address_pairs", "port_security is false: a port without port security can't have allowed address pairs")
		}
		p.SecurityGroupNames = nil
	case !explicit:
		// Neutron gives the default group only to ports that can have an IP.
		if p.Network == nil || len(p.Network.Subnets) > 0 {
			p.SecurityGroupNames = []string{DefaultSecurityGroup}
		}
	case len(p.SecurityGroupNames) > 0 && p.Network != nil && len(p.Network.Subnets) == 0:
		c.at(s, "security_groups", "network %s has no subnet: a port without IP addresses can't have security groups (Neutron's rule)", p.Network.Name)
	}
	seen := map[string]int{}
	for i, name := range p.SecurityGroupNames {
		field := item("security_groups", i)
		if name == "" {
			continue
		}
		if j, dup := seen[name]; dup {
			c.at(s, field, "security group %s is listed twice (also security_groups[%d])", name, j)
			continue
		}
		seen[name] = i
		g := c.ix.groups[name]
		if g == nil {
			c.missing(s, field, "security group", name)
			continue
		}
		p.SecurityGroups = append(p.SecurityGroups, g)
	}
	for _, g := range p.SecurityGroups[min(1, len(p.SecurityGroups)):] {
		if first := p.SecurityGroups[0]; g.Stateful != first.Stateful {
			c.at(s, "security_groups", "security groups %s (stateful: %t) and %s (stateful: %t) can't be on one port: Neutron applies stateful and stateless groups to a port only alone", first.Name, first.Stateful, g.Name, g.Stateful)
			break
		}
	}
	type pairKey struct {
		ip  netip.Prefix
		mac MAC
	}
	pairs := map[pairKey]*AddressPair{}
	for _, ap := range p.AllowedAddressPairs {
		if !ap.Has("mac_address") {
			ap.MAC = p.MAC
		}
		if !ap.IPAddress.IsValid() {
			continue
		}
		k := pairKey{ap.IPAddress, ap.MAC}
		if first := pairs[k]; first != nil {
			c.on(&ap.Source, "duplicate address pair (first at line %d)", firstLine(&first.Source))
			continue
		}
		pairs[k] = ap
	}
	type optKey struct {
		name    string
		version int
	}
	opts := map[optKey]*DHCPOpt{}
	for _, o := range p.ExtraDHCPOpts {
		k := optKey{o.Name, o.IPVersion}
		if first := opts[k]; first != nil && o.Name != "" {
			c.at(&o.Source, "opt_name", "option %s (IPv%d) is set twice (first at line %d)", o.Name, o.IPVersion, firstLine(&first.Source))
			continue
		}
		opts[k] = o
	}
}

// checkDevices reports interface names used twice on one node: port
// devices, uplink taps and uplink interfaces share the node's name space.
func (c *checker) checkDevices() {
	type use struct {
		node  *Node
		name  string
		src   *Source
		field string
		who   string
	}
	var uses []use
	for _, u := range c.t.Uplinks {
		if u.Node == nil {
			continue
		}
		if u.Interface != "" {
			uses = append(uses, use{u.Node, u.Interface, &u.Source, "interface", "uplink " + u.Name})
		}
		if u.Tap != "" {
			uses = append(uses, use{u.Node, u.Tap, &u.Source, "tap", "uplink " + u.Name})
		}
	}
	for _, p := range c.t.Ports {
		if p.Node == nil || p.Device == "" || p.Attach == AttachNetns {
			continue // a namespace's device is in a name space of its own
		}
		field := "device"
		if !p.Has("device") {
			field = "name"
		}
		uses = append(uses, use{p.Node, p.Device, &p.Source, field, "port " + p.Name})
	}
	slices.SortStableFunc(uses, func(a, b use) int {
		pa, pb := a.src.At(a.field), b.src.At(b.field)
		return cmp.Or(cmp.Compare(pa.Line, pb.Line), cmp.Compare(pa.Col, pb.Col))
	})
	type key struct {
		node *Node
		name string
	}
	first := map[key]use{}
	for _, u := range uses {
		if checkDeviceName(u.name) != nil {
			continue // reported where it was decoded or defaulted
		}
		k := key{u.node, u.name}
		if f, dup := first[k]; dup {
			c.at(u.src, u.field, "device %s is already used on node %s by %s (line %d)", u.name, u.node.Name, f.who, f.src.At(f.field).Line)
			continue
		}
		first[k] = u
	}
}
