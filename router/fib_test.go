package router

import (
	"errors"
	"fmt"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var (
	mp = netip.MustParsePrefix
	ma = netip.MustParseAddr
)

// seedRoutes is the seed 002 router: two tenant subnets on qr- ports (1, 2),
// the external network on qg- (0), default via the external gateway, and
// extra routes, one of them ECMP.
func seedRoutes() []Route {
	return []Route{
		{Prefix: mp("172.24.4.0/24"), Interface: 0},
		{Prefix: mp("10.0.0.0/24"), Interface: 1},
		{Prefix: mp("10.0.1.0/24"), Interface: 2},
		{Prefix: mp("0.0.0.0/0"), Gateway: ma("172.24.4.1")},
		{Prefix: mp("192.168.0.0/16"), Gateway: ma("10.0.0.10")},
		{Prefix: mp("192.168.7.0/24"), Gateway: ma("10.0.1.20")},
		{Prefix: mp("198.51.100.0/24"), Gateway: ma("10.0.0.11")},
		{Prefix: mp("198.51.100.0/24"), Gateway: ma("10.0.1.21")},
		{Prefix: mp("198.51.100.0/24"), Gateway: ma("10.0.0.12")},
	}
}

func mustBuild(t testing.TB, routes []Route) *FIB {
	t.Helper()
	f, err := Build(routes)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return f
}

var cmpAddr = cmp.Comparer(func(a, b netip.Addr) bool { return a == b })

func TestFIBLookup(t *testing.T) {
	f := mustBuild(t, seedRoutes())
	tests := []struct {
		dst    string
		want   NextHop
		wantOK bool
	}{
		{"10.0.0.5", NextHop{Interface: 1}, true},
		{"10.0.1.255", NextHop{Interface: 2}, true},
		{"172.24.4.104", NextHop{Interface: 0}, true},
		{"8.8.8.8", NextHop{Interface: 0, Gateway: ma("172.24.4.1")}, true},    // default
		{"192.168.1.1", NextHop{Interface: 1, Gateway: ma("10.0.0.10")}, true}, // /16
		{"192.168.7.1", NextHop{Interface: 2, Gateway: ma("10.0.1.20")}, true}, // longer /24 wins
		{"192.168.8.1", NextHop{Interface: 1, Gateway: ma("10.0.0.10")}, true}, // back to /16
		{"10.0.2.1", NextHop{Interface: 0, Gateway: ma("172.24.4.1")}, true},   // no connected: default
		{"0.0.0.0", NextHop{Interface: 0, Gateway: ma("172.24.4.1")}, true},    // edge
		{"255.255.255.255", NextHop{Interface: 0, Gateway: ma("172.24.4.1")}, true},
	}
	for _, tt := range tests {
		t.Run(tt.dst, func(t *testing.T) {
			got, ok := f.Lookup(ma(tt.dst), 12345)
			if ok != tt.wantOK {
				t.Fatalf("ok = %v, want %v", ok, tt.wantOK)
			}
			if diff := cmp.Diff(tt.want, got, cmpAddr); diff != "" {
				t.Errorf("Lookup(%s) (-want +got):\n%s", tt.dst, diff)
			}
			if got4, _ := f.Lookup4(ma(tt.dst).As4(), 12345); got4 != got {
				t.Errorf("Lookup4 = %+v, Lookup = %+v", got4, got)
			}
		})
	}
}

func TestFIBNoDefault(t *testing.T) {
	f := mustBuild(t, seedRoutes()[:3])
	if h, ok := f.Lookup(ma("8.8.8.8"), 0); ok {
		t.Errorf("Lookup without default = %+v, want no route", h)
	}
	var empty FIBTable
	if _, ok := empty.Lookup(ma("10.0.0.1"), 0); ok {
		t.Error("zero FIBTable found a route")
	}
}

func TestFIBNeighbour(t *testing.T) {
	f := mustBuild(t, seedRoutes())
	dst := ma("10.0.0.5")
	h, _ := f.Lookup(dst, 0)
	if !h.OnLink() || h.Neighbour(dst) != dst {
		t.Errorf("on-link %+v: Neighbour = %v, want %v", h, h.Neighbour(dst), dst)
	}
	h, _ = f.Lookup(ma("8.8.8.8"), 0)
	if h.OnLink() || h.Neighbour(ma("8.8.8.8")) != ma("172.24.4.1") {
		t.Errorf("via %+v: Neighbour = %v", h, h.Neighbour(ma("8.8.8.8")))
	}
}

func TestBuildErrors(t *testing.T) {
	base := seedRoutes()[:3]
	tests := []struct {
		name  string
		extra Route
		want  error
		text  string
	}{
		{"unreachable next hop", Route{Prefix: mp("192.0.2.0/24"), Gateway: ma("10.9.9.9")}, ErrUnreachable, "route 192.0.2.0/24 via 10.9.9.9: next hop is not on a connected route"},
		{"unreachable default", Route{Prefix: mp("0.0.0.0/0"), Gateway: ma("203.0.113.1")}, ErrUnreachable, "route 0.0.0.0/0 via 203.0.113.1"},
		{"invalid prefix", Route{Gateway: ma("10.0.0.1")}, ErrInvalidPrefix, "invalid prefix"},
		{"family", Route{Prefix: mp("192.0.2.0/24"), Gateway: ma("fe80::1")}, ErrFamily, "192.0.2.0/24 via fe80::1"},
		{"duplicate connected", Route{Prefix: mp("10.0.0.0/24"), Interface: 5}, ErrDuplicate, "10.0.0.0/24 dev 5"},
		{"duplicate connected unmasked", Route{Prefix: mp("10.0.0.1/24"), Interface: 5}, ErrDuplicate, "10.0.0.1/24 dev 5"},
		{"connected and via", Route{Prefix: mp("10.0.1.0/24"), Gateway: ma("10.0.0.1")}, ErrConflict, "10.0.1.0/24 via 10.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Build(append(append([]Route(nil), base...), tt.extra))
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if got := err.Error(); !contains(got, tt.text) {
				t.Errorf("error %q does not name the route (%q)", got, tt.text)
			}
		})
	}
	dup := append(seedRoutes(), Route{Prefix: mp("198.51.100.0/24"), Gateway: ma("10.0.0.11")})
	if _, err := Build(dup); !errors.Is(err, ErrDuplicate) {
		t.Errorf("same ECMP member twice: err = %v, want ErrDuplicate", err)
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// TestECMP checks that one flow always takes one path, that flows spread
// over every member about evenly, and that the order routes are given in
// does not change which path a flow takes.
func TestECMP(t *testing.T) {
	f := mustBuild(t, seedRoutes())
	rev := seedRoutes()
	rev[6], rev[8] = rev[8], rev[6]
	g := mustBuild(t, rev)

	counts := map[netip.Addr]int{}
	const flows = 30000
	for i := range flows {
		src := [4]byte{10, 0, byte(i >> 8), byte(i)}
		dst := [4]byte{198, 51, 100, byte(i * 7)}
		h := FlowHash(src, dst, 6, uint16(10000+i), 443)
		a, ok := f.Lookup4(dst, h)
		if !ok {
			t.Fatal("no route")
		}
		for range 3 { // stickiness: same flow, same path, every time
			if b, _ := f.Lookup4(dst, FlowHash(src, dst, 6, uint16(10000+i), 443)); b != a {
				t.Fatalf("flow %d moved from %v to %v", i, a, b)
			}
		}
		if b, _ := g.Lookup4(dst, h); b != a {
			t.Fatalf("flow %d: %v with routes in one order, %v in another", i, a, b)
		}
		counts[a.Gateway]++
	}
	if len(counts) != 3 {
		t.Fatalf("flows used %d paths, want 3: %v", len(counts), counts)
	}
	for gw, n := range counts {
		if n < flows/3*9/10 || n > flows/3*11/10 {
			t.Errorf("path %v got %d of %d flows, want about %d", gw, n, flows, flows/3)
		}
	}
	// Flows differing only in the source port also spread.
	ports := map[netip.Addr]bool{}
	for p := range 64 {
		h, _ := f.Lookup4([4]byte{198, 51, 100, 1}, FlowHash([4]byte{10, 0, 0, 5}, [4]byte{198, 51, 100, 1}, 17, uint16(p), 53))
		ports[h.Gateway] = true
	}
	if len(ports) != 3 {
		t.Errorf("64 source ports used %d paths, want 3", len(ports))
	}
}

func TestFIBIPv6(t *testing.T) {
	f := mustBuild(t, []Route{
		{Prefix: mp("2001:db8:1::/64"), Interface: 1},
		{Prefix: mp("::/0"), Gateway: ma("2001:db8:1::1")},
		{Prefix: mp("10.0.0.0/24"), Interface: 2},
	})
	h, ok := f.Lookup(ma("2001:db8:ffff::1"), 0)
	if !ok || h.Interface != 1 || h.Gateway != ma("2001:db8:1::1") {
		t.Errorf("IPv6 default = %+v, %v", h, ok)
	}
	if _, ok := f.Lookup(ma("8.8.8.8"), 0); ok {
		t.Error("IPv6 default matched an IPv4 address")
	}
}

func TestFIBTableReplace(t *testing.T) {
	var tab FIBTable
	if err := tab.Replace(seedRoutes()); err != nil {
		t.Fatal(err)
	}
	old := tab.Load()
	bad := append(seedRoutes(), Route{Prefix: mp("192.0.2.0/24"), Gateway: ma("1.2.3.4")})
	if err := tab.Replace(bad); err == nil {
		t.Fatal("Replace accepted an unreachable next hop")
	}
	if tab.Load() != old {
		t.Error("a failed Replace changed the FIB in use")
	}
	if diff := cmp.Diff(seedRoutes(), old.Routes(), cmpAddr, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
		t.Errorf("Routes (-want +got):\n%s", diff)
	}
}

func TestFIBLookupAllocs(t *testing.T) {
	f := mustBuild(t, seedRoutes())
	dst := [4]byte{198, 51, 100, 9}
	var sink NextHop
	n := testing.AllocsPerRun(1000, func() {
		sink, _ = f.Lookup4(dst, FlowHash([4]byte{10, 0, 0, 1}, dst, 6, 1, 2))
	})
	if n != 0 {
		t.Errorf("Lookup allocates %v times", n)
	}
	_ = sink
}

// bigRoutes is a table of about n routes: 16 connected /24s, n-17 extra
// routes of lengths 16..32 via gateways on them, every tenth one ECMP, and
// a default.
func bigRoutes(n int) []Route {
	var rs []Route
	for i := range 16 {
		rs = append(rs, Route{Prefix: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 0, byte(i), 0}), 24), Interface: i})
	}
	rs = append(rs, Route{Prefix: mp("0.0.0.0/0"), Gateway: ma("10.0.0.1")})
	for i := 0; len(rs) < n; i++ {
		bitsN := 16 + i%17
		a := netip.AddrFrom4([4]byte{byte(100 + i%100), byte(i * 37), byte(i * 11), byte(i)})
		p := netip.PrefixFrom(a, bitsN).Masked()
		gw := netip.AddrFrom4([4]byte{10, 0, byte(i % 16), byte(2 + i%200)})
		r := Route{Prefix: p, Gateway: gw}
		rs = append(rs, r)
		if i%10 == 0 {
			gw2 := netip.AddrFrom4([4]byte{10, 0, byte((i + 1) % 16), byte(2 + i%200)})
			rs = append(rs, Route{Prefix: p, Gateway: gw2})
		}
	}
	// Drop accidental duplicates of the generator.
	seen := map[string]bool{}
	out := rs[:0]
	for _, r := range rs {
		k := fmt.Sprint(r.Prefix.Masked(), r.Gateway)
		if !seen[k] {
			seen[k] = true
			out = append(out, r)
		}
	}
	return out
}

func BenchmarkFIBLookup1k(b *testing.B) {
	f := mustBuild(b, bigRoutes(1000))
	dsts := make([][4]byte, 1024)
	for i := range dsts {
		dsts[i] = [4]byte{byte(100 + i%100), byte(i * 37), byte(i * 11), byte(i * 3)}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		d := dsts[i&1023]
		f.Lookup4(d, uint32(i)*0x9e3779b9)
	}
}

func BenchmarkFlowHash(b *testing.B) {
	var h uint32
	for i := 0; b.Loop(); i++ {
		h += FlowHash([4]byte{10, 0, 0, byte(i)}, [4]byte{8, 8, 8, 8}, 6, uint16(i), 443)
	}
	_ = h
}
