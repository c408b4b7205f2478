package firewall

import (
	"math/rand/v2"
	"net/netip"
	"strconv"
	"sync"
	"testing"
)

// naive is the definition of Match: the first rule, in order, of the
// direction that allows the packet, found by trying each in turn.
func naive(rules []Rule, ingress bool, proto uint8, remote [4]byte, key uint16) (int, bool) {
	a := netip.AddrFrom4(remote)
	for i, r := range rules {
		if r.Ingress != ingress || r.IPv6 {
			continue
		}
		if r.Protocol != -1 && r.Protocol != int(proto) {
			continue
		}
		if !naiveKey(r, int(key)) {
			continue
		}
		for _, p := range r.Remote {
			if p.IsValid() && p.Contains(a) {
				return i, true
			}
		}
	}
	return -1, false
}

func naiveKey(r Rule, k int) bool {
	switch r.Protocol {
	case 6, 17, 33, 132, 136:
		if r.PortMin < 0 {
			return true
		}
		hi := r.PortMax
		if hi < 0 {
			hi = r.PortMin
		}
		return r.PortMin <= k && k <= hi
	case 1:
		switch {
		case r.PortMin < 0:
			return true
		case k>>8 != r.PortMin:
			return false
		}
		return r.PortMax < 0 || k&0xff == r.PortMax
	}
	return true
}

// randomRules makes n rules with values chosen to collide: few protocols,
// few ports, prefixes of many lengths in a small address space.
func randomRules(rng *rand.Rand, n int) []Rule {
	protos := []int{-1, 1, 6, 6, 17, 47}
	ports := []int{-1, 0, 1, 21, 22, 23, 80, 443, 1000, 2000, 65534, 65535}
	icmpTypes := []int{-1, 0, 3, 8, 255}
	icmpCodes := []int{-1, -1, 0, 1, 255}
	rules := make([]Rule, n)
	for i := range rules {
		r := Rule{Group: "g", Index: i, Ingress: rng.IntN(2) == 0, IPv6: rng.IntN(20) == 0}
		r.Protocol = protos[rng.IntN(len(protos))]
		r.PortMin, r.PortMax = -1, -1
		switch r.Protocol {
		case 1:
			r.PortMin = icmpTypes[rng.IntN(len(icmpTypes))]
			if r.PortMin >= 0 {
				r.PortMax = icmpCodes[rng.IntN(len(icmpCodes))]
			}
		case 6, 17:
			a, b := ports[rng.IntN(len(ports))], ports[rng.IntN(len(ports))]
			if rng.IntN(4) == 0 {
				a, b = rng.IntN(65536), rng.IntN(65536)
			}
			if b >= 0 && a > b {
				a, b = b, a
			}
			r.PortMin, r.PortMax = a, b
			if a < 0 {
				r.PortMax = -1
			}
		}
		switch k := rng.IntN(12); {
		case k == 0:
			r.Remote = nil // a remote group without members
			r.RemoteGroup = "empty"
		case k == 1:
			r.Remote = []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0")}
		case k == 2:
			r.RemoteGroup = "big"
			for range 16 + rng.IntN(30) {
				r.Remote = append(r.Remote, randomPrefix(rng, 32))
			}
		default:
			for range 1 + rng.IntN(3) {
				r.Remote = append(r.Remote, randomPrefix(rng, -1))
			}
			if rng.IntN(10) == 0 {
				r.Remote = append(r.Remote, netip.MustParsePrefix("::/0"))
			}
		}
		rules[i] = r
	}
	return rules
}

// randomPrefix returns a prefix in 10.0-3.0-3.x, of length bits or, when
// bits is negative, a random one.
func randomPrefix(rng *rand.Rand, bits int) netip.Prefix {
	if bits < 0 {
		lengths := []int{0, 8, 14, 15, 16, 22, 23, 24, 25, 30, 31, 32}
		bits = lengths[rng.IntN(len(lengths))]
	}
	a := netip.AddrFrom4([4]byte{10, byte(rng.IntN(4)), byte(rng.IntN(4)), byte(rng.IntN(256))})
	return netip.PrefixFrom(a, bits) // not masked: Compile masks
}

type packet struct {
	ingress bool
	proto   uint8
	remote  [4]byte
	key     uint16
}

// randomPacket picks a packet near the rules: their protocols, the edges
// of their ranges, addresses in their prefixes.
func randomPacket(rng *rand.Rand, rules []Rule) packet {
	p := packet{ingress: rng.IntN(2) == 0, proto: uint8(rng.IntN(256)), key: uint16(rng.IntN(65536))}
	p.remote = [4]byte{10, byte(rng.IntN(4)), byte(rng.IntN(4)), byte(rng.IntN(256))}
	if len(rules) == 0 || rng.IntN(8) == 0 {
		return p
	}
	r := rules[rng.IntN(len(rules))]
	if r.Protocol >= 0 {
		p.proto = uint8(r.Protocol)
	}
	if r.PortMin >= 0 && rng.IntN(4) != 0 {
		edges := []int{r.PortMin, r.PortMin - 1, r.PortMin + 1, r.PortMax, r.PortMax + 1, r.PortMax - 1}
		p.key = uint16(edges[rng.IntN(len(edges))])
		if r.Protocol == 1 {
			p.key = uint16(r.PortMin<<8 | edges[rng.IntN(len(edges))]&0xff)
		}
	}
	if len(r.Remote) > 0 && rng.IntN(4) != 0 {
		pf := r.Remote[rng.IntN(len(r.Remote))]
		if pf.Addr().Is4() {
			a := pf.Masked().Addr().As4()
			host := rng.Uint32() >> pf.Bits()
			if pf.Bits() == 0 {
				host = rng.Uint32()
			}
			for i := range 4 {
				a[i] |= byte(host >> (24 - 8*i))
			}
			p.remote = a
		}
	}
	return p
}

func checkAgainstNaive(t *testing.T, rules []Rule, s *Set, p packet) {
	m := s.Egress()
	if p.ingress {
		m = s.Ingress()
	}
	got, gotOK := m.Match(p.proto, p.remote, p.key)
	want, wantOK := naive(rules, p.ingress, p.proto, p.remote, p.key)
	if got != want || gotOK != wantOK {
		t.Fatalf("packet %+v: Match gives %d %v, a scan of the rules %d %v\nrules:\n%s", p, got, gotOK, want, wantOK, listRules(rules))
	}
}

func listRules(rules []Rule) string {
	s := ""
	for i, r := range rules {
		s += "  " + itoa(i) + ": " + r.String() + " " + prefixes(r.Remote) + "\n"
	}
	return s
}

func itoa(i int) string { return strconv.Itoa(i) }

func prefixes(ps []netip.Prefix) string {
	s := "["
	for i, p := range ps {
		if i > 0 {
			s += " "
		}
		s += p.String()
	}
	return s + "]"
}

func TestMatchesNaiveScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	sets := 3000
	if testing.Short() {
		sets = 300
	}
	for range sets {
		rules := randomRules(rng, rng.IntN(40))
		s, err := Compile(rules)
		if err != nil {
			t.Fatal(err)
		}
		for range 300 {
			checkAgainstNaive(t, rules, s, randomPacket(rng, rules))
		}
	}
}

// TestConcurrentMatch matches from many goroutines at once (run with
// -race): a Set needs no lock.
func TestConcurrentMatch(t *testing.T) {
	rules := realisticRules(300, 3)
	s, err := Compile(rules)
	if err != nil {
		t.Fatal(err)
	}
	ps := packets(2000, 4)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range ps {
				p := ps[(i+g*250)%len(ps)]
				got, _ := s.Ingress().Match(p.proto, p.remote, p.key)
				want, _ := naive(rules, true, p.proto, p.remote, p.key)
				if got != want {
					t.Errorf("packet %+v: %d, want %d", p, got, want)
					return
				}
			}
		})
	}
	wg.Wait()
}
