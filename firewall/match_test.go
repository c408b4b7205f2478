package firewall

import (
	"net/netip"
	"testing"
)

const (
	tcp  = 6
	udp  = 17
	icmp = 1
	gre  = 47
)

// in and out make ingress and egress rules from 0.0.0.0/0 unless remote
// prefixes are given.
func in(proto, pmin, pmax int, remote ...string) Rule {
	return mkRule(true, proto, pmin, pmax, remote)
}

func out(proto, pmin, pmax int, remote ...string) Rule {
	return mkRule(false, proto, pmin, pmax, remote)
}

func mkRule(ingress bool, proto, pmin, pmax int, remote []string) Rule {
	if remote == nil {
		remote = []string{"0.0.0.0/0"}
	}
	r := Rule{Group: "test", Ingress: ingress, Protocol: proto, PortMin: pmin, PortMax: pmax, Remote: []netip.Prefix{}}
	for _, s := range remote {
		r.Remote = append(r.Remote, netip.MustParsePrefix(s))
	}
	return r
}

// probe is a packet and the rule that must take it (-1: none).
type probe struct {
	ingress bool
	proto   uint8
	remote  string
	key     uint16
	want    int
}

func ping(t, c int) uint16 { return uint16(t<<8 | c) }

func TestMatch(t *testing.T) {
	const any = -1
	group := []string{"10.0.0.5/32", "10.0.0.6/32", "192.168.7.0/24"}
	tests := []struct {
		name   string
		rules  []Rule
		probes []probe
	}{
		{"no rules", nil, []probe{
			{true, tcp, "1.2.3.4", 22, -1},
			{false, udp, "1.2.3.4", 53, -1},
			{true, 0, "0.0.0.0", 0, -1},
		}},
		{"any protocol", []Rule{in(any, -1, -1)}, []probe{
			{true, tcp, "1.2.3.4", 22, 0},
			{true, udp, "8.8.8.8", 0, 0},
			{true, icmp, "8.8.8.8", ping(8, 0), 0},
			{true, gre, "8.8.8.8", 0, 0},
			{true, 255, "255.255.255.255", 0xffff, 0},
			{false, tcp, "1.2.3.4", 22, -1},
		}},
		{"tcp without range is all tcp ports", []Rule{in(tcp, -1, -1)}, []probe{
			{true, tcp, "1.2.3.4", 0, 0},
			{true, tcp, "1.2.3.4", 65535, 0},
			{true, udp, "1.2.3.4", 22, -1},
			{true, icmp, "1.2.3.4", 0, -1},
		}},
		{"tcp ranges", []Rule{in(tcp, 22, 22), in(tcp, 1000, 2000), in(tcp, 65535, 65535)}, []probe{
			{true, tcp, "1.2.3.4", 21, -1},
			{true, tcp, "1.2.3.4", 22, 0},
			{true, tcp, "1.2.3.4", 23, -1},
			{true, tcp, "1.2.3.4", 999, -1},
			{true, tcp, "1.2.3.4", 1000, 1},
			{true, tcp, "1.2.3.4", 1500, 1},
			{true, tcp, "1.2.3.4", 2000, 1},
			{true, tcp, "1.2.3.4", 2001, -1},
			{true, tcp, "1.2.3.4", 65534, -1},
			{true, tcp, "1.2.3.4", 65535, 2},
		}},
		{"lone port_range_min is one port", []Rule{in(tcp, 80, -1)}, []probe{
			{true, tcp, "1.2.3.4", 80, 0},
			{true, tcp, "1.2.3.4", 81, -1},
		}},
		{"overlapping ranges, first match", []Rule{in(tcp, 100, 200), in(tcp, 150, 300), in(tcp, 120, 130), in(any, -1, -1, "10.0.0.0/8")}, []probe{
			{true, tcp, "1.2.3.4", 99, -1},
			{true, tcp, "1.2.3.4", 125, 0},
			{true, tcp, "1.2.3.4", 160, 0},
			{true, tcp, "1.2.3.4", 250, 1},
			{true, tcp, "1.2.3.4", 301, -1},
			{true, tcp, "10.1.1.1", 301, 3},
			{true, tcp, "10.1.1.1", 125, 0},
		}},
		{"later narrower range never first", []Rule{in(tcp, 1, 65535), in(tcp, 22, 22)}, []probe{
			{true, tcp, "1.2.3.4", 22, 0},
		}},
		{"udp and tcp apart", []Rule{in(udp, 53, 53), in(tcp, 80, 80)}, []probe{
			{true, udp, "1.2.3.4", 53, 0},
			{true, tcp, "1.2.3.4", 53, -1},
			{true, tcp, "1.2.3.4", 80, 1},
			{true, udp, "1.2.3.4", 80, -1},
		}},
		{"icmp type, type and code, any", []Rule{in(icmp, 8, 0), in(icmp, 3, -1), in(icmp, -1, -1, "10.0.0.0/8")}, []probe{
			{true, icmp, "1.2.3.4", ping(8, 0), 0},
			{true, icmp, "1.2.3.4", ping(8, 1), -1},
			{true, icmp, "1.2.3.4", ping(0, 0), -1},
			{true, icmp, "1.2.3.4", ping(3, 0), 1},
			{true, icmp, "1.2.3.4", ping(3, 4), 1},
			{true, icmp, "1.2.3.4", ping(3, 255), 1},
			{true, icmp, "1.2.3.4", ping(4, 0), -1},
			{true, icmp, "10.9.9.9", ping(0, 0), 2},
			{true, icmp, "10.9.9.9", ping(8, 0), 0},
			{true, icmp, "10.9.9.9", 0xffff, 2},
			{true, tcp, "10.9.9.9", ping(8, 0), -1},
		}},
		{"nested prefixes, wider first", []Rule{in(tcp, -1, -1, "10.0.0.0/8"), in(tcp, -1, -1, "10.1.0.0/16")}, []probe{
			{true, tcp, "10.1.2.3", 22, 0},
			{true, tcp, "10.2.0.1", 22, 0},
			{true, tcp, "11.0.0.1", 22, -1},
		}},
		{"nested prefixes, narrower first", []Rule{in(tcp, -1, -1, "10.1.0.0/16"), in(tcp, -1, -1, "10.0.0.0/8")}, []probe{
			{true, tcp, "10.1.2.3", 22, 0},
			{true, tcp, "10.2.0.1", 22, 1},
			{true, tcp, "9.255.255.255", 22, -1},
		}},
		{"nested three deep", []Rule{in(tcp, -1, -1, "10.1.2.0/24"), in(tcp, -1, -1, "0.0.0.0/0"), in(tcp, -1, -1, "10.1.0.0/16")}, []probe{
			{true, tcp, "10.1.2.3", 22, 0},
			{true, tcp, "10.1.3.3", 22, 1},
			{true, tcp, "1.1.1.1", 22, 1},
		}},
		{"remote group", []Rule{in(tcp, 22, 22, group...), in(any, -1, -1, "192.168.0.0/16")}, []probe{
			{true, tcp, "10.0.0.5", 22, 0},
			{true, tcp, "10.0.0.6", 22, 0},
			{true, tcp, "10.0.0.7", 22, -1},
			{true, tcp, "192.168.7.200", 22, 0},
			{true, tcp, "192.168.8.1", 22, 1},
			{true, tcp, "10.0.0.5", 23, -1},
		}},
		{"empty remote group matches nothing", []Rule{in(tcp, 22, 22, []string{}...), in(udp, -1, -1, "::/0")}, []probe{
			{true, tcp, "10.0.0.5", 22, -1},
			{true, tcp, "0.0.0.0", 22, -1},
			{true, udp, "1.1.1.1", 53, -1},
		}},
		{"IPv6 prefixes ignored", []Rule{in(tcp, 22, 22, "::/0", "10.0.0.0/8", "::ffff:0.0.0.0/96")}, []probe{
			{true, tcp, "10.0.0.5", 22, 0},
			{true, tcp, "11.0.0.5", 22, -1},
		}},
		{"ingress and egress apart", []Rule{in(tcp, 22, 22), out(udp, 53, 53), out(any, -1, -1, "10.0.0.0/8")}, []probe{
			{true, tcp, "1.1.1.1", 22, 0},
			{false, tcp, "1.1.1.1", 22, -1},
			{false, udp, "1.1.1.1", 53, 1},
			{true, udp, "1.1.1.1", 53, -1},
			{false, tcp, "10.1.1.1", 22, 2},
			{true, tcp, "10.1.1.1", 23, -1},
		}},
		{"unnamed protocols only match any", []Rule{in(tcp, -1, -1), in(any, -1, -1, "10.0.0.0/8"), in(udp, -1, -1)}, []probe{
			{true, gre, "10.1.1.1", 0, 1},
			{true, gre, "11.1.1.1", 0, -1},
			{true, 0, "10.1.1.1", 0, 1},
			{true, tcp, "10.1.1.1", 0, 0},
			{true, udp, "10.1.1.1", 0, 1},
			{true, udp, "11.1.1.1", 0, 2},
		}},
		{"ports on a protocol without ports are ignored", []Rule{in(gre, 5, 10), in(any, 5, 10, "10.0.0.0/8")}, []probe{
			{true, gre, "1.1.1.1", 0, 0},
			{true, tcp, "10.1.1.1", 80, 1},
		}},
		{"unmatchable rules", []Rule{in(tcp, 30, 20), in(icmp, 300, -1), in(icmp, 8, 256), in(256, -1, -1), in(-2, -1, -1), in(tcp, 70000, 80000)}, []probe{
			{true, tcp, "1.1.1.1", 25, -1},
			{true, icmp, "1.1.1.1", ping(8, 0), -1},
			{true, 0, "1.1.1.1", 0, -1},
			{true, 255, "1.1.1.1", 0, -1},
		}},
		{"port range beyond 65535 cut off", []Rule{in(udp, 65000, 70000)}, []probe{
			{true, udp, "1.1.1.1", 65535, 0},
			{true, udp, "1.1.1.1", 64999, -1},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Compile(tt.rules)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range tt.probes {
				m := s.Egress()
				if p.ingress {
					m = s.Ingress()
				}
				a := netip.MustParseAddr(p.remote).As4()
				id, ok := m.Match(p.proto, a, p.key)
				if want := p.want; id != want || ok != (want >= 0) {
					t.Errorf("%+v: got %d %v, want %d", p, id, ok, want)
				}
			}
		})
	}
}

func TestIPv6RulesNeverMatch(t *testing.T) {
	rules := []Rule{in(-1, -1, -1, "0.0.0.0/0", "::/0"), out(tcp, -1, -1, "0.0.0.0/0")}
	rules[0].IPv6 = true
	rules[1].IPv6 = true
	s, err := Compile(rules)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Rules()) != 2 {
		t.Fatalf("Rules() has %d rules, want 2", len(s.Rules()))
	}
	for _, m := range []*Matcher{s.Ingress(), s.Egress()} {
		if id, ok := m.Match(tcp, [4]byte{1, 2, 3, 4}, 22); ok {
			t.Errorf("IPv6 rule %d matched an IPv4 packet", id)
		}
	}
}

func TestRulesCopied(t *testing.T) {
	rules := []Rule{in(tcp, 22, 22, "10.0.0.0/8")}
	s, err := Compile(rules)
	if err != nil {
		t.Fatal(err)
	}
	rules[0].Remote[0] = netip.MustParsePrefix("0.0.0.0/0")
	got := s.Rules()
	if got[0].Remote[0].String() != "10.0.0.0/8" {
		t.Errorf("Rules() changed with the caller's slice: %v", got[0].Remote)
	}
	got[0].Protocol = 17
	if s.Rules()[0].Protocol != tcp {
		t.Errorf("Rules() returned the Set's own slice")
	}
}

func TestMatchAllocs(t *testing.T) {
	s, err := Compile(realisticRules(1000, 1))
	if err != nil {
		t.Fatal(err)
	}
	ps := packets(256, 2)
	m := s.Ingress()
	i := 0
	n := testing.AllocsPerRun(1000, func() {
		p := ps[i%len(ps)]
		m.Match(p.proto, p.remote, p.key)
		i++
	})
	if n != 0 {
		t.Errorf("Match allocates %v times per call, want 0", n)
	}
}
