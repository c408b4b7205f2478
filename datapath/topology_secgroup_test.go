package datapath

import (
	"fmt"
	"net/netip"
	"testing"
)

func TestRangePrefixes(t *testing.T) {
	for _, tc := range []struct{ a, b, want string }{
		{"10.0.0.100", "10.0.0.199", "[10.0.0.100/30 10.0.0.104/29 10.0.0.112/28 10.0.0.128/26 10.0.0.192/29]"},
		{"10.0.0.0", "10.0.0.255", "[10.0.0.0/24]"},
		{"10.0.0.5", "10.0.0.5", "[10.0.0.5/32]"},
		{"0.0.0.0", "255.255.255.255", "[0.0.0.0/0]"},
		{"255.255.255.254", "255.255.255.255", "[255.255.255.254/31]"},
	} {
		got := fmt.Sprint(rangePrefixes(netip.MustParseAddr(tc.a), netip.MustParseAddr(tc.b)))
		if got != tc.want {
			t.Errorf("%s-%s: %s, want %s", tc.a, tc.b, got, tc.want)
		}
	}
}
