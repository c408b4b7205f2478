package firewall

import (
	"math/rand/v2"
	"net/netip"
	"runtime"
	"strconv"
	"testing"
)

// groupMembers returns n /32 addresses, those of a remote group's ports.
func groupMembers(n int) []netip.Prefix {
	ps := make([]netip.Prefix, n)
	for i := range ps {
		a := netip.AddrFrom4([4]byte{10, byte(i >> 14), byte(i >> 6), byte(i<<2 | 1)})
		ps[i] = netip.PrefixFrom(a, 32)
	}
	return ps
}

// realisticRules returns n rules like a port's with a default group and a
// few user groups: any protocol from the default group's 300 members,
// egress to anywhere, then tcp and udp ports and ranges, icmp, from
// anywhere, from CIDRs and from the default group.
func realisticRules(n int, seed uint64) []Rule {
	rng := rand.New(rand.NewPCG(seed, 7))
	members := groupMembers(300)
	anyv4 := []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0")}
	common := []int{22, 80, 443, 53, 3306, 5432, 6379, 8080, 8443, 9090, 25, 110, 143, 993, 995}
	cidr := func() []netip.Prefix {
		bases := [][4]byte{{10, 0, 0, 0}, {172, 16, 0, 0}, {192, 168, 0, 0}, {100, 64, 0, 0}}
		a := bases[rng.IntN(len(bases))]
		a[1] += byte(rng.IntN(16))
		a[2] = byte(rng.IntN(256))
		return []netip.Prefix{netip.PrefixFrom(netip.AddrFrom4(a), 16+rng.IntN(13)).Masked()}
	}
	port := func() int {
		if rng.IntN(3) == 0 {
			return common[rng.IntN(len(common))]
		}
		return 1 + rng.IntN(65535)
	}
	rules := []Rule{
		{Group: "default", Index: 0, Ingress: true, Protocol: -1, PortMin: -1, PortMax: -1, Remote: members, RemoteGroup: "default"},
		{Group: "default", Index: 1, Protocol: -1, PortMin: -1, PortMax: -1, Remote: anyv4},
		{Group: "default", Index: 2, IPv6: true, Protocol: -1, PortMin: -1, PortMax: -1, Remote: []netip.Prefix{netip.MustParsePrefix("::/0")}},
	}
	for i := len(rules); i < n; i++ {
		r := Rule{Group: "web", Index: i, Ingress: rng.IntN(10) != 0, PortMin: -1, PortMax: -1, Remote: anyv4}
		if rng.IntN(2) == 0 {
			r.Remote = cidr()
		}
		switch k := rng.IntN(100); {
		case k < 45:
			r.Protocol = 6
			r.PortMin = port()
			r.PortMax = r.PortMin
		case k < 60:
			r.Protocol = 6
			r.PortMin = 1 + rng.IntN(60000)
			r.PortMax = r.PortMin + rng.IntN(5000)
		case k < 75:
			r.Protocol = 17
			r.PortMin = port()
			r.PortMax = r.PortMin + rng.IntN(2)*rng.IntN(1000)
		case k < 85:
			r.Protocol = 1
			types := []int{-1, 0, 3, 8, 11}
			r.PortMin = types[rng.IntN(len(types))]
			if r.PortMin >= 0 && rng.IntN(2) == 0 {
				r.PortMax = rng.IntN(16)
			}
		case k < 92:
			r.Protocol = 6
			r.PortMin = port()
			r.PortMax = r.PortMin
			r.Remote, r.RemoteGroup = members, "default"
		default:
			r.Protocol = -1
			r.Remote = cidr()
		}
		rules = append(rules, r)
	}
	return rules[:n]
}

// packets returns n ingress packets of a busy port: mostly tcp and udp to
// common and random ports, some icmp and gre, from group members, private
// networks and anywhere.
func packets(n int, seed uint64) []packet {
	rng := rand.New(rand.NewPCG(seed, 9))
	members := groupMembers(300)
	common := []uint16{22, 80, 443, 53, 3306, 5432, 8080, 123, 5000}
	ps := make([]packet, n)
	for i := range ps {
		p := packet{ingress: true}
		switch k := rng.IntN(10); {
		case k < 6:
			p.proto = 6
		case k < 8:
			p.proto = 17
		case k < 9:
			p.proto = 1
		default:
			p.proto = 47
		}
		switch {
		case p.proto == 1:
			p.key = uint16(rng.IntN(12))<<8 | uint16(rng.IntN(4))
		case p.proto == 47:
		case rng.IntN(2) == 0:
			p.key = common[rng.IntN(len(common))]
		default:
			p.key = uint16(rng.IntN(65536))
		}
		switch rng.IntN(3) {
		case 0:
			p.remote = members[rng.IntN(len(members))].Addr().As4()
		case 1:
			p.remote = [4]byte{10, byte(rng.IntN(16)), byte(rng.IntN(256)), byte(rng.IntN(256))}
		default:
			p.remote = [4]byte{byte(1 + rng.IntN(223)), byte(rng.IntN(256)), byte(rng.IntN(256)), byte(rng.IntN(256))}
		}
		ps[i] = p
	}
	return ps
}

func BenchmarkMatch(b *testing.B) {
	for _, n := range []int{10, 1000} {
		b.Run(strconv.Itoa(n)+"rules", func(b *testing.B) {
			s, err := Compile(realisticRules(n, 1))
			if err != nil {
				b.Fatal(err)
			}
			ps := packets(4096, 2)
			m := s.Ingress()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				p := &ps[i&4095]
				m.Match(p.proto, p.remote, p.key)
				i++
			}
		})
	}
}

func BenchmarkCompile1000(b *testing.B) {
	rules := realisticRules(1000, 1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(rules); err != nil {
			b.Fatal(err)
		}
	}
}

// heapAfter returns the bytes in use on the heap after a collection.
func heapAfter() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestMemoryBigGroup checks what a port costs whose default group has
// 5000 members, with ssh from another group of 5000 and a hundred port
// rules cutting tcp into pieces: the groups' addresses must be stored once
// per distinct set of group rules, not once per port interval.
func TestMemoryBigGroup(t *testing.T) {
	members := groupMembers(5000)
	admins := groupMembers(5000)
	for i, p := range admins {
		a := p.Addr().As4()
		a[0] = 11
		admins[i] = netip.PrefixFrom(netip.AddrFrom4(a), 32)
	}
	rules := []Rule{
		{Group: "default", Ingress: true, Protocol: -1, PortMin: -1, PortMax: -1, Remote: members, RemoteGroup: "default"},
		{Group: "default", Index: 1, Ingress: true, Protocol: 6, PortMin: 22, PortMax: 22, Remote: admins, RemoteGroup: "admins"},
		{Group: "default", Index: 2, Ingress: true, Protocol: 6, PortMin: 22, PortMax: 22, Remote: members, RemoteGroup: "default"},
	}
	for i := range 100 {
		rules = append(rules, Rule{Group: "web", Index: i, Ingress: true, Protocol: 6, PortMin: 1000 + 10*i, PortMax: 1000 + 10*i,
			Remote: []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0")}})
	}
	before := heapAfter()
	s, err := Compile(rules)
	if err != nil {
		t.Fatal(err)
	}
	used := heapAfter() - before
	// Rule 0's group alone (for all but tcp 22), and with rule 1's (tcp
	// 22; rule 2 adds nothing: rule 0 has its prefixes), and 0.0.0.0/0 for
	// each port rule.
	if s.Entries() > 3*5000+100 {
		t.Errorf("%d prefix entries, want 15100", s.Entries())
	}
	const limit = 8 << 20
	if used > limit {
		t.Errorf("the Set takes %d bytes, more than %d", used, limit)
	}
	t.Logf("5000 members: %d entries, %d bytes", s.Entries(), used)
	for _, p := range []struct {
		remote netip.Prefix
		port   uint16
		want   int
	}{
		{members[4999], 1990, 0},
		{members[0], 22, 0},
		{admins[17], 22, 1},
		{admins[17], 23, -1},
		{admins[17], 1990, 102},
	} {
		id, _ := s.Ingress().Match(6, p.remote.Addr().As4(), p.port)
		if id != p.want {
			t.Errorf("tcp port %d from %s matches rule %d, want %d", p.port, p.remote, id, p.want)
		}
	}
	runtime.KeepAlive(s)
}
