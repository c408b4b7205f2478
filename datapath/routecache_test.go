package datapath

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"neutrino/conntrack"
	"neutrino/internal/clock"
	"neutrino/packet"
)

// twin is a node and its outputs, for running two nodes side by side.
type twin struct {
	n   *Node
	ob  *outbox
	clk *clock.Fake
	w   *Worker
	rt  routerTimers
}

func newTwin(t *testing.T, spec *Spec, cached bool) *twin {
	clk := clock.NewFake(rigEpoch)
	n, eps := memNode(t, spec, Options{Clock: clk})
	n.noRouteCache = !cached
	return &twin{n: n, ob: newOutbox(eps), clk: clk, w: n.NewWorker(64)}
}

func (tw *twin) in(port string, frames [][]byte) map[string][][]byte {
	idx, _ := tw.n.PortIndex(port)
	bufs := make([]*packet.Buffer, len(frames))
	for i, f := range frames {
		bufs[i] = packet.NewBuffer(packet.MaxFrame)
		bufs[i].SetData(f)
	}
	tw.n.Process(tw.w, idx, bufs)
	return tw.ob.take()
}

// replyTo builds what the far end answers a routed frame with: addresses
// and ports swapped, TCP with ACK.
func replyTo(t *testing.T, f []byte) []byte {
	p := gopacket.NewPacket(f, layers.LayerTypeEthernet, gopacket.Default)
	eth, _ := p.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
	ip, _ := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
	if eth == nil || ip == nil {
		return nil
	}
	e := &layers.Ethernet{SrcMAC: eth.DstMAC, DstMAC: eth.SrcMAC, EthernetType: layers.EthernetTypeIPv4}
	i := &layers.IPv4{Version: 4, TTL: 60, Protocol: ip.Protocol, SrcIP: ip.DstIP, DstIP: ip.SrcIP}
	switch l4 := p.TransportLayer().(type) {
	case *layers.UDP:
		u := &layers.UDP{SrcPort: l4.DstPort, DstPort: l4.SrcPort}
		u.SetNetworkLayerForChecksum(i)
		return frame(t, e, i, u, gopacket.Payload("answer"))
	case *layers.TCP:
		c := &layers.TCP{SrcPort: l4.DstPort, DstPort: l4.SrcPort, ACK: true, SYN: l4.SYN, Seq: 7000, Ack: l4.Seq + 1, Window: 65160}
		c.SetNetworkLayerForChecksum(i)
		return frame(t, e, i, c)
	}
	return nil
}

// The route cache changes nothing a node does: two seed 002 nodes, one
// with the cache and one without, get the same random mix of flows
// (TCP with every kind of flags, UDP, TTLs of 1 and 2, frames over the
// MTU with and without DF), answers from the outside, clock steps past
// the refresh, neighbour and conntrack timeouts, the upstream router
// changing its MAC, a VM's MAC moving, connections deleted; every frame
// each sends, and every counter at the end, must be the same.
func TestRouteCacheDifferential(t *testing.T) {
	routeCacheDifferential(t, func() *Spec { return seed002Spec(t) })
}

// The same with the VMs' security groups: the route cache answers a
// flow's frames after the port's egress filter let them out.
func TestRouteCacheDifferentialFiltered(t *testing.T) {
	routeCacheDifferential(t, func() *Spec { return loadTestSpec(t, "../configs/examples/seed002-router.yaml", "") })
}

func routeCacheDifferential(t *testing.T, spec func() *Spec) {
	a, b := newTwin(t, spec(), true), newTwin(t, spec(), false)
	step := func(what, port string, frames ...[]byte) [][]byte {
		t.Helper()
		ga, gb := a.in(port, frames), b.in(port, frames)
		for _, fs := range ga {
			for _, f := range fs {
				checked(t, f) // every checksum right
			}
		}
		if !sameOut(ga, gb) {
			t.Fatalf("%s: with the cache %v, without %v", what, dump(ga), dump(gb))
		}
		return ga["physnet1"]
	}
	tick := func() {
		for _, tw := range []*twin{a, b} {
			tw.n.routerTick(tw.w, &tw.rt, tw.clk.Now())
		}
		if ga, gb := a.ob.take(), b.ob.take(); !sameOut(ga, gb) {
			t.Fatalf("timers: with the cache %v, without %v", dump(ga), dump(gb))
		}
	}
	advance := func(d time.Duration) {
		a.clk.Advance(d)
		b.clk.Advance(d)
		tick()
	}
	up2 := hw("52:54:00:00:01:02")
	step("vm81 learned", "vm-81-12", arpWhoHas(t, vm81MAC, vm81IP, v4("81.1.180.1")))
	step("vm91 learned", "vm-91-14", arpWhoHas(t, vm91MAC, vm91IP, v4("91.1.180.1")))
	step("first packet", "vm-81-12", udpDgram(t, vm81MAC, qr81MAC, vm81IP, internet, 9, 9, 64, 18))
	step("upstream answers", "physnet1", arpIsAt(t, upMAC, upIP, qgMAC, gwIP))

	rng := rand.New(rand.NewPCG(7, 11))
	flagSets := []string{"S", "SA", "A", "A", "A", "PA", "PA", "FA", "R"}
	var last [][]byte
	for i := range 6000 {
		what := fmt.Sprintf("event %d", i)
		switch r := rng.IntN(1000); {
		case r < 650:
			vm, mac, src, gwMAC := "vm-81-12", vm81MAC, vm81IP, qr81MAC
			if rng.IntN(3) == 0 {
				vm, mac, src, gwMAC = "vm-91-14", vm91MAC, vm91IP, qr91MAC
			}
			sport := uint16(20000 + rng.IntN(6))
			ttl := []uint8{64, 64, 64, 64, 64, 2, 1}[rng.IntN(7)]
			size := []int{18, 18, 18, 1200, 1600}[rng.IntN(5)]
			var f []byte
			if rng.IntN(2) == 0 {
				f = udpIP(t, mac, gwMAC, src, internet, sport, 53, ttl, uint16(i), size == 1600 && rng.IntN(2) == 0, size)
			} else {
				f = tcpIP(t, mac, gwMAC, src, internet, sport, 443, flagSets[rng.IntN(len(flagSets))], 1000, 1, size%1400)
				f[22] = ttl // TTL, before the checksum is fixed
				fixIPChecksum(f)
			}
			if rng.IntN(30) == 0 {
				f[24] ^= 0x5a // a bad header checksum
			}
			if out := step(what+" from "+vm, vm, f, f); len(out) > 0 {
				last = out
			}
		case r < 850:
			if len(last) > 0 {
				if f := replyTo(t, last[rng.IntN(len(last))]); f != nil {
					if rng.IntN(10) == 0 {
						copy(f[6:12], up2) // the upstream router's other MAC
					}
					step(what+" answer", "physnet1", f)
				}
			}
		case r < 950:
			advance(time.Duration(rng.IntN(1500)) * time.Millisecond)
		case r < 960:
			advance(time.Duration(20+rng.IntN(20)) * time.Second)
		case r < 970:
			m := upMAC
			if rng.IntN(2) == 0 {
				m = up2
			}
			step(what+" upstream MAC", "physnet1", arpIsAt(t, m, upIP, qgMAC, gwIP))
		case r < 975:
			// vm-81-12's MAC shows up on the other VM port, then back.
			step(what+" MAC moves", "vm-91-14", arpWhoHas(t, vm81MAC, vm81IP, vm81IP))
			step(what+" MAC back", "vm-81-12", arpWhoHas(t, vm81MAC, vm81IP, vm81IP))
		case r < 980:
			// The router's MAC shows up behind the VM's own port (a VM
			// spoofing it): br-int now has it there and drops what the VM
			// sends to it, until the router speaks again.
			step(what+" qr MAC on the VM port", "vm-81-12", arpWhoHas(t, qr81MAC, vm81IP, vm81IP))
			f := udpIP(t, vm81MAC, qr81MAC, vm81IP, internet, 20000, 53, 64, uint16(i), false, 18)
			step(what+" routed meanwhile", "vm-81-12", f, f)
			step(what+" the router answers ARP", "vm-81-12", arpWhoHas(t, vm81MAC, vm81IP, v4("81.1.180.1")))
		case r < 990:
			k := rng.IntN(4)
			del := func(i conntrack.Info) bool { return int(i.Orig.SPort)%4 == k }
			if da, db := a.n.ct.DeleteIf(a.clk.Now(), del), b.n.ct.DeleteIf(b.clk.Now(), del); da != db {
				t.Fatalf("%s: deleted %d connections with the cache, %d without", what, da, db)
			}
		default:
			tick()
		}
	}
	ca, cb := a.n.Counters(), b.n.Counters()
	hits := ca.RouteCacheHits
	ca.RouteCacheHits = 0
	if diff := cmp.Diff(cb, ca); diff != "" {
		t.Errorf("counters (-without +with the cache):\n%s", diff)
	}
	sa, _ := a.n.SecurityGroups("")
	sb, _ := b.n.SecurityGroups("")
	if diff := cmp.Diff(sb, sa); diff != "" {
		t.Errorf("security groups' counters (-without +with the cache):\n%s", diff)
	}
	if hits < 500 {
		t.Fatalf("the cache answered too few packets (%d) for the test to tell", hits)
	}
	t.Logf("%d of %d forwarded packets answered by the cache", hits, ca.Routers["router1"]["forwarded"])
}

// sameOut reports whether two nodes sent the same frames, the IPv4 ID
// of the packets the routers make aside (it comes from a counter all
// nodes of the process share).
func sameOut(a, b map[string][][]byte) bool { return sameFrames(a, b, withoutID) }

// withoutID returns a copy of f with its IPv4 ID and header checksum
// zeroed.
func withoutID(f []byte) []byte {
	c := append([]byte(nil), f...)
	if len(c) >= 34 && c[12] == 0x08 && c[13] == 0x00 {
		c[18], c[19], c[24], c[25] = 0, 0, 0, 0
	}
	return c
}

func dump(m map[string][][]byte) string {
	var s string
	for k, fs := range m {
		for _, f := range fs {
			s += fmt.Sprintf("\n  %s: %s", k, gopacket.NewPacket(f, layers.LayerTypeEthernet, gopacket.Default).String())
		}
	}
	return s
}

// fixIPChecksum recomputes the IPv4 header checksum of an Ethernet frame.
func fixIPChecksum(f []byte) {
	ip := f[14:34]
	ip[10], ip[11] = 0, 0
	var sum uint32
	for i := 0; i < 20; i += 2 {
		sum += uint32(ip[i])<<8 | uint32(ip[i+1])
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	c := ^uint16(sum)
	ip[10], ip[11] = byte(c>>8), byte(c)
}
