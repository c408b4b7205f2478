package firewall

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

// distinctGroup returns n /32 addresses, different for each g.
func distinctGroup(g, n int) []netip.Prefix {
	ps := make([]netip.Prefix, n)
	for i := range ps {
		a := netip.AddrFrom4([4]byte{byte(20 + g/64), byte(g % 64 * 4), byte(i >> 8), byte(i)})
		ps[i] = netip.PrefixFrom(a, 32)
	}
	return ps
}

func TestCompileTooLarge(t *testing.T) {
	// 300 ports, each from its own group of 4000: 1.2 million entries.
	var rules []Rule
	for g := range 300 {
		rules = append(rules, Rule{Group: "many", Index: g, Ingress: true, Protocol: 6, PortMin: 1000 + g, PortMax: 1000 + g,
			Remote: distinctGroup(g, 4000), RemoteGroup: "g" + itoa(g)})
	}
	s, err := Compile(rules)
	if !errors.Is(err, ErrTooLarge) || s != nil {
		t.Fatalf("Compile gives %v, %v; want ErrTooLarge", s, err)
	}
	want := "rules compile to 1200000 prefix entries, more than 1048576: too many remote addresses"
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q, want it to begin %q", err, want)
	}
	t.Log(err)

	// Under the limit: 250 of them.
	if s, err := Compile(rules[:250]); err != nil || s.Entries() != 1000000 {
		t.Errorf("250 groups of 4000: Compile gives %v entries, %v", s.Entries(), err)
	}
}

// TestGroupInManyRules checks that rules alike but for their ports share
// the table of their remote group.
func TestGroupInManyRules(t *testing.T) {
	members := groupMembers(5000)
	var rules []Rule
	for i := range 200 {
		rules = append(rules, Rule{Group: "web", Index: i, Ingress: true, Protocol: 6, PortMin: 1000 + 7*i, PortMax: 1003 + 7*i,
			Remote: members, RemoteGroup: "default"})
	}
	s, err := Compile(rules)
	if err != nil {
		t.Fatal(err)
	}
	if s.Entries() != 5000 {
		t.Errorf("%d entries, want 5000", s.Entries())
	}
	for i := range 200 {
		id, ok := s.Ingress().Match(6, members[i*13].Addr().As4(), uint16(1002+7*i))
		if id != i || !ok {
			t.Errorf("port %d: rule %d %v, want %d", 1002+7*i, id, ok, i)
		}
	}
	if _, ok := s.Ingress().Match(6, members[0].Addr().As4(), 1004); ok {
		t.Errorf("port 1004 matches")
	}
}
