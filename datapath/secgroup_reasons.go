package datapath

// SGReason is a fixed rule of a port's filter (stage security_group):
// what Neutron's firewall driver puts around the group rules. The drops
// among them are the stage's drop reasons; every one, accept or drop,
// counts packets and bytes per port and direction (show security-groups).
type SGReason uint8

// The fixed rules, in the order a filter tries them. Egress is from the
// VM to br-int, ingress from br-int to the VM.
const (
	SGAcceptARP         SGReason = iota + 1 // ARP whose sender is one of the port's pairs (egress), any ARP (ingress)
	SGSpoofedARP                            // drop: ARP with a sender MAC or IP not the port's (egress)
	SGAcceptDHCPClient                      // a DHCP client's request, udp 68 -> 67 (egress)
	SGSpoofedSource                         // drop: source MAC and IP not one of the port's pairs (egress)
	SGDHCPServer                            // drop: a DHCP server's reply, udp 67 -> 68, from a VM (egress)
	SGAcceptDHCPReply                       // a DHCP server's reply, udp 67 -> 68 (ingress)
	SGInvalid                               // drop: conntrack state INVALID
	SGAcceptEstablished                     // conntrack state ESTABLISHED or RELATED
	SGAcceptFragment                        // a later fragment of a datagram whose first fragment passed
	SGFragment                              // drop: a later fragment whose first fragment was not seen passing
	SGConntrackFull                         // drop: a new connection the conntrack table has no room for
	SGNoRule                                // drop: no rule of the port's groups allows it (the fallback)
	SGIPv6                                  // drop: IPv6 (not filtered yet, so not let through)
	SGEtherType                             // drop: neither ARP nor IP
	NumSGReasons
)

var sgReasonNames = [NumSGReasons]string{
	SGAcceptARP:         "arp",
	SGSpoofedARP:        "spoofed_arp",
	SGAcceptDHCPClient:  "dhcp_client",
	SGSpoofedSource:     "spoofed_source",
	SGDHCPServer:        "dhcp_server",
	SGAcceptDHCPReply:   "dhcp_reply",
	SGInvalid:           "invalid",
	SGAcceptEstablished: "established",
	SGAcceptFragment:    "fragment",
	SGFragment:          "fragment_unknown",
	SGConntrackFull:     "conntrack_full",
	SGNoRule:            "no_rule",
	SGIPv6:              "ipv6",
	SGEtherType:         "ethertype",
}

// sgText says what each fixed rule matches, as show security-groups
// prints it.
var sgText = [NumSGReasons]string{
	SGAcceptARP:         "arp from the port's pairs", // egress; ingress takes any (matchText)
	SGSpoofedARP:        "arp from another MAC or IP (spoofing)",
	SGAcceptDHCPClient:  "udp spt:68 dpt:67 (dhcp client)",
	SGSpoofedSource:     "source not one of the port's (MAC, IP) pairs (spoofing)",
	SGDHCPServer:        "udp spt:67 dpt:68 (a VM may not serve DHCP)",
	SGAcceptDHCPReply:   "udp spt:67 dpt:68 (dhcp replies)",
	SGInvalid:           "state INVALID",
	SGAcceptEstablished: "state RELATED,ESTABLISHED",
	SGAcceptFragment:    "later fragments of a datagram allowed",
	SGFragment:          "later fragments of a datagram not seen",
	SGConntrackFull:     "new connection, conntrack table full",
	SGNoRule:            "no rule allows it (fallback)",
	SGIPv6:              "IPv6 (not filtered: dropped)",
	SGEtherType:         "neither ARP nor IP",
}

// matchText says what fixed rule r matches in direction dir.
func matchText(dir int, r SGReason) string {
	if dir == sgIngress && r == SGAcceptARP {
		return "arp"
	}
	return sgText[r]
}

// String returns the counter name of the reason.
func (r SGReason) String() string {
	if r < NumSGReasons && sgReasonNames[r] != "" {
		return sgReasonNames[r]
	}
	return "unknown"
}

// accepts reports whether the fixed rule lets its frames through.
func (r SGReason) accepts() bool {
	switch r {
	case SGAcceptARP, SGAcceptDHCPClient, SGAcceptDHCPReply, SGAcceptEstablished, SGAcceptFragment:
		return true
	}
	return false
}

// sgChains are the fixed rules of each direction in the order a filter
// tries them; sgRulesAt is where the group rules come in that order.
var sgChains = [2][]SGReason{
	sgEgress:  {SGAcceptARP, SGSpoofedARP, SGAcceptDHCPClient, SGSpoofedSource, SGDHCPServer, SGInvalid, SGAcceptEstablished, SGAcceptFragment, SGFragment, SGConntrackFull, SGNoRule, SGIPv6, SGEtherType},
	sgIngress: {SGAcceptARP, SGAcceptDHCPReply, SGInvalid, SGAcceptEstablished, SGAcceptFragment, SGFragment, SGConntrackFull, SGNoRule, SGIPv6, SGEtherType},
}

// sgRulesBefore is the fixed rule the group rules come before.
const sgRulesBefore = SGConntrackFull

// Directions of a port's filter, seen from the VM.
const (
	sgEgress  = 0
	sgIngress = 1
)
