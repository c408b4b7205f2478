package configs

import (
	"net/netip"
	"strings"
)

// Typed fields: each decodes the value of one field and reports it when it
// is bad.

// addr decodes an IP address field; the zero Addr when absent or bad.
func (f *fieldSet) addr(key string) netip.Addr {
	s, ok := f.str(key)
	if !ok {
		return netip.Addr{}
	}
	a, err := parseAddr(s)
	if err != nil {
		f.d.add(f.src.At(key), f.path(key), err.Error())
	}
	return a
}

// addrList decodes a list of IP addresses, one per item (the zero Addr for
// a bad one, so that indexes match the file).
func (f *fieldSet) addrList(key string) []netip.Addr {
	var out []netip.Addr
	for _, it := range f.strList(key) {
		var a netip.Addr
		if it.OK {
			var err error
			if a, err = parseAddr(it.Value); err != nil {
				f.d.add(f.src.At(it.Field), f.path(it.Field), err.Error())
			}
		}
		out = append(out, a)
	}
	return out
}

// prefix decodes a CIDR field; the zero Prefix when absent or bad.
func (f *fieldSet) prefix(key string) netip.Prefix {
	s, ok := f.str(key)
	if !ok {
		return netip.Prefix{}
	}
	p, err := parsePrefix(s)
	if err != nil {
		f.d.add(f.src.At(key), f.path(key), err.Error())
	}
	return p
}

// mac decodes a MAC field; the zero MAC when absent or bad.
func (f *fieldSet) mac(key string) MAC {
	s, ok := f.str(key)
	if !ok {
		return MAC{}
	}
	m, err := ParseMAC(s)
	if err != nil {
		f.d.add(f.src.At(key), f.path(key), err.Error())
	}
	return m
}

// device decodes an interface name field.
func (f *fieldSet) device(key string) string {
	s, ok := f.str(key)
	if !ok {
		return ""
	}
	if err := checkDeviceName(s); err != nil {
		f.d.add(f.src.At(key), f.path(key), err.Error())
	}
	return s
}

// ident decodes the name of a port or an uplink: a required, non-empty name
// that is also usable as an identifier (checkIdentName).
func (f *fieldSet) ident(key string) string {
	s, ok := f.str(key)
	if !ok {
		return s
	}
	if err := checkIdentName(s); err != nil {
		f.d.add(f.src.At(key), f.path(key), err.Error())
	}
	return s
}

// enum decodes a field that takes one of a few words, exactly spelled.
func (f *fieldSet) enum(key string, words []string) (string, bool) {
	s, ok := f.str(key)
	if !ok {
		return "", false
	}
	if !containsString(words, s) {
		f.d.errorf(f.src.At(key), f.path(key), "%q is not one of %s%s", s, strings.Join(words, ", "), didYouMean(s, words))
		return "", false
	}
	return s, true
}
