package dhcp

import (
	"net/netip"
	"slices"
	"strings"
)

// Option codes the server writes (RFC 2132, RFC 3442).
const (
	optSubnetMask     = 1
	optRouter         = 3
	optDNS            = 6
	optHostname       = 12
	optDomainName     = 15
	optMTU            = 26
	optBroadcast      = 28
	optRequestedIP    = 50
	optLeaseTime      = 51
	optMessageType    = 53
	optServerID       = 54
	optMaxMessageSize = 57
	optT1             = 58
	optT2             = 59
	optClassless      = 121
	optMSClassless    = 249
	optEnd            = 255
)

// optionSet is the options of one answer, encoded once in New: a subnet's
// (for pool clients) or a static host's (the subnet's with the host's
// hostname and extra options).
type optionSet struct {
	// lease holds options 51, 58 and 59 (absent from INFORM answers);
	// rest all the others, in the order they are sent.
	lease, rest []byte
	siaddr      [4]byte // OptServerIPAddress, or zero
	leaseTime   int     // seconds, InfiniteLease for infinite
}

// buildOptions encodes the options of subnet sn, overridden by a host's
// hostname and extra options (both may be empty).
func buildOptions(sn *Subnet, hostname string, extra []Option) optionSet {
	type opt struct {
		code uint8
		val  []byte
	}
	var opts []opt
	add := func(code uint8, v []byte) { opts = append(opts, opt{code, v}) }
	ip := func(a netip.Addr) []byte { b := a.As4(); return b[:] }

	lt := sn.LeaseTime
	if lt == 0 {
		lt = DefaultLeaseTime
	}
	for _, o := range extra {
		if o.Code == optLeaseTime && len(o.Value) == 4 {
			if v := be32(o.Value); v == 0xffffffff {
				lt = InfiniteLease
			} else {
				lt = int(max(v, minLeaseTime))
			}
		}
	}
	var leaseOpts []opt
	if lt == InfiniteLease {
		leaseOpts = []opt{{optLeaseTime, []byte{0xff, 0xff, 0xff, 0xff}}}
	} else {
		t := uint64(lt)
		leaseOpts = []opt{
			{optLeaseTime, beBytes(t, 4)},
			{optT1, beBytes(t/2, 4)},
			{optT2, beBytes(t*7/8, 4)},
		}
	}

	mask := net4Mask(sn.CIDR.Bits())
	add(optSubnetMask, beBytes(uint64(mask), 4))
	if sn.Gateway.IsValid() {
		add(optRouter, ip(sn.Gateway))
	}
	if len(sn.DNS) > 0 {
		var v []byte
		for _, d := range sn.DNS {
			v = append(v, ip(d)...)
		}
		add(optDNS, v)
	}
	if hostname != "" {
		add(optHostname, []byte(hostname))
	}
	if sn.Domain != "" {
		add(optDomainName, []byte(sn.Domain))
	}
	if sn.MTU > 0 {
		add(optMTU, beBytes(uint64(sn.MTU), 2))
	}
	bcast := u32(sn.CIDR.Masked().Addr()) | ^mask
	add(optBroadcast, beBytes(uint64(bcast), 4))
	if r := subnetRoutes(sn); r != nil {
		v := appendRoutes(nil, r)
		add(optClassless, v)
		add(optMSClassless, v)
	}

	var set optionSet
	set.leaseTime = lt
	for _, o := range extra {
		if o.Code == OptServerIPAddress {
			copy(set.siaddr[:], o.Value)
			continue
		}
		replace := func(list []opt) bool {
			for i := range list {
				if list[i].code == o.Code {
					list[i].val = o.Value
					return true
				}
			}
			return false
		}
		if !replace(leaseOpts) && !replace(opts) {
			add(o.Code, o.Value)
		}
	}
	for _, o := range leaseOpts {
		set.lease = appendOption(set.lease, o.code, o.val)
	}
	for _, o := range opts {
		set.rest = appendOption(set.rest, o.code, o.val)
	}
	return set
}

// subnetRoutes returns option 121's routes for sn, or nil when it has no
// host routes and no on-link siblings (option 3 alone then): the host
// routes, on-link routes for the sibling subnets, and the default route via
// the gateway last (unless a host route is already a default route).
func subnetRoutes(sn *Subnet) []Route {
	if len(sn.HostRoutes) == 0 && len(sn.OnLink) == 0 {
		return nil
	}
	routes := slices.Clone(sn.HostRoutes)
	hasDefault := false
	for _, r := range routes {
		hasDefault = hasDefault || r.Dst.Bits() == 0
	}
	for _, p := range sn.OnLink {
		routes = append(routes, Route{Dst: p.Masked()})
	}
	if sn.Gateway.IsValid() && !hasDefault {
		routes = append(routes, Route{Dst: netip.PrefixFrom(netip.IPv4Unspecified(), 0), Via: sn.Gateway})
	}
	return routes
}

// appendRoutes encodes routes as RFC 3442 does: the prefix length, the
// significant octets of the destination, then the router (0.0.0.0 for
// on-link).
func appendRoutes(b []byte, routes []Route) []byte {
	for _, r := range routes {
		bits := r.Dst.Bits()
		d := r.Dst.Masked().Addr().As4()
		b = append(b, byte(bits))
		b = append(b, d[:(bits+7)/8]...)
		var via [4]byte
		if r.Via.Is4() {
			via = r.Via.As4()
		}
		b = append(b, via[:]...)
	}
	return b
}

// appendOption appends one option; a value over 255 bytes is split into
// several options of the same code (RFC 3396).
func appendOption(b []byte, code uint8, v []byte) []byte {
	if len(v) == 0 {
		return append(b, code, 0)
	}
	for len(v) > 0 {
		n := min(len(v), 255)
		b = append(b, code, byte(n))
		b = append(b, v[:n]...)
		v = v[n:]
	}
	return b
}

// net4Mask returns the netmask of a prefix length as a number.
func net4Mask(bits int) uint32 {
	if bits <= 0 {
		return 0
	}
	return ^uint32(0) << (32 - bits)
}

func be32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// neutronHostname is the name Neutron gives a port's address in dnsmasq's
// host file: "host-10-0-0-11".
func neutronHostname(a netip.Addr) string {
	return "host-" + strings.ReplaceAll(a.String(), ".", "-")
}
