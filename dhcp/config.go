package dhcp

import (
	"errors"
	"fmt"
	"net/netip"
)

// Range is an inclusive range of IPv4 addresses.
type Range struct{ Start, End netip.Addr }

// Contains reports whether a lies inside r.
func (r Range) Contains(a netip.Addr) bool {
	return a.Is4() && r.Start.Is4() && r.End.Is4() && r.Start.Compare(a) <= 0 && a.Compare(r.End) <= 0
}

// Size returns the number of addresses in r, 0 for an invalid or reversed
// range.
func (r Range) Size() int {
	if !r.Start.Is4() || !r.End.Is4() || r.End.Less(r.Start) {
		return 0
	}
	return int(u32(r.End)-u32(r.Start)) + 1
}

// Route is a classless static route handed to clients (option 121).
type Route struct {
	Dst netip.Prefix
	Via netip.Addr // the zero Addr: on-link (sent as 0.0.0.0)
}

// Option is a DHCP option with its value already encoded, as ParseOption
// returns it. Code OptServerIPAddress (255) is not sent as an option: its
// four bytes become the reply's siaddr (dnsmasq's server-ip-address).
type Option struct {
	Code  uint8
	Value []byte
}

// OptServerIPAddress is the pseudo option code of dnsmasq's
// server-ip-address: the next server (siaddr) of a PXE client.
const OptServerIPAddress = 255

// Host is the static entry of one Neutron port on one subnet: its MAC gets
// IP and nothing else (dnsmasq's dhcp-host).
type Host struct {
	MAC  MAC
	IP   netip.Addr
	Port string // the port's name, recorded in its lease
	// Options are the port's extra_dhcp_opts (IPv4): they replace the
	// subnet's option of the same code, or add one.
	Options []Option
}

// Subnet is one DHCP-enabled subnet of the network.
type Subnet struct {
	Name     string // the key of its leases in Leases
	CIDR     netip.Prefix
	Gateway  netip.Addr // the zero Addr: no gateway (no option 3, no default route)
	ServerIP netip.Addr // the server's address on the subnet: option 54 and the replies' source
	DNS      []netip.Addr
	Domain   string // option 15; "" sends none
	MTU      int    // option 26; 0 sends none
	// LeaseTime is in seconds; InfiniteLease (-1) is infinite, 0 means
	// DefaultLeaseTime.
	LeaseTime  int
	HostRoutes []Route
	// OnLink are the network's other subnets: on-link routes in option 121.
	OnLink []netip.Prefix
	// Pool is this node's share of the allocation pool (see SplitPool):
	// unknown MACs get an address from it. nil: static hosts only, as
	// Neutron.
	Pool *Range
}

// Config is the DHCP server of one network on this node.
type Config struct {
	Network   string // for error messages
	ServerMAC MAC    // the DHCP port's MAC, the replies' source (Reply.SrcMAC)
	Subnets   []Subnet
	Hosts     []Host
	Limits    Limits
}

// Lease times.
const (
	DefaultLeaseTime = 86400 // seconds
	InfiniteLease    = -1
	minLeaseTime     = 1
)

// ErrConfig is wrapped by every error of New about its Config.
var ErrConfig = errors.New("invalid DHCP configuration")

// validate checks a Config and returns its errors joined (nil when none).
func (cfg *Config) validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: network %s: %s", ErrConfig, cfg.Network, fmt.Sprintf(format, args...)))
	}
	names := map[string]bool{}
	for i := range cfg.Subnets {
		sn := &cfg.Subnets[i]
		at := fmt.Sprintf("subnet %q", sn.Name)
		if sn.Name == "" {
			bad("subnets[%d]: no name", i)
		} else if names[sn.Name] {
			bad("%s: named twice", at)
		}
		names[sn.Name] = true
		if !sn.CIDR.IsValid() || !sn.CIDR.Addr().Is4() {
			bad("%s: CIDR %v is not an IPv4 prefix", at, sn.CIDR)
			continue
		}
		if sn.CIDR != sn.CIDR.Masked() {
			bad("%s: CIDR %v has host bits set (%v)", at, sn.CIDR, sn.CIDR.Masked())
		}
		for j := range i {
			if o := cfg.Subnets[j].CIDR; o.IsValid() && o.Overlaps(sn.CIDR) {
				bad("%s: CIDR %v overlaps subnet %q (%v)", at, sn.CIDR, cfg.Subnets[j].Name, o)
			}
		}
		if !sn.ServerIP.Is4() || !sn.CIDR.Contains(sn.ServerIP) {
			bad("%s: server IP %v is not inside %v", at, sn.ServerIP, sn.CIDR)
		} else if !isHost(sn.CIDR, sn.ServerIP) {
			bad("%s: server IP %v is the network or broadcast address of %v", at, sn.ServerIP, sn.CIDR)
		}
		if sn.Gateway.IsValid() && (!sn.Gateway.Is4() || !sn.CIDR.Contains(sn.Gateway)) {
			bad("%s: gateway %v is not inside %v", at, sn.Gateway, sn.CIDR)
		}
		for _, d := range sn.DNS {
			if !d.Is4() {
				bad("%s: DNS server %v is not an IPv4 address", at, d)
			}
		}
		if sn.MTU != 0 && (sn.MTU < 68 || sn.MTU > 65535) {
			bad("%s: MTU %d is outside 68..65535", at, sn.MTU)
		}
		if sn.LeaseTime < InfiniteLease {
			bad("%s: lease time %d is negative (-1 is infinite)", at, sn.LeaseTime)
		}
		for _, r := range sn.HostRoutes {
			if !r.Dst.IsValid() || !r.Dst.Addr().Is4() || (r.Via.IsValid() && !r.Via.Is4()) {
				bad("%s: host route %v via %v is not IPv4", at, r.Dst, r.Via)
			}
		}
		for _, p := range sn.OnLink {
			if !p.IsValid() || !p.Addr().Is4() {
				bad("%s: on-link prefix %v is not IPv4", at, p)
			}
		}
		if p := sn.Pool; p != nil {
			switch {
			case !p.Start.Is4() || !p.End.Is4() || !sn.CIDR.Contains(p.Start) || !sn.CIDR.Contains(p.End):
				bad("%s: pool %v-%v is not inside %v", at, p.Start, p.End, sn.CIDR)
			case p.End.Less(p.Start):
				bad("%s: pool %v-%v ends before it starts", at, p.Start, p.End)
			case p.Contains(sn.ServerIP):
				bad("%s: pool %v-%v holds the server IP %v", at, p.Start, p.End, sn.ServerIP)
			case p.Contains(sn.Gateway):
				bad("%s: pool %v-%v holds the gateway %v", at, p.Start, p.End, sn.Gateway)
			}
		}
	}
	type hostKey struct {
		mac    MAC
		subnet int
	}
	macs := map[hostKey]bool{}
	ips := map[netip.Addr]bool{}
	for i := range cfg.Hosts {
		h := &cfg.Hosts[i]
		at := fmt.Sprintf("host %v (%s)", h.MAC, h.Port)
		if h.MAC == (MAC{}) || h.MAC[0]&1 != 0 {
			bad("%s: MAC is zero or multicast", at)
		}
		sn := -1
		for j := range cfg.Subnets {
			if cfg.Subnets[j].CIDR.IsValid() && cfg.Subnets[j].CIDR.Contains(h.IP) {
				sn = j
				break
			}
		}
		if !h.IP.Is4() || sn < 0 {
			bad("%s: IP %v is not inside any DHCP subnet", at, h.IP)
			continue
		}
		s := &cfg.Subnets[sn]
		switch {
		case h.IP == s.ServerIP:
			bad("%s: IP %v is the server's", at, h.IP)
		case s.Pool != nil && s.Pool.Contains(h.IP):
			bad("%s: IP %v is inside the pool of subnet %q", at, h.IP, s.Name)
		case ips[h.IP]:
			bad("%s: IP %v is given to another host too", at, h.IP)
		}
		ips[h.IP] = true
		if k := (hostKey{h.MAC, sn}); macs[k] {
			bad("%s: the MAC has two addresses on subnet %q", at, s.Name)
		} else {
			macs[k] = true
		}
		for _, o := range h.Options {
			if err := checkOption(o); err != nil {
				bad("%s: %v", at, err)
			}
		}
	}
	return errors.Join(errs...)
}

// isHost reports whether a is neither the network nor the broadcast address
// of p (both are usable in a /31 or /32).
func isHost(p netip.Prefix, a netip.Addr) bool {
	if p.Bits() >= 31 {
		return true
	}
	n := u32(p.Masked().Addr())
	b := n | (1<<(32-p.Bits()) - 1)
	x := u32(a)
	return x != n && x != b
}

// u32 returns an IPv4 address as a number; 0 for anything else.
func u32(a netip.Addr) uint32 {
	if !a.Is4() {
		return 0
	}
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// addr4 is the inverse of u32.
func addr4(x uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(x >> 24), byte(x >> 16), byte(x >> 8), byte(x)})
}
