package firewall

import (
	"errors"
	"net/netip"
	"slices"
)

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

// MaxEntries bounds the prefix entries a Set may hold, over all its
// distinct prefix tables. Compile refuses rules that would need more.
const MaxEntries = 1 << 20

// ErrTooLarge is wrapped by the error Compile returns when the rules would
// compile to more than MaxEntries prefix entries. The usual cause is a
// remote group with many members in rules that, with others, cut the ports
// or protocols into many distinct pieces.
var ErrTooLarge = errors.New("too many remote addresses across distinct ports and protocols")

// Set is a port's compiled rules, both directions. It is immutable: any
// number of goroutines may use it and its Matchers without a lock. New
// rules make a new Set.
type Set struct {
	rules   []Rule
	ingress Matcher
	egress  Matcher
	entries int
}

// Rules returns a copy of the rules s was compiled from, in their given
// order: a rule's index there is the id Match returns.
func (s *Set) Rules() []Rule { return slices.Clone(s.rules) }

// Ingress returns the matcher of the rules about traffic to the port.
func (s *Set) Ingress() *Matcher { return &s.ingress }

// Egress returns the matcher of the rules about traffic from the port.
func (s *Set) Egress() *Matcher { return &s.egress }

// Entries returns the number of prefix entries s holds, counting each
// shared table once; it is at most MaxEntries.
func (s *Set) Entries() int { return s.entries }

// Matcher finds the first rule of one direction allowing an IPv4 packet.
// See Match. Matchers come from a Set; the zero Matcher is not usable.
type Matcher struct {
	// byProto maps an IP protocol number to its key map in maps; maps[0]
	// serves the protocols no rule names (only any-protocol rules).
	byProto [256]uint16
	maps    []keyMap
}
