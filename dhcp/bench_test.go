package dhcp

import (
	"sync"
	"testing"

	"github.com/insomniacslk/dhcp/dhcpv4"
)

// BenchmarkDORA: a DISCOVER and a REQUEST (SELECTING) against a pool, a
// hundred clients in turn, each coming back for the address it holds.
func BenchmarkDORA(b *testing.B) {
	cfg := testConfig()
	cfg.Subnets[0].Pool = &Range{ip("91.1.180.100"), ip("91.1.180.250")}
	s, _ := newServer(b, cfg)
	const clients = 100
	var disc, req [clients][]byte
	for i := range clients {
		mac := MAC{2, 0, 0, 0, 0, byte(i)}
		disc[i] = msg(b, dhcpv4.MessageTypeDiscover, mac)
		// The address each client gets: it asks for it, as after an OFFER.
		_, _, offer := exchange(b, s, disc[i], Client{Trusted: true, SrcMAC: mac}, t0)
		req[i] = msg(b, dhcpv4.MessageTypeRequest, mac, requested(offer.YourIPAddr.String()), serverID("91.1.180.2"))
	}
	out := make([]byte, MaxReply)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		k := i % clients
		c := Client{Port: k, PortName: "p", Trusted: true, SrcMAC: MAC{2, 0, 0, 0, 0, byte(k)}}
		now := t0 + int64(i)*1e6
		if _, res := s.Handle(disc[k], c, now, out); res != Answered {
			b.Fatal(res)
		}
		if rep, res := s.Handle(req[k], c, now, out); res != Answered || rep.Type != Ack {
			b.Fatal(res, rep.Type)
		}
	}
}

// TestConcurrentHandle: many ports at once (run with -race).
func TestConcurrentHandle(t *testing.T) {
	cfg := testConfig()
	cfg.Subnets[0].Pool = &Range{ip("91.1.180.100"), ip("91.1.180.250")}
	s, l := newServer(t, cfg)
	var wg sync.WaitGroup
	for p := range 8 {
		wg.Go(func() {
			for i := range 16 {
				mac := MAC{2, 0, 0, 0, byte(p), byte(i)}
				c := Client{Port: p, PortName: "p", Trusted: true, SrcMAC: mac}
				dora(t, s, c, t0)
			}
		})
	}
	wg.Wait()
	if got := len(l.List(t0)); got != 128 {
		t.Errorf("%d leases, want 128", got)
	}
	seen := map[string]bool{}
	for _, li := range l.List(t0) {
		if seen[li.IP.String()] {
			t.Errorf("%v leased twice", li.IP)
		}
		seen[li.IP.String()] = true
	}
}
