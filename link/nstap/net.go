package nstap

import (
	"net"
	"net/netip"
)

// prefixNet converts a prefix (an address with its prefix length, or a
// destination) to the net.IPNet netlink takes.
func prefixNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}
