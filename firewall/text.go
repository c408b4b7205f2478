package firewall

import (
	"strconv"
	"strings"
)

// protocolNames are the names Neutron gives IP protocol numbers.
var protocolNames = map[int]string{
	0: "hopopt", 1: "icmp", 2: "igmp", 4: "ipip", 6: "tcp", 8: "egp",
	17: "udp", 33: "dccp", 41: "ipv6-encap", 43: "ipv6-route",
	44: "ipv6-frag", 46: "rsvp", 47: "gre", 50: "esp", 51: "ah",
	58: "ipv6-icmp", 59: "ipv6-nonxt", 60: "ipv6-opts", 89: "ospf",
	112: "vrrp", 113: "pgm", 132: "sctp", 136: "udplite",
}

// showPrefixes is the number of remote prefixes String shows at most.
const showPrefixes = 4

// String returns r in a short form like that of iptables -nvL:
//
//	tcp dpt:22 from 0.0.0.0/0
//	udp dpts:1000:2000 to 10.0.0.0/8
//	icmp type 8 code 0 from group default
//	any to 0.0.0.0/0
//	IPv6 ipv6-icmp type 135 from ::/0
//
// "from" is ingress, "to" egress; a remote group shows by name, with
// "(no members)" when it has no addresses, and so matches nothing. Other
// remote prefixes are listed, the first few of a long list only.
func (r Rule) String() string {
	var b strings.Builder
	if r.IPv6 {
		b.WriteString("IPv6 ")
	}
	switch name, ok := protocolNames[r.Protocol]; {
	case r.Protocol == protoAny:
		b.WriteString("any")
	case ok:
		b.WriteString(name)
	default:
		b.WriteString(strconv.Itoa(r.Protocol))
	}
	switch {
	case r.PortMin < 0:
	case hasPorts(r.Protocol):
		if r.PortMax < 0 || r.PortMax == r.PortMin {
			b.WriteString(" dpt:" + strconv.Itoa(r.PortMin))
		} else {
			b.WriteString(" dpts:" + strconv.Itoa(r.PortMin) + ":" + strconv.Itoa(r.PortMax))
		}
	case r.Protocol == protoICMP || r.Protocol == 58:
		b.WriteString(" type " + strconv.Itoa(r.PortMin))
		if r.PortMax >= 0 {
			b.WriteString(" code " + strconv.Itoa(r.PortMax))
		}
	}
	if r.Ingress {
		b.WriteString(" from ")
	} else {
		b.WriteString(" to ")
	}
	switch {
	case r.RemoteGroup != "":
		b.WriteString("group " + r.RemoteGroup)
		if len(r.Remote) == 0 {
			b.WriteString(" (no members)")
		}
	case len(r.Remote) == 0:
		b.WriteString("no address")
	default:
		for i, p := range r.Remote[:min(len(r.Remote), showPrefixes)] {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(p.String())
		}
		if n := len(r.Remote) - showPrefixes; n > 0 {
			b.WriteString(" and " + strconv.Itoa(n) + " more")
		}
	}
	return b.String()
}
