// Package firewall compiles a port's security group rules into a matcher.
//
// (Placeholder doc while the package is written.)
package firewall

import "net/netip"

// Rule is one security group rule of a port, resolved: its remote group
// already turned into the members' addresses. It is what Compile takes.
type Rule struct {
	Group string // the security group's name
	Index int    // the rule's index in its group (rules[Index] in the topology)
	// Ingress: the rule is about traffic to the port (remote = source);
	// otherwise egress, from the port (remote = destination).
	Ingress bool
	// IPv6 rules are compiled and listed but never match an IPv4 packet.
	IPv6 bool
	// Protocol is the IP protocol number, or -1 for any.
	Protocol int
	// PortMin and PortMax are -1 when unset. For tcp (6), udp (17), dccp
	// (33), sctp (132) and udplite (136) they bound the destination port;
	// for icmp (1) and ipv6-icmp (58) PortMin is the type and PortMax the
	// code (-1: any code).
	PortMin, PortMax int
	// Remote are the prefixes the other end must be in: [0.0.0.0/0] (or
	// [::/0]) for any, one prefix for a remote_ip_prefix, the members'
	// addresses for a remote group (empty: the rule matches nothing).
	Remote []netip.Prefix
	// RemoteGroup is the remote group's name, "" when none (for display).
	RemoteGroup string
}
