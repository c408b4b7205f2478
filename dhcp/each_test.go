package dhcp

import "testing"

// Each visits every live lease once, across chunks, and stops when told.
func TestLeasesEach(t *testing.T) {
	cfg := Config{Network: "big", ServerMAC: srvMAC, Subnets: []Subnet{{
		Name: "big", CIDR: prefix("10.50.0.0/16"), Gateway: ip("10.50.0.1"), ServerIP: ip("10.50.0.2"),
		Pool: &Range{ip("10.50.1.0"), ip("10.50.3.255")},
	}}}
	s, l := newServer(t, cfg)
	const n = 2*eachChunk + 50 // several chunks
	for i := 0; i < n; i++ {
		mac := MAC{0x52, 0x54, 0, 0, byte(i >> 8), byte(i)}
		dora(t, s, Client{Port: 1, PortName: "p1", Trusted: true, SrcMAC: mac}, 1)
	}
	seen := map[MAC]bool{}
	l.Each(2, func(li LeaseInfo) bool {
		if seen[li.MAC] {
			t.Errorf("%s seen twice", li.MAC)
		}
		seen[li.MAC] = true
		return true
	})
	if len(seen) != n || len(l.List(2)) != n {
		t.Fatalf("Each saw %d leases, List %d, want %d", len(seen), len(l.List(2)), n)
	}
	k := 0
	l.Each(2, func(LeaseInfo) bool { k++; return k < 10 })
	if k != 10 {
		t.Fatalf("Each went on after false: %d calls", k)
	}
}
