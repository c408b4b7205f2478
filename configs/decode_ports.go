package configs

import "go.yaml.in/yaml/v3"

// The fields of ports, in the order of TOPOLOGY.md.
var (
	portFields    = []string{"name", "network", "node", "device", "attach", "netns", "ifname", "addressing", "netns_reuse", "mac", "fixed_ips", "security_groups", "port_security", "allowed_address_pairs", "extra_dhcp_opts"}
	pairFields    = []string{"ip_address", "mac_address"}
	dhcpOptFields = []string{"opt_name", "opt_value", "ip_version"}
)

var (
	attachKinds     = []string{string(AttachTap), string(AttachExisting), string(AttachNetns)}
	addressingKinds = []string{string(AddressingStatic), string(AddressingDHCP)}
)

func (d *decoder) port(n *yaml.Node, path string) *Port {
	x := &Port{}
	f := d.object(n, path, "name", &x.Source, portFields)
	if f == nil {
		return nil
	}
	f.require("name", "network")
	x.Name = f.ident("name")
	x.NetworkName, _ = f.str("network")
	x.NodeName, _ = f.str("node")
	x.Device = f.device("device")
	x.Attach = AttachTap
	if s, ok := f.enum("attach", attachKinds); ok {
		x.Attach = Attach(s)
	}
	x.Netns, _ = f.str("netns")
	x.IfName = f.device("ifname")
	x.Addressing = AddressingStatic
	if s, ok := f.enum("addressing", addressingKinds); ok {
		x.Addressing = Addressing(s)
	}
	x.NetnsReuse = f.boolean("netns_reuse", false)
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
