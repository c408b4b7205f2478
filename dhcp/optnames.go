package dhcp

import (
	"neutrino/internal/suggest"

	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Errors of ParseOption, wrapped with the details: the name is at fault, or
// the value.
var (
	ErrOptionName  = errors.New("unknown DHCP option")
	ErrOptionValue = errors.New("bad DHCP option value")
)

// optType is how an option's value is written and encoded.
type optType uint8

const (
	tUnknown optType = iota // a bare number: guessed from the value, as dnsmasq does
	tIPs                    // comma-separated IPv4 addresses
	tIP                     // one IPv4 address
	tString                 // text, sent as is
	tUint8
	tUint16
	tUint32
	tInt32
	tBool      // 0/1, true/false
	tDomains   // comma-separated domain names, RFC 1035 encoded (option 119)
	tClassless // dst/len,router pairs (option 121, 249)
	tIPPairs   // dst,router pairs (option 33, 21)
	tSIP       // IPv4 addresses or domain names (option 120, RFC 3361)
	tHex       // hex bytes, with or without colons
	tForbidden // codes the server owns
)

var optTypeNames = [...]string{
	tUnknown: "a value", tIPs: "a comma-separated list of IPv4 addresses", tIP: "an IPv4 address",
	tString: "text", tUint8: "a number 0-255", tUint16: "a number 0-65535", tUint32: "a number 0-4294967295",
	tInt32: "a signed 32-bit number", tBool: "a boolean (0, 1, true or false)",
	tDomains: "a comma-separated list of domain names", tClassless: "destination/length,router pairs",
	tIPPairs: "destination,router address pairs", tSIP: "IPv4 addresses or domain names", tHex: "hex bytes",
}

// optDef is one named option.
type optDef struct {
	name string
	code uint8
	typ  optType
}

// optDefs are the IPv4 option names dnsmasq knows (its dhcp-common.c table),
// the ones Neutron's extra_dhcp_opts pass through, with the aliases people
// use. Codes the server sets itself are refused.
var optDefs = []optDef{
	{"netmask", 1, tIP}, {"subnet-mask", 1, tIP},
	{"time-offset", 2, tInt32},
	{"router", 3, tIPs},
	{"dns-server", 6, tIPs}, {"domain-name-server", 6, tIPs},
	{"log-server", 7, tIPs},
	{"lpr-server", 9, tIPs},
	{"hostname", 12, tString}, {"host-name", 12, tString},
	{"boot-file-size", 13, tUint16},
	{"domain-name", 15, tString},
	{"swap-server", 16, tIP},
	{"root-path", 17, tString},
	{"extension-path", 18, tString},
	{"ip-forward-enable", 19, tBool},
	{"non-local-source-routing", 20, tBool},
	{"policy-filter", 21, tIPPairs},
	{"max-datagram-reassembly", 22, tUint16},
	{"default-ttl", 23, tUint8},
	{"mtu", 26, tUint16}, {"interface-mtu", 26, tUint16},
	{"all-subnets-local", 27, tBool},
	{"broadcast", 28, tIP}, {"broadcast-address", 28, tIP},
	{"router-discovery", 31, tBool},
	{"router-solicitation", 32, tIP},
	{"static-route", 33, tIPPairs},
	{"trailer-encapsulation", 34, tBool},
	{"arp-timeout", 35, tUint32},
	{"ethernet-encap", 36, tBool},
	{"tcp-ttl", 37, tUint8},
	{"tcp-keepalive", 38, tUint32},
	{"nis-domain", 40, tString},
	{"nis-server", 41, tIPs},
	{"ntp-server", 42, tIPs},
	{"vendor-encap", 43, tHex},
	{"netbios-ns", 44, tIPs},
	{"netbios-dd", 45, tIPs},
	{"netbios-nodetype", 46, tUint8},
	{"netbios-scope", 47, tString},
	{"x-windows-fs", 48, tIPs},
	{"x-windows-dm", 49, tIPs},
	{"requested-address", 50, tForbidden},
	{"lease-time", 51, tUint32},
	{"option-overload", 52, tForbidden},
	{"message-type", 53, tForbidden},
	{"server-identifier", 54, tForbidden},
	{"parameter-request", 55, tForbidden},
	{"message", 56, tString},
	{"max-message-size", 57, tForbidden},
	{"t1", 58, tUint32}, {"renewal-time", 58, tUint32},
	{"t2", 59, tUint32}, {"rebinding-time", 59, tUint32},
	{"vendor-class", 60, tString},
	{"client-id", 61, tForbidden},
	{"nis+-domain", 64, tString},
	{"nis+-server", 65, tIPs},
	{"tftp-server", 66, tString},
	{"bootfile-name", 67, tString},
	{"mobile-ip-home", 68, tIPs},
	{"smtp-server", 69, tIPs},
	{"pop3-server", 70, tIPs},
	{"nntp-server", 71, tIPs},
	{"irc-server", 74, tIPs},
	{"user-class", 77, tString},
	{"rapid-commit", 80, tForbidden},
	{"fqdn", 81, tForbidden},
	{"agent-id", 82, tForbidden},
	{"client-arch", 93, tUint16},
	{"client-interface-id", 94, tHex},
	{"client-machine-id", 97, tHex},
	{"posix-timezone", 100, tString},
	{"tzdb-timezone", 101, tString},
	{"subnet-select", 118, tIP},
	{"domain-search", 119, tDomains},
	{"sip-server", 120, tSIP},
	{"classless-static-route", 121, tClassless},
	{"vendor-id-encap", 125, tHex},
	{"tftp-server-address", 150, tIPs},
	{"ms-classless-static-route", 249, tClassless},
	{"server-ip-address", OptServerIPAddress, tIP},
}

// optByName and optByCode index optDefs; optByCode keeps the first name of
// a code, which is the canonical one.
var (
	optByName = map[string]optDef{}
	optByCode = map[uint8]optDef{}
)

func init() {
	for _, d := range optDefs {
		optByName[d.name] = d
		if _, ok := optByCode[d.code]; !ok {
			optByCode[d.code] = d
		}
	}
}

// maxOptionLen is the longest value ParseOption accepts: one option.
const maxOptionLen = 255

// ParseOption turns one extra_dhcp_opts entry (IPv4) into an Option.
//
// name is a dnsmasq option name ("domain-search", "ntp-server",
// "tftp-server", "bootfile-name", "server-ip-address", "mtu", "router",
// "dns-server", "domain-name", "classless-static-route", ...), optionally
// prefixed with "option:", or an option number ("66", "option:66"). Names are
// case-insensitive. dnsmasq tags ("tag:NAME,...") are not supported.
//
// value is written as dnsmasq takes it and encoded by the option's type:
// IPv4 lists are comma-separated ("8.8.8.8,8.8.4.4"); numbers are decimal;
// booleans 0/1/true/false; domain-search is a list of domain names;
// classless-static-route is "10.0.0.0/8,10.0.0.1,0.0.0.0/0,10.0.0.254";
// server-ip-address sets siaddr (OptServerIPAddress). For a number that names
// no known option the value's form decides, as in dnsmasq: IPv4 addresses,
// a decimal number (1, 2 or 4 bytes by size), hex pairs with colons
// ("01:02:ff"), else text.
//
// Errors wrap ErrOptionName or ErrOptionValue.
func ParseOption(name, value string) (Option, error) {
	d, err := lookupOption(name)
	if err != nil {
		return Option{}, err
	}
	v, err := encodeValue(d.typ, value)
	if err != nil {
		return Option{}, fmt.Errorf("%w: %s (option %d): %q: %v", ErrOptionValue, displayName(d), d.code, value, err)
	}
	if len(v) > maxOptionLen {
		return Option{}, fmt.Errorf("%w: %s (option %d): the value encodes to %d bytes, at most %d fit one option", ErrOptionValue, displayName(d), d.code, len(v), maxOptionLen)
	}
	return Option{Code: d.code, Value: v}, nil
}

func displayName(d optDef) string {
	if d.name == "" {
		return "option"
	}
	return d.name
}

// lookupOption resolves an option name or number.
func lookupOption(name string) (optDef, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	if strings.HasPrefix(n, "tag:") || strings.HasPrefix(n, "!tag") || strings.Contains(n, ",") {
		return optDef{}, fmt.Errorf("%w: %q: dnsmasq tags are not supported; give the option name alone", ErrOptionName, name)
	}
	n = strings.TrimPrefix(n, "option:")
	if n == "" {
		return optDef{}, fmt.Errorf("%w: empty name", ErrOptionName)
	}
	if c, err := strconv.ParseUint(n, 10, 8); err == nil || isDigits(n) {
		if err != nil || c == 0 || c == 255 {
			return optDef{}, fmt.Errorf("%w: %q: option numbers are 1-254", ErrOptionName, name)
		}
		d, ok := optByCode[uint8(c)]
		if !ok {
			d = optDef{code: uint8(c), typ: tUnknown}
		}
		if d.typ == tForbidden {
			return optDef{}, fmt.Errorf("%w: %q: option %d (%s) is set by the server and can't be overridden", ErrOptionName, name, c, d.name)
		}
		return d, nil
	}
	d, ok := optByName[n]
	if !ok {
		return optDef{}, fmt.Errorf("%w: %q%s", ErrOptionName, name, suggestOption(n))
	}
	if d.typ == tForbidden {
		return optDef{}, fmt.Errorf("%w: %q (option %d) is set by the server and can't be overridden", ErrOptionName, name, d.code)
	}
	return d, nil
}

func isDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// suggestOption names a known option close to n, as " (did you mean X?)".
func suggestOption(n string) string {
	names := make([]string, len(optDefs))
	for i, d := range optDefs {
		names[i] = d.name
	}
	return suggest.DidYouMean(n, names)
}

// encodeValue encodes value as type t.
func encodeValue(t optType, value string) ([]byte, error) {
	v := strings.TrimSpace(value)
	if v == "" && t != tString {
		return nil, errors.New("empty value")
	}
	switch t {
	case tUnknown:
		return guessValue(v)
	case tIPs, tIP:
		ips, err := ipList(v)
		if err != nil {
			return nil, err
		}
		if t == tIP && len(ips) != 4 {
			return nil, fmt.Errorf("want %s", optTypeNames[t])
		}
		return ips, nil
	case tString:
		if value == "" {
			return nil, errors.New("empty value")
		}
		return []byte(value), nil
	case tUint8, tUint16, tUint32:
		bits := map[optType]int{tUint8: 8, tUint16: 16, tUint32: 32}[t]
		n, err := strconv.ParseUint(v, 10, bits)
		if err != nil {
			return nil, fmt.Errorf("want %s", optTypeNames[t])
		}
		return beBytes(n, bits/8), nil
	case tInt32:
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("want %s", optTypeNames[t])
		}
		return beBytes(uint64(uint32(int32(n))), 4), nil
	case tBool:
		switch strings.ToLower(v) {
		case "1", "true", "yes", "on":
			return []byte{1}, nil
		case "0", "false", "no", "off":
			return []byte{0}, nil
		}
		return nil, fmt.Errorf("want %s", optTypeNames[t])
	case tDomains:
		return domainList(v)
	case tClassless:
		return classlessList(v)
	case tIPPairs:
		ips, err := ipList(v)
		if err != nil {
			return nil, err
		}
		if len(ips)%8 != 0 {
			return nil, fmt.Errorf("want %s: an odd number of addresses", optTypeNames[t])
		}
		return ips, nil
	case tSIP:
		if ips, err := ipList(v); err == nil {
			return append([]byte{1}, ips...), nil
		}
		names, err := domainList(v)
		if err != nil {
			return nil, fmt.Errorf("want %s: %v", optTypeNames[t], err)
		}
		return append([]byte{0}, names...), nil
	case tHex:
		return hexBytes(v)
	}
	return nil, errors.New("option can't be set")
}

// guessValue encodes the value of an option number dnsmasq has no name for.
func guessValue(v string) ([]byte, error) {
	if ips, err := ipList(v); err == nil {
		return ips, nil
	}
	if n, err := strconv.ParseUint(v, 10, 32); err == nil {
		switch {
		case n <= 0xff:
			return beBytes(n, 1), nil
		case n <= 0xffff:
			return beBytes(n, 2), nil
		}
		return beBytes(n, 4), nil
	}
	if strings.Contains(v, ":") {
		if b, err := hexBytes(v); err == nil {
			return b, nil
		}
	}
	return []byte(v), nil
}

func beBytes(n uint64, size int) []byte {
	b := make([]byte, size)
	for i := size - 1; i >= 0; i-- {
		b[i] = byte(n)
		n >>= 8
	}
	return b
}

// ipList parses comma-separated IPv4 addresses.
func ipList(v string) ([]byte, error) {
	var out []byte
	for f := range strings.SplitSeq(v, ",") {
		a, err := netip.ParseAddr(strings.TrimSpace(f))
		if err != nil || !a.Is4() {
			return nil, fmt.Errorf("%q is not an IPv4 address", strings.TrimSpace(f))
		}
		b := a.As4()
		out = append(out, b[:]...)
	}
	return out, nil
}

// hexBytes parses "01:02:ff" or "0102ff".
func hexBytes(v string) ([]byte, error) {
	b, err := hex.DecodeString(strings.ReplaceAll(v, ":", ""))
	if err != nil || len(b) == 0 {
		return nil, fmt.Errorf("want %s", optTypeNames[tHex])
	}
	return b, nil
}

// domainList encodes comma-separated domain names as RFC 1035 labels
// (without compression), as option 119 wants.
func domainList(v string) ([]byte, error) {
	var out []byte
	for f := range strings.SplitSeq(v, ",") {
		name := strings.TrimSuffix(strings.TrimSpace(f), ".")
		if name == "" {
			return nil, errors.New("empty domain name")
		}
		if len(name) > 253 {
			return nil, fmt.Errorf("domain name %.20q... is longer than 253 characters", name)
		}
		for label := range strings.SplitSeq(name, ".") {
			if len(label) == 0 || len(label) > 63 {
				return nil, fmt.Errorf("%q: labels are 1-63 characters", name)
			}
			for i := range len(label) {
				if c := label[i]; c <= ' ' || c >= 0x7f || c == ',' {
					return nil, fmt.Errorf("%q: %q is not allowed in a domain name", name, c)
				}
			}
			out = append(out, byte(len(label)))
			out = append(out, label...)
		}
		out = append(out, 0)
	}
	return out, nil
}

// classlessList parses "dst/len,router,..." pairs into option 121's
// encoding.
func classlessList(v string) ([]byte, error) {
	f := strings.Split(v, ",")
	if len(f)%2 != 0 {
		return nil, fmt.Errorf("want %s: an odd number of fields", optTypeNames[tClassless])
	}
	routes := make([]Route, 0, len(f)/2)
	for i := 0; i < len(f); i += 2 {
		p, err := netip.ParsePrefix(strings.TrimSpace(f[i]))
		if err != nil || !p.Addr().Is4() {
			return nil, fmt.Errorf("%q is not an IPv4 prefix", strings.TrimSpace(f[i]))
		}
		if p != p.Masked() {
			return nil, fmt.Errorf("%q has host bits set (%v)", strings.TrimSpace(f[i]), p.Masked())
		}
		a, err := netip.ParseAddr(strings.TrimSpace(f[i+1]))
		if err != nil || !a.Is4() {
			return nil, fmt.Errorf("%q is not an IPv4 address", strings.TrimSpace(f[i+1]))
		}
		routes = append(routes, Route{Dst: p, Via: a})
	}
	return appendRoutes(nil, routes), nil
}

// checkOption rejects Options that New can't send: ones ParseOption would
// not give.
func checkOption(o Option) error {
	switch {
	case o.Code == 0:
		return errors.New("option 0 is padding")
	case o.Code == OptServerIPAddress && len(o.Value) != 4:
		return fmt.Errorf("server-ip-address (%d) must be 4 bytes, not %d", o.Code, len(o.Value))
	case len(o.Value) > maxOptionLen:
		return fmt.Errorf("option %d is %d bytes long, at most %d", o.Code, len(o.Value), maxOptionLen)
	}
	if d, ok := optByCode[o.Code]; ok && d.typ == tForbidden {
		return fmt.Errorf("option %d (%s) is set by the server", o.Code, d.name)
	}
	return nil
}
