package configs

import (
	"net/netip"
	"unicode/utf8"
)

// The defaults of TOPOLOGY.md that need code. Simple ones (enable_dhcp,
// port_security, enable_snat, stateful: true; lease_time 86400; domain
// openstacklocal; attach tap; ethertype IPv4) are set where the field is
// decoded; the ones that depend on other objects (node, gateway, dhcp_ip,
// the router gateway's ip, security_groups, MACs) where it is validated.

// implicitNode is the node of a topology without a nodes section.
func implicitNode() *Node {
	return &Node{
		Source:   Source{Path: "nodes (default node " + DefaultNodeName + ")"},
		Name:     DefaultNodeName,
		Implicit: true,
	}
}

// defaultDevice is "tap" + the first 11 bytes of the port name (cut back to
// a whole UTF-8 character), like Neutron's "tap" + the port UUID's start.
func defaultDevice(port string) string {
	n := min(len(port), defaultDeviceChars)
	for n > 0 && n < len(port) && !utf8.RuneStart(port[n]) {
		n--
	}
	return "tap" + port[:n]
}

// defaultDeviceChars is how much of the port name the default device keeps:
// Neutron's tap devices are "tap" + 11 characters of the port UUID.
const defaultDeviceChars = 11

// defaultMTU is 1450 for vxlan (50 bytes of VXLAN overhead on a 1500 byte
// underlay), 1500 for every other type.
func defaultMTU(t NetworkType) int {
	if t == VXLAN {
		return DefaultVXLANMTU
	}
	return DefaultMTU
}

// firstHost is the default gateway of a subnet: its first host address.
func firstHost(p netip.Prefix) netip.Addr {
	first, _ := hostRange(p)
	return first
}

// implicitDefaultGroup is the "default" security group of a topology that
// does not define one, with Neutron's default rules: egress anything (IPv4
// and IPv6), ingress from members of default (IPv4 and IPv6).
func implicitDefaultGroup() *SecurityGroup {
	g := &SecurityGroup{
		Source:   Source{Path: "security_groups (implicit " + DefaultSecurityGroup + ")"},
		Name:     DefaultSecurityGroup,
		Stateful: true,
		Implicit: true,
	}
	rule := func(dir Direction, et EtherType, remote string) *Rule {
		return &Rule{
			Source:          Source{Path: g.Path},
			Direction:       dir,
			EtherType:       et,
			Protocol:        AnyProtocol,
			PortRangeMin:    Unset,
			PortRangeMax:    Unset,
			RemoteGroupName: remote,
		}
	}
	g.Rules = []*Rule{
		rule(Egress, IPv4, ""),
		rule(Egress, IPv6, ""),
		rule(Ingress, IPv4, DefaultSecurityGroup),
		rule(Ingress, IPv6, DefaultSecurityGroup),
	}
	return g
}
