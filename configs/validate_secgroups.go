package configs

import (
	"net/netip"
)

func (c *checker) checkGroups() {
	t := c.t
	for _, g := range t.SecurityGroups {
		if g.Name == "" {
			continue
		}
		if first := c.ix.groups[g.Name]; first != nil {
			c.at(&g.Source, "name", "duplicate security group name %q (first at line %d)", g.Name, firstLine(&first.Source))
			continue
		}
		c.ix.groups[g.Name] = g
	}
	if c.ix.groups[DefaultSecurityGroup] == nil {
		g := implicitDefaultGroup()
		t.SecurityGroups = append(t.SecurityGroups, g)
		c.ix.groups[g.Name] = g
	}
	for _, g := range t.SecurityGroups {
		type ruleKey struct {
			dir      Direction
			et       EtherType
			proto    int
			min, max int
			prefix   netip.Prefix
			group    string
		}
		seen := map[ruleKey]int{}
		for i, r := range g.Rules {
			if !c.checkRule(r) {
				continue
			}
			k := ruleKey{r.Direction, r.EtherType, r.Protocol, r.PortRangeMin, r.PortRangeMax, r.RemoteIPPrefix, r.RemoteGroupName}
			if j, dup := seen[k]; dup {
				c.on(&r.Source, "duplicate rule: the same as rules[%d] (line %d)", j, firstLine(&g.Rules[j].Source))
				continue
			}
			seen[k] = i
		}
	}
}

// checkRule validates one rule and resolves its remote group. It returns
// false when the rule has a problem, found now or when decoding (so it is
// not compared for duplicates).
func (c *checker) checkRule(r *Rule) bool {
	s := &r.Source
	if r.RemoteGroupName != "" {
		if s.Has("remote_ip_prefix") {
			c.at(s, "remote_group", "give remote_ip_prefix or remote_group, not both")
		}
		r.RemoteGroup = c.ix.groups[r.RemoteGroupName]
		if r.RemoteGroup == nil {
			c.missing(s, "remote_group", "security group", r.RemoteGroupName)
		}
	}
	if p := r.RemoteIPPrefix; p.IsValid() && r.EtherType != "" && family(p.Addr()) != string(r.EtherType) {
		c.at(s, "remote_ip_prefix", "%s is an %s prefix, but the rule's ethertype is %s", p, family(p.Addr()), r.EtherType)
	}
	protoBad := s.Has("protocol") && r.ProtocolName == ""
	if !protoBad {
		switch {
		case r.EtherType == IPv4 && ipv6Only(r.Protocol):
			c.at(s, "protocol", "protocol %s is IPv6 only, but the rule's ethertype is IPv4", r.ProtocolName)
			protoBad = true
		case r.EtherType == IPv6 && r.Protocol == protoICMP:
			r.Protocol = protoICMPv6 // "icmp" in an IPv6 rule means ICMPv6, as in Neutron's drivers
		}
	}
	if !protoBad {
		c.checkPortRange(r)
	}
	return !c.reportedUnder(s.Path)
}

// checkPortRange checks port_range_min/max against the protocol, and makes
// a lone port_range_min of a port protocol a one-port range.
func (c *checker) checkPortRange(r *Rule) {
	s := &r.Source
	minSet, maxSet := r.PortRangeMin != Unset, r.PortRangeMax != Unset
	if !minSet && !maxSet {
		return
	}
	field := "port_range_min"
	if !minSet {
		field = "port_range_max"
	}
	switch {
	case r.Protocol == AnyProtocol:
		c.at(s, field, "a port range needs a protocol: tcp, udp, sctp, dccp or udplite (or icmp, for a type and code)")
	case hasPorts(r.Protocol):
		if !minSet {
			c.at(s, "port_range_max", "port_range_max needs port_range_min")
			return
		}
		if !maxSet {
			r.PortRangeMax = r.PortRangeMin
		}
		ok := true
		if r.PortRangeMin < 1 || r.PortRangeMin > 65535 {
			c.at(s, "port_range_min", "port %d is out of range 1-65535", r.PortRangeMin)
			ok = false
		}
		if maxSet && (r.PortRangeMax < 1 || r.PortRangeMax > 65535) {
			c.at(s, "port_range_max", "port %d is out of range 1-65535", r.PortRangeMax)
			ok = false
		}
		if ok && r.PortRangeMin > r.PortRangeMax {
			c.at(s, "port_range_min", "port_range_min %d is greater than port_range_max %d", r.PortRangeMin, r.PortRangeMax)
		}
	case isICMP(r.Protocol):
		if !minSet {
			c.at(s, "port_range_max", "an ICMP code (port_range_max) needs an ICMP type (port_range_min)")
		}
		if minSet && r.PortRangeMin > 255 {
			c.at(s, "port_range_min", "ICMP type %d is out of range 0-255", r.PortRangeMin)
		}
		if maxSet && r.PortRangeMax > 255 {
			c.at(s, "port_range_max", "ICMP code %d is out of range 0-255", r.PortRangeMax)
		}
	default:
		c.at(s, field, "protocol %s has no ports: port ranges are for tcp, udp, sctp, dccp and udplite, and type/code for icmp", r.ProtocolName)
	}
}
