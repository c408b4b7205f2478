package configs

import (
	"fmt"
	"net/netip"
	"strings"
	"unicode"
	"unicode/utf8"
)

// parseAddr parses an IPv4 or IPv6 address without a zone.
func parseAddr(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		if strings.Contains(s, "/") {
			return netip.Addr{}, fmt.Errorf("%q is not a valid IP address (an address here, not a CIDR)", s)
		}
		return netip.Addr{}, fmt.Errorf("%q is not a valid IP address", s)
	}
	return a.Unmap(), nil
}

// parsePrefix parses a CIDR and refuses host bits: 10.0.0.1/24 is a mistake
// for 10.0.0.0/24 (or for an address), so say which.
func parsePrefix(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		if !strings.Contains(s, "/") {
			return netip.Prefix{}, fmt.Errorf("%q is not a valid CIDR (missing /prefix-length, as in 10.0.0.0/24)", s)
		}
		return netip.Prefix{}, fmt.Errorf("%q is not a valid CIDR", s)
	}
	if m := p.Masked(); m != p {
		return netip.Prefix{}, fmt.Errorf("%s has host bits set (did you mean %s?)", s, m)
	}
	return p, nil
}

// parseAddrOrPrefix accepts a CIDR or a single address (as a /32 or /128),
// as Neutron does for allowed_address_pairs and remote_ip_prefix.
func parseAddrOrPrefix(s string) (netip.Prefix, error) {
	if !strings.Contains(s, "/") {
		a, err := parseAddr(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not a valid IP address or CIDR", s)
		}
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	return parsePrefix(s)
}

// checkDeviceName applies the kernel's dev_valid_name rules: not empty, at
// most 15 bytes, not "." or "..", no '/', ':' or whitespace. It also refuses
// non-ASCII and control characters, which the kernel takes but many tools
// (and the kernel's own isspace on byte 0xa0) get wrong.
func checkDeviceName(s string) error {
	switch {
	case s == "":
		return fmt.Errorf("an interface name must not be empty")
	case len(s) > MaxDeviceName:
		return fmt.Errorf("interface name %q is %d characters long: the kernel allows at most %d", s, len(s), MaxDeviceName)
	case s == "." || s == "..":
		return fmt.Errorf("%q is not a valid interface name", s)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '/' || c == ':':
			return fmt.Errorf("interface name %q contains %q, which the kernel refuses", s, string(c))
		case c == ' ' || (c >= '\t' && c <= '\r'):
			return fmt.Errorf("interface name %q contains whitespace, which the kernel refuses", s)
		case c < ' ' || c >= 0x7f:
			return fmt.Errorf("interface name %q contains a control or non-ASCII character", s)
		}
	}
	return nil
}

// identWhy ends the messages of checkIdentName.
const identWhy = "port and uplink names are used as file and device-like identifiers"

// checkIdentName checks the name of a port or an uplink. Neutron allows any
// string, but neutrino uses these names as identifiers: replay writes
// DIR/<name>.pcap, --in NAME=FILE and show refer to them, logs print them.
// So a name may not be empty, "." or "..", and may not contain '/',
// whitespace, control characters or invisible format characters.
func checkIdentName(s string) error {
	switch {
	case strings.TrimSpace(s) == "":
		return fmt.Errorf("must not be empty")
	case s == "." || s == "..":
		return fmt.Errorf("%q is not a usable name: %s", s, identWhy)
	case !utf8.ValidString(s):
		return fmt.Errorf("%q is not valid UTF-8: %s", s, identWhy)
	}
	for _, r := range s {
		switch {
		case r == '/' || unicode.IsSpace(r):
			return fmt.Errorf("%q may not contain whitespace or '/': %s", s, identWhy)
		case r == '=':
			return fmt.Errorf("%q may not contain '=': `neutrino replay --in NAME=FILE` could not name it", s)
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
			return fmt.Errorf("%q may not contain control or invisible format characters: %s", s, identWhy)
		}
	}
	return nil
}

// checkDomain checks a DNS domain name: labels of letters, digits and '-',
// separated by dots, at most 63 bytes each and 253 in all.
func checkDomain(s string) error {
	name := strings.TrimSuffix(s, ".")
	if name == "" || len(name) > 253 {
		return fmt.Errorf("%q is not a valid domain name", s)
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Errorf("%q is not a valid domain name", s)
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return fmt.Errorf("%q is not a valid domain name (character %q)", s, string(c))
			}
		}
	}
	return nil
}

// Address arithmetic on subnets.

// hostRange returns the first and last host addresses of p: IPv4 leaves out
// the network and broadcast addresses (a /31 or /32 has none to leave out),
// IPv6 leaves out the subnet-router anycast address (the first).
func hostRange(p netip.Prefix) (first, last netip.Addr) {
	first = p.Addr()
	last = lastAddr(p)
	if p.Addr().Is4() && p.Bits() >= 31 {
		return first, last
	}
	if p.Addr().Is6() && p.Bits() == 128 {
		return first, last
	}
	first = first.Next()
	if p.Addr().Is4() {
		last = last.Prev()
	}
	return first, last
}

// lastAddr returns the highest address of p.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// hostProblem says why a is not usable as a host address in subnet p, or "".
func hostProblem(p netip.Prefix, a netip.Addr) string {
	if !p.Contains(a) {
		return "outside"
	}
	first, last := hostRange(p)
	switch {
	case a.Compare(first) < 0:
		if a.Is4() {
			return "network address"
		}
		return "subnet-router anycast address"
	case a.Compare(last) > 0:
		return "broadcast address"
	}
	return ""
}

// overlaps reports whether two prefixes share an address.
func overlaps(a, b netip.Prefix) bool {
	return a.IsValid() && b.IsValid() && a.Overlaps(b)
}

// family names an address family for messages.
func family(a netip.Addr) string {
	if a.Is4() {
		return "IPv4"
	}
	return "IPv6"
}
