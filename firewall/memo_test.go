package firewall

import (
	"net/netip"
	"testing"
)

func TestMemo(t *testing.T) {
	any4 := []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0")}
	rules := func(remote []netip.Prefix, port int) []Rule {
		return []Rule{
			{Group: "web", Index: 0, Ingress: true, Protocol: 6, PortMin: port, PortMax: port, Remote: any4},
			{Group: "web", Index: 1, Ingress: true, Protocol: 17, PortMin: 5000, PortMax: 5000, Remote: remote, RemoteGroup: "app"},
			{Group: "web", Index: 2, Protocol: -1, PortMin: -1, PortMax: -1, Remote: any4},
		}
	}
	members := []netip.Prefix{netip.MustParsePrefix("10.0.0.1/32"), netip.MustParsePrefix("10.0.0.2/32")}
	var m Memo
	a, err := m.Compile(rules(members, 80))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := m.Compile(rules(append([]netip.Prefix(nil), members...), 80))
	if a != b {
		t.Errorf("equal rules compiled twice")
	}
	for name, other := range map[string][]Rule{
		"another port":     rules(members, 81),
		"another member":   rules(members[:1], 80),
		"a prefix's bits":  rules([]netip.Prefix{members[0], netip.MustParsePrefix("10.0.0.2/31")}, 80),
		"no member at all": rules(nil, 80),
	} {
		c, err := m.Compile(other)
		if err != nil {
			t.Fatal(err)
		}
		if c == a {
			t.Errorf("%s: the Set of other rules", name)
		}
		if got, want := c.Rules(), other; len(got) != len(want) || len(got[1].Remote) != len(want[1].Remote) {
			t.Errorf("%s: the Set's rules are not those compiled: %v", name, got)
		}
	}
}
