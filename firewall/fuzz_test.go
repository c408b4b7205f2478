package firewall

import (
	"net/netip"
	"testing"
)

// bytesReader hands out fuzz bytes, then zeros.
type bytesReader []byte

func (r *bytesReader) next() byte {
	if len(*r) == 0 {
		return 0
	}
	b := (*r)[0]
	*r = (*r)[1:]
	return b
}

// fuzzRules makes up to 24 rules from data, with values chosen to collide.
func fuzzRules(data []byte) []Rule {
	protos := []int{-1, 1, 6, 17, 47, 0, 255, 6}
	ports := []int{-1, 0, 1, 21, 22, 23, 80, 255, 256, 1000, 2000, 65534, 65535, 70000, -1, 443}
	bitsOf := []int{0, 1, 8, 15, 16, 17, 23, 24, 25, 28, 30, 31, 32, 32, 24, 16}
	r := bytesReader(data)
	n := int(r.next()) % 25
	rules := make([]Rule, n)
	for i := range rules {
		f := r.next()
		ru := Rule{Group: "fuzz", Index: i, Ingress: f&1 != 0, IPv6: f&0x1e == 0x1e, Protocol: protos[f>>2&7]}
		pb := r.next()
		ru.PortMin, ru.PortMax = ports[pb&15], ports[pb>>4]
		if ru.Protocol == 1 {
			types := []int{-1, 0, 3, 8, 255, 256, 8, 3}
			ru.PortMin, ru.PortMax = types[pb&7], types[pb>>3&7]
			if pb&0x40 != 0 {
				ru.PortMax = int(pb >> 7)
			}
		}
		g := r.next()
		switch {
		case g&0xc0 == 0xc0: // a remote group of /32s
			ru.RemoteGroup = "grp"
			for k := range 14 + int(g&7) {
				ru.Remote = append(ru.Remote, netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 0, byte(g >> 3 & 3), byte(k * 3)}), 32))
			}
		default:
			for range int(g & 3) {
				a, b := r.next(), r.next()
				addr := netip.AddrFrom4([4]byte{10, a >> 6, a >> 4 & 3, b})
				ru.Remote = append(ru.Remote, netip.PrefixFrom(addr, bitsOf[a&15]))
			}
			if g&4 != 0 {
				ru.Remote = append(ru.Remote, netip.MustParsePrefix("::/0"))
			}
		}
		rules[i] = ru
	}
	return rules
}

// probes returns packets on the edges of the rules: their protocols and
// others, the ends of their key ranges, and the first and last addresses
// of their prefixes, with those beside them.
func probes(rules []Rule) []packet {
	protos := []uint8{0, 1, 6, 17, 47, 99}
	keys := []uint16{0, 0xffff}
	addrs := [][4]byte{{10, 0, 0, 0}, {9, 255, 255, 255}, {11, 0, 0, 0}}
	for _, r := range rules {
		if r.Protocol >= 0 && r.Protocol <= 255 {
			protos = append(protos, uint8(r.Protocol))
		}
		for _, k := range []int{r.PortMin, r.PortMax} {
			for _, d := range []int{-1, 0, 1} {
				keys = append(keys, uint16(k+d))
				if r.PortMin >= 0 {
					keys = append(keys, uint16(r.PortMin<<8|(k+d)&0xff))
				}
			}
		}
		for _, p := range r.Remote {
			if !p.Addr().Is4() {
				continue
			}
			first := p.Masked().Addr()
			a := first.As4()
			x := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
			last := x | ^uint32(0)>>p.Bits()
			if p.Bits() == 0 {
				last = ^uint32(0)
			}
			for _, v := range []uint32{x - 1, x, x + 1, last - 1, last, last + 1} {
				addrs = append(addrs, [4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
			}
		}
	}
	keys = dedupe(keys)
	addrs = dedupe(addrs)
	// Every address with every key, protocols and directions taking
	// turns; when that is too many, an even sample of them.
	const most = 20000
	total := len(addrs) * len(keys)
	step := total/most + 1
	var ps []packet
	for n := 0; n < total; n += step {
		i, j := n/len(keys), n%len(keys)
		ps = append(ps, packet{n&1 == 0, protos[(i+j)%len(protos)], addrs[i], keys[j]})
		ps = append(ps, packet{n&1 != 0, protos[(i*7+j*3+1)%len(protos)], addrs[i], keys[j]})
	}
	return ps
}

func dedupe[T comparable](xs []T) []T {
	seen := make(map[T]bool, len(xs))
	out := xs[:0]
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

func FuzzMatch(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{3, 0x19, 0x21, 0x01, 0x40, 7, 0x0d, 0x00, 0xc3, 0x05, 0x02, 0x41, 0x12, 0x80, 0x0c})
	f.Add([]byte{6, 1, 0, 0xc7, 5, 0x11, 2, 0x44, 8, 0x03, 0x19, 0x3c, 0x42, 0x20, 0x0e, 0x03, 0xff, 0x9a, 0x8d, 0x22, 0x11})
	f.Add([]byte("\x10security groups, rules only allow, first match takes the packet"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rules := fuzzRules(data)
		s, err := Compile(rules)
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Rules()) != len(rules) {
			t.Fatalf("Rules() has %d rules, want %d", len(s.Rules()), len(rules))
		}
		for _, p := range probes(rules) {
			checkAgainstNaive(t, rules, s, p)
		}
	})
}
