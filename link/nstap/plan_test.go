package nstap

import (
	"net"
	"net/netip"
	"testing"
)

func TestPlanString(t *testing.T) {
	p := Plan{
		Namespace: "lab", Reuse: true, IfName: "eth0", MAC: net.HardwareAddr{0xfa, 0x16, 0x3e, 0, 0, 1}, MTU: 1450,
		Addrs:  []netip.Prefix{netip.MustParsePrefix("10.0.0.11/24")},
		Routes: []Route{{Dst: netip.MustParsePrefix("0.0.0.0/0"), Via: netip.MustParseAddr("10.0.0.1")}},
		Notes:  []string{"a note"},
	}
	want := `use namespace lab (or create it)
tap eth0 in lab: address fa:16:3e:00:00:01 mtu 1450, up; lo up
ip -n lab addr add 10.0.0.11/24 dev eth0
ip -n lab route add default via 10.0.0.1 dev eth0
# a note
`
	if got := p.String(); got != want {
		t.Errorf("plan:\n%s\nwant:\n%s", got, want)
	}
}

func TestPrefixNet(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"10.0.0.11/24", "10.0.0.11/24"},
		{"0.0.0.0/0", "0.0.0.0/0"},
		{"2001:db8::5/64", "2001:db8::5/64"},
	} {
		if got := prefixNet(netip.MustParsePrefix(tc.in)).String(); got != tc.want {
			t.Errorf("prefixNet(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestTempName(t *testing.T) {
	a, err := tempName()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := tempName()
	if len(a) > 15 || a == b {
		t.Errorf("tempName = %q, %q: want distinct names of at most 15 bytes", a, b)
	}
}
