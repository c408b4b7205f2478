package configs

import "go.yaml.in/yaml/v3"

// The fields of security groups and their rules, in the order of
// TOPOLOGY.md.
var (
	groupFields = []string{"name", "stateful", "rules"}
	ruleFields  = []string{"direction", "ethertype", "protocol", "port_range_min", "port_range_max", "remote_ip_prefix", "remote_group"}
)

var (
	directions = []string{string(Ingress), string(Egress)}
	etherTypes = []string{string(IPv4), string(IPv6)}
)

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
