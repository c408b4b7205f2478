package firewall

import "testing"

func TestRuleString(t *testing.T) {
	v6 := in(58, 135, -1, "::/0")
	v6.IPv6 = true
	grp := in(icmp, 8, 0, "10.0.0.1/32", "10.0.0.2/32")
	grp.RemoteGroup = "default"
	empty := in(tcp, 22, 22, []string{}...)
	empty.RemoteGroup = "admins"
	tests := []struct {
		r    Rule
		want string
	}{
		{in(tcp, 22, 22), "tcp dpt:22 from 0.0.0.0/0"},
		{in(tcp, 80, -1), "tcp dpt:80 from 0.0.0.0/0"},
		{out(udp, 1000, 2000, "10.0.0.0/8", "192.168.0.0/16"), "udp dpts:1000:2000 to 10.0.0.0/8,192.168.0.0/16"},
		{out(-1, -1, -1), "any to 0.0.0.0/0"},
		{in(tcp, -1, -1), "tcp from 0.0.0.0/0"},
		{grp, "icmp type 8 code 0 from group default"},
		{in(icmp, 3, -1), "icmp type 3 from 0.0.0.0/0"},
		{in(icmp, -1, -1), "icmp from 0.0.0.0/0"},
		{v6, "IPv6 ipv6-icmp type 135 from ::/0"},
		{empty, "tcp dpt:22 from group admins (no members)"},
		{in(gre, -1, -1, []string{}...), "gre from no address"},
		{in(253, -1, -1, "1.2.3.4/32"), "253 from 1.2.3.4/32"},
		{out(udp, 53, 53, "10.0.0.1/32", "10.0.0.2/32", "10.0.0.3/32", "10.0.0.4/32", "10.0.0.5/32", "10.0.0.6/32"),
			"udp dpt:53 to 10.0.0.1/32,10.0.0.2/32,10.0.0.3/32,10.0.0.4/32 and 2 more"},
	}
	for _, tt := range tests {
		if got := tt.r.String(); got != tt.want {
			t.Errorf("%+v: got %q, want %q", tt.r, got, tt.want)
		}
	}
}
