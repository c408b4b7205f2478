package datapath

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"neutrino/conntrack"
	"neutrino/firewall"
	"neutrino/link/mem"
	"neutrino/packet"
)

// sgBenchNode is the security group lab's node with every host's MAC
// learned, unfiltered when filtered is false.
func sgBenchNode(b testing.TB, filtered bool) *Node {
	spec := loadTestSpec(b, "testdata/secgroups/topology.yaml", "")
	if !filtered {
		unfiltered(spec)
	}
	n, _ := memNode(b, spec, Options{}, mem.AsSink())
	for _, h := range []sgHost{sgA, sgB, sgWeb, sgVIP, sgLoose, sgOpen, sgOut} {
		send(b, n, h.port, arpWhoHas(b, h.mac, h.ip, h.ip))
	}
	return n
}

// sgFlows returns a batch of 64 UDP frames of 64 bytes from a to b in 8
// flows, each answered once by b so that every flow is ESTABLISHED in
// both ports' zones.
func sgFlows(b testing.TB, n *Node) []*packet.Buffer {
	bufs := make([]*packet.Buffer, 64)
	for i := range bufs {
		bufs[i] = packet.NewBuffer(2048)
		bufs[i].SetData(udpDgram(b, sgA.mac, sgB.mac, sgA.ip, sgB.ip, uint16(40000+i%8), 5000, 64, 18))
	}
	for i := 0; i < 8; i++ {
		send(b, n, "a", bufs[i].Data())
		send(b, n, "b", udpDgram(b, sgB.mac, sgA.mac, sgB.ip, sgA.ip, 5000, uint16(40000+i), 64, 18))
	}
	return bufs
}

// BenchmarkSecurityGroupEstablished measures what the filters cost a
// frame between two VMs of one node whose connections are established:
// egress filtering of a's port and ingress filtering of b's, each a
// conntrack hit in its port's zone, against the same frames between the
// same ports without port security, timed in the same run, batch after
// batch. The target: filtered at most 1.15 times unfiltered.
func BenchmarkSecurityGroupEstablished(b *testing.B) {
	nf, nu := sgBenchNode(b, true), sgBenchNode(b, false)
	bf, bu := sgFlows(b, nf), sgFlows(b, nu)
	af, _ := nf.PortIndex("a")
	au, _ := nu.PortIndex("a")
	wf, wu := nf.NewWorker(64), nu.NewWorker(64)
	var tf, tu time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		nu.Process(wu, au, bu)
		t1 := time.Now()
		nf.Process(wf, af, bf)
		tf += time.Since(t1)
		tu += t1.Sub(t0)
	}
	frames := float64(b.N * len(bf))
	if d := nf.Counters().Drops; d[SGNoRule.String()]+d[SGInvalid.String()] != 0 {
		b.Fatalf("the filters dropped frames: %v", d)
	}
	b.ReportMetric(float64(tf.Nanoseconds())/frames, "filtered-ns/frame")
	b.ReportMetric(float64(tu.Nanoseconds())/frames, "unfiltered-ns/frame")
	b.ReportMetric(float64(tf)/float64(tu), "filtered/unfiltered")
}

// benchRules returns n ingress rules in the mix a real group has (tcp
// and udp ports and ranges, ICMP types, remote prefixes, a remote group
// of 200 members), none of which matches udp to port 9000 from 10.50.0.0/16,
// then one that does: a new flow is matched against all of them.
func benchRules(n int) []firewall.Rule {
	members := make([]netip.Prefix, 200)
	for i := range members {
		members[i] = netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 60, byte(i / 250), byte(1 + i%250)}), 32)
	}
	anyV4 := []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0")}
	var rs []firewall.Rule
	for i := 0; len(rs) < n-1; i++ {
		r := firewall.Rule{Group: "bench", Index: len(rs), Ingress: true, Protocol: 6, PortMin: 1 + i%8000, PortMax: 1 + i%8000, Remote: anyV4}
		switch i % 5 {
		case 1:
			r.Protocol, r.PortMin, r.PortMax = 17, 10000+i, 10000+i+i%50
		case 2:
			r.Protocol, r.PortMin, r.PortMax = 1, i%40, -1
			r.Remote = []netip.Prefix{netip.PrefixFrom(netip.AddrFrom4([4]byte{172, 16, byte(i), 0}), 24)}
		case 3:
			r.Remote, r.RemoteGroup = members, "members"
		case 4:
			r.Remote = []netip.Prefix{netip.PrefixFrom(netip.AddrFrom4([4]byte{192, 168, byte(i), byte(i)}), 32)}
		}
		rs = append(rs, r)
	}
	return append(rs, firewall.Rule{Group: "bench", Index: n - 1, Ingress: true, Protocol: 17, PortMin: 9000, PortMax: 9000,
		Remote: []netip.Prefix{netip.MustParsePrefix("10.50.0.0/16")}})
}

// BenchmarkSecurityGroupNewFlow measures new connections into a filtered
// port (conntrack miss, rule match, commit) with 10 and with 1000 rules
// in its groups: each frame opens a connection of its own. The target:
// 1000 rules cost at most 1.5 times 10. The table is replaced, timer
// stopped, before it fills.
func BenchmarkSecurityGroupNewFlow(b *testing.B) {
	for _, rules := range []int{10, 1000} {
		b.Run(fmt.Sprintf("rules=%d", rules), func(b *testing.B) {
			spec := loadTestSpec(b, "testdata/secgroups/topology.yaml", "")
			for i := range spec.Ports {
				if spec.Ports[i].Name == "web" {
					set, err := firewall.Compile(benchRules(rules))
					if err != nil {
						b.Fatal(err)
					}
					s := *spec.Ports[i].Security
					s.Rules = set
					spec.Ports[i].Security = &s
				}
			}
			n, _ := memNode(b, spec, Options{}, mem.AsSink())
			for _, h := range []sgHost{sgWeb, sgOut} {
				send(b, n, h.port, arpWhoHas(b, h.mac, h.ip, h.ip))
			}
			in, _ := n.PortIndex("physnet1")
			bufs := make([]*packet.Buffer, 64)
			for i := range bufs {
				bufs[i] = packet.NewBuffer(2048)
				bufs[i].SetData(udpDgram(b, sgOut.mac, sgWeb.mac, sgOut.ip, sgWeb.ip, 1, 9000, 64, 18))
			}
			w := n.NewWorker(64)
			fresh := func() { n.ct = conntrack.New(conntrack.Config{MaxEntries: 1 << 20, TCPLoose: true}) }
			fresh()
			sport := 0
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if sport+len(bufs) > 1<<19 {
					b.StopTimer()
					fresh()
					sport = 0
					b.StartTimer()
				}
				for _, buf := range bufs {
					d := buf.Data()
					d[34], d[35] = byte(sport>>8), byte(sport) // the UDP source port: a new flow
					d[28] = byte(sport >> 16)                  // and the source address's third byte when ports run out
					sport++
				}
				n.Process(w, in, bufs)
			}
			if d := n.Counters().Drops; d[SGNoRule.String()] != 0 {
				b.Fatalf("rules dropped the flows: %v", d)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(bufs)), "ns/flow")
		})
	}
}

// TestSecurityGroupAllocs: frames through filters allocate nothing,
// whether their connections are established (both filters' fast path)
// or they are dropped (no rule, spoofed); new connections allocate only
// when the connection table grows.
func TestSecurityGroupAllocs(t *testing.T) {
	n := sgBenchNode(t, true)
	a, _ := n.PortIndex("a")
	out, _ := n.PortIndex("physnet1")
	established := sgFlows(t, n)
	w := n.NewWorker(64)
	if allocs := testing.AllocsPerRun(100, func() { n.Process(w, a, established) }); allocs != 0 {
		t.Errorf("%.1f allocations per batch of established frames, want 0", allocs)
	}
	// New connections from outside to web's port 80: only the table's
	// growth allocates (each of its shards grows its index and slab as
	// it fills), less than once in ten connections.
	syn := make([]*packet.Buffer, 64)
	for i := range syn {
		syn[i] = packet.NewBuffer(2048)
		syn[i].SetData(tcpSeg(t, sgOut.mac, sgWeb.mac, sgOut.ip, sgWeb.ip, uint16(20000+i), 80, true, false))
	}
	sport := 20000
	fresh := func() {
		for _, b := range syn {
			d := b.Data()
			d[34], d[35] = byte(sport>>8), byte(sport)
			sport++
		}
		n.Process(w, out, syn)
	}
	for i := 0; i < 20; i++ {
		fresh()
	}
	if allocs := testing.AllocsPerRun(200, fresh); allocs >= 6.4 {
		t.Errorf("%.2f allocations per batch of 64 new connections, want less than one in ten connections (the table's growth)", allocs)
	}
	if d := n.Counters().Drops; d[SGNoRule.String()] != 0 {
		t.Fatalf("new connections dropped: %v", d)
	}
	denied := make([]*packet.Buffer, 64)
	for i := range denied {
		denied[i] = packet.NewBuffer(2048)
		if i%2 == 0 {
			denied[i].SetData(udpTo(t, sgOut, sgA, 4000, 53)) // no rule
		} else {
			denied[i].SetData(udpTo(t, sgHost{"a", sgA.mac, v4("10.50.0.99")}, sgB, 4000, 53)) // spoofed, but sent in from the uplink: no rule at b
		}
	}
	if allocs := testing.AllocsPerRun(100, func() { n.Process(w, out, denied) }); allocs != 0 {
		t.Errorf("%.1f allocations per batch of dropped frames, want 0", allocs)
	}
}
