package firewall

import "net/netip"

// IP protocol numbers whose rules carry something other than "all keys".
const (
	protoAny  = -1
	protoICMP = 1
)

// hasPorts reports whether a protocol's rules bound the destination port.
func hasPorts(proto int) bool {
	switch proto {
	case 6, 17, 33, 132, 136: // tcp udp dccp sctp udplite
		return true
	}
	return false
}

// validProtocol reports whether r names any protocol or one IP protocol
// number; other values never match.
func (r Rule) validProtocol() bool {
	return r.Protocol >= protoAny && r.Protocol <= 255
}

// keyRange returns the inclusive range of Match keys r allows in an IPv4
// packet, or ok false when it allows none.
//
//   - tcp, udp, dccp, sctp, udplite: the destination ports PortMin to
//     PortMax; PortMin unset means all ports, PortMax unset means PortMin
//     alone; ports above 65535 are cut off.
//   - icmp: type<<8|code. PortMin unset means any type; PortMax unset
//     means any code of that type. A type or code above 255 allows none.
//   - any other protocol, or any protocol: every key (a port range there
//     has no meaning and is ignored).
func (r Rule) keyRange() (lo, hi uint16, ok bool) {
	switch {
	case hasPorts(r.Protocol):
		if r.PortMin < 0 {
			return 0, 0xffff, true
		}
		mx := r.PortMax
		if mx < 0 {
			mx = r.PortMin
		}
		mx = min(mx, 0xffff)
		if r.PortMin > mx {
			return 0, 0, false
		}
		return uint16(r.PortMin), uint16(mx), true
	case r.Protocol == protoICMP:
		if r.PortMin < 0 {
			return 0, 0xffff, true
		}
		if r.PortMin > 0xff || r.PortMax > 0xff {
			return 0, 0, false
		}
		t := uint16(r.PortMin) << 8
		if r.PortMax < 0 {
			return t, t | 0xff, true
		}
		return t | uint16(r.PortMax), t | uint16(r.PortMax), true
	}
	return 0, 0xffff, true
}

// remote4 returns r's valid IPv4 remote prefixes, masked, without
// duplicates, in the order given. IPv6 prefixes (IPv4-mapped ones too)
// are left out: they never match an IPv4 packet.
func (r Rule) remote4() []netip.Prefix {
	var out []netip.Prefix
	seen := make(map[netip.Prefix]bool, len(r.Remote))
	for _, p := range r.Remote {
		if !p.IsValid() || !p.Addr().Is4() {
			continue
		}
		p = p.Masked()
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}
