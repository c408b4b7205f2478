package configs

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// protocolNumbers are the protocol names Neutron accepts in security group
// rules (neutron-lib IP_PROTOCOL_MAP), with their IANA numbers.
var protocolNumbers = map[string]int{
	"ah":         51,
	"dccp":       33,
	"egp":        8,
	"esp":        50,
	"gre":        47,
	"hopopt":     0,
	"icmp":       1,
	"icmpv6":     58, // Neutron's legacy alias of ipv6-icmp
	"igmp":       2,
	"ipip":       4,
	"ipv6-encap": 41,
	"ipv6-frag":  44,
	"ipv6-icmp":  58,
	"ipv6-nonxt": 59,
	"ipv6-opts":  60,
	"ipv6-route": 43,
	"ospf":       89,
	"pgm":        113,
	"rsvp":       46,
	"sctp":       132,
	"tcp":        6,
	"udp":        17,
	"udplite":    136,
	"vrrp":       112,
}

// Protocol numbers that matter to rule validation.
const (
	protoICMP   = 1
	protoICMPv6 = 58
)

// protocolNames lists the accepted names, sorted, for suggestions.
var protocolNames = func() []string {
	names := []string{"any"}
	for n := range protocolNumbers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}()

// parseProtocol resolves a rule's protocol: a name (any case), "any", or a
// number 0-255. It returns the lower-cased name and the number (AnyProtocol
// for "any").
func parseProtocol(s string) (string, int, error) {
	name := strings.ToLower(strings.TrimSpace(s))
	if name == "any" {
		return name, AnyProtocol, nil
	}
	if n, ok := protocolNumbers[name]; ok {
		return name, n, nil
	}
	if n, err := strconv.Atoi(name); err == nil {
		if n < 0 || n > 255 {
			return "", 0, fmt.Errorf("protocol number %d is out of range 0-255", n)
		}
		return name, n, nil
	}
	return "", 0, fmt.Errorf("unknown protocol %q%s: use a name (tcp, udp, icmp, ...), any, or a number 0-255", s, didYouMean(name, protocolNames))
}

// hasPorts reports whether rules of the protocol may carry port ranges.
func hasPorts(proto int) bool {
	switch proto {
	case 6, 17, 33, 132, 136: // tcp udp dccp sctp udplite
		return true
	}
	return false
}

// isICMP reports whether port_range_min/max are an ICMP type and code.
func isICMP(proto int) bool { return proto == protoICMP || proto == protoICMPv6 }

// ipv6Only reports protocols Neutron refuses in IPv4 rules
// (SecurityGroupEthertypeConflictWithProtocol).
func ipv6Only(proto int) bool {
	switch proto {
	case 41, 43, 44, 58, 59, 60:
		return true
	}
	return false
}
