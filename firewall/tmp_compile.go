package firewall

import "net/netip"

type Set struct{ rules []Rule }
type Matcher struct {
	s  *Set
	in bool
}

func Compile(rules []Rule) (*Set, error) { return &Set{rules: rules}, nil }
func (s *Set) Rules() []Rule         { return s.rules }
func (s *Set) Ingress() *Matcher     { return &Matcher{s, true} }
func (s *Set) Egress() *Matcher      { return &Matcher{s, false} }
func (m *Matcher) Match(proto uint8, remote netip.Addr, key uint16) (int, bool) {
	for i, r := range m.s.rules {
		if r.Ingress != m.in || r.IPv6 {
			continue
		}
		if r.Protocol >= 0 && r.Protocol != int(proto) {
			continue
		}
		ok := false
		for _, p := range r.Remote {
			if p.Contains(remote) {
				ok = true
			}
		}
		if !ok {
			continue
		}
		if r.Protocol == 1 {
			if r.PortMin >= 0 && int(key>>8) != r.PortMin {
				continue
			}
			if r.PortMax >= 0 && int(key&0xff) != r.PortMax {
				continue
			}
		} else if r.PortMin >= 0 && (int(key) < r.PortMin || int(key) > r.PortMax) {
			continue
		}
		return i, true
	}
	return 0, false
}
func (r Rule) String() string { return r.Group }
