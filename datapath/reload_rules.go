package datapath

import (
	"bytes"
	"slices"

	"neutrino/firewall"
)

// A reload compares every filtered port's rules before and after: with a
// remote group, a port's rules list every member's address, so the
// comparisons are typed (no reflection) and a port whose rules are
// unchanged takes over the running compiled Set, making the later ones
// (the diff, the filter's, the connections' recheck) a pointer's.

// keepRuleSets gives each filtered port of s whose compiled rules equal
// those it has in old the Set of old, so the port's filter goes on with
// it. It follows keepZones, whose copies of the SecuritySpecs it changes.
func (s *Spec) keepRuleSets(old *Spec) {
	was := make(map[string]*firewall.Set, len(old.Ports))
	for _, p := range old.Ports {
		if p.Security != nil && p.Security.Rules != nil {
			was[p.Name] = p.Security.Rules
		}
	}
	for i := range s.Ports {
		sec := s.Ports[i].Security
		if sec == nil || sec.Rules == nil {
			continue
		}
		if set := was[s.Ports[i].Name]; set != nil && sameRules(set, sec.Rules) {
			sec.Rules = set
		}
	}
}

// sameSecurity reports whether two ports' filtering is the same: the
// same zone, groups, address pairs and compiled rules.
func sameSecurity(a, b *SecuritySpec) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.Zone != b.Zone || a.Stateful != b.Stateful || !slices.Equal(a.Groups, b.Groups) || !slices.EqualFunc(a.Pairs, b.Pairs, samePair) {
		return false
	}
	return sameRules(a.Rules, b.Rules)
}

func samePair(a, b AddressPair) bool { return bytes.Equal(a.MAC, b.MAC) && a.Prefix == b.Prefix }

// sameRules reports whether two Sets were compiled from the same rules.
func sameRules(a, b *firewall.Set) bool {
	if a == b {
		return true
	}
	if a == nil || b == nil {
		return false
	}
	return slices.EqualFunc(a.Rules(), b.Rules(), sameRule)
}

func sameRule(a, b firewall.Rule) bool {
	return a.Group == b.Group && a.Index == b.Index && a.Ingress == b.Ingress && a.IPv6 == b.IPv6 &&
		a.Protocol == b.Protocol && a.PortMin == b.PortMin && a.PortMax == b.PortMax &&
		a.RemoteGroup == b.RemoteGroup && slices.Equal(a.Remote, b.Remote)
}
