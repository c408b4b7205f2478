package datapath

import (
	"bytes"
	"math/rand/v2"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"neutrino/conntrack"
	"neutrino/internal/clock"
	"neutrino/link/mem"
	"neutrino/packet"
	"neutrino/packet/header"
)

// TestSecurityGroupFlowCacheSameAsFilters runs one random stream of
// frames between the hosts of the security group lab (TCP with every
// flag mix, UDP, ICMP, spoofed sources, first fragments, batches of a few
// frames from one port, a clock moving on by steps below and above the
// conntrack refresh interval and past the UDP timeout, filters rebuilt
// now and then) through two nodes on one clock: one whose worker has the
// filters' flow cache, one whose worker never fills it. What leaves each
// port, every counter (ports, drops, each filter's fixed and group rules)
// and the connection tables must be the same, and the flow cache must
// have answered a good part of the established frames.
func TestSecurityGroupFlowCacheSameAsFilters(t *testing.T) {
	tw := newSGTwins(t)
	clk := tw.clk
	hosts := []sgHost{sgA, sgB, sgWeb, sgVIP, sgLoose, sgOpen, sgOut}

	rng := rand.New(rand.NewPCG(7, 8))
	convs := sgConvs
	type tcpFlags struct{ syn, ack, fin, rst, psh bool }
	flagSets := []tcpFlags{{syn: true}, {syn: true, ack: true}, {ack: true}, {ack: true}, {ack: true}, {ack: true},
		{ack: true, psh: true}, {ack: true, psh: true}, {fin: true, ack: true}, {rst: true}, {psh: true}}
	type frameKey struct {
		conv, kind, flags int
		back              bool
	}
	frames := map[frameKey][]byte{}
	frameOf := func(k frameKey) []byte {
		if f, ok := frames[k]; ok {
			return f
		}
		cv := convs[k.conv]
		from, to, sp, dp := cv.c, cv.s, cv.cp, cv.sp
		if k.back {
			from, to, sp, dp = to, from, dp, sp
		}
		src, smac := from.ip, from.mac
		ip := ipv4(src, to.ip, layers.IPProtocolUDP, 64)
		var f []byte
		switch k.kind {
		case 0: // tcp
			fl := flagSets[k.flags]
			ip.Protocol = layers.IPProtocolTCP
			f = frame(t, eth(smac, to.mac, layers.EthernetTypeIPv4), ip,
				&layers.TCP{SrcPort: layers.TCPPort(sp), DstPort: layers.TCPPort(dp), SYN: fl.syn, ACK: fl.ack, FIN: fl.fin, RST: fl.rst, PSH: fl.psh,
					Seq: 1000, Window: 64240}, gPayload(k.flags*7))
		case 1: // udp
			f = frame(t, eth(smac, to.mac, layers.EthernetTypeIPv4), ip,
				&layers.UDP{SrcPort: layers.UDPPort(sp), DstPort: layers.UDPPort(dp)}, gPayload(k.flags*5))
		case 2: // ping
			f = echo(t, smac, to.mac, src, to.ip, 64, sp, 1, k.back)
		case 3: // udp, a first fragment
			ip.Flags = layers.IPv4MoreFragments
			f = frame(t, eth(smac, to.mac, layers.EthernetTypeIPv4), ip,
				&layers.UDP{SrcPort: layers.UDPPort(sp), DstPort: layers.UDPPort(dp)}, gPayload(40))
		case 4: // udp from another host's MAC
			f = frame(t, eth(hosts[k.flags%len(hosts)].mac, to.mac, layers.EthernetTypeIPv4), ip,
				&layers.UDP{SrcPort: layers.UDPPort(sp), DstPort: layers.UDPPort(dp)}, gPayload(10))
		case 6: // the later fragment of case 3's
			ip.FragOffset = 6
			f = frame(t, eth(smac, to.mac, layers.EthernetTypeIPv4), ip, gPayload(16))
		default: // tcp from an address not the host's
			ip.SrcIP, ip.Protocol = v4("10.50.0.99"), layers.IPProtocolTCP
			f = frame(t, eth(smac, to.mac, layers.EthernetTypeIPv4), ip,
				&layers.TCP{SrcPort: layers.TCPPort(sp), DstPort: layers.TCPPort(dp), ACK: true, Seq: 1000, Window: 64240})
		}
		frames[k] = f
		return f
	}
	kinds := []int{0, 0, 0, 1, 1, 1, 2, 3, 4, 5}
	for batch := 0; batch < 6000; batch++ {
		switch r := rng.IntN(100); {
		case r < 3:
			clk.Advance(time.Duration(1000+rng.IntN(2000)) * time.Millisecond)
		case r == 3 && rng.IntN(10) == 0:
			clk.Advance(200 * time.Second) // UDP connections time out
		case r < 50:
			clk.Advance(time.Duration(rng.IntN(50)) * time.Millisecond)
		}
		if rng.IntN(1000) == 0 {
			rebuildFilters(t, tw.cached)
			rebuildFilters(t, tw.plain)
		}
		// A batch: frames of a few conversations, from one host.
		k := frameKey{conv: rng.IntN(len(convs)), back: rng.IntN(2) == 0}
		from := convs[k.conv].c
		if k.back {
			from = convs[k.conv].s
		}
		var batch [][]byte
		for range 1 + rng.IntN(8) {
			if c := rng.IntN(len(convs)); convs[c].c.port == from.port && !k.back || convs[c].s.port == from.port && k.back {
				k.conv = c
			}
			k.kind, k.flags = kinds[rng.IntN(len(kinds))], rng.IntN(len(flagSets))
			batch = append(batch, frameOf(k))
			if k.kind == 3 && rng.IntN(2) == 0 {
				k.kind = 6 // and its later fragment
				batch = append(batch, frameOf(k))
			}
		}
		tw.send(from, batch...)
	}
	if c := tw.same(); sgAnswered(tw.cw) < established(c)/4 {
		t.Errorf("the flow cache answered %d of %d established frames", sgAnswered(tw.cw), established(c))
	}
}

// sgTwins are two nodes of the security group lab on one fake clock,
// every host's MAC learned: one whose worker has the filters' flow
// cache, one whose worker never fills it. send runs the same frames
// into both and checks that the same frames leave each port; same
// checks that every counter (ports, drops, each filter's fixed and
// group rules) and the connection tables are the same.
type sgTwins struct {
	t             *testing.T
	clk           *clock.Fake
	cached, plain *Node
	cob, pob      *outbox
	cw, pw        *Worker
	batches       int
}

// sgConv is a conversation of the differential tests: two hosts, the
// client's and the server's ports; frames go both ways.
type sgConv struct {
	c, s   sgHost
	cp, sp uint16
}

var sgConvs = []sgConv{{sgA, sgB, 40000, 5000}, {sgA, sgB, 40001, 80}, {sgB, sgA, 40000, 22}, {sgA, sgWeb, 40002, 80},
	{sgB, sgWeb, 40003, 5005}, {sgOut, sgWeb, 40004, 80}, {sgVIP, sgA, 40005, 5000}, {sgLoose, sgA, 7000, 7000},
	{sgA, sgLoose, 40006, 7000}, {sgOpen, sgB, 40007, 5000}, {sgA, sgOut, 40008, 53}, {sgWeb, sgB, 40009, 5000}}

func newSGTwins(t *testing.T) *sgTwins {
	return twinLab(t, loadTestSpec(t, "testdata/secgroups/topology.yaml", ""), func(w *Worker) {
		w.sgf.off = true
		w.vfc.off = true
	})
}

// twinLab builds the twins of the security group lab from spec: plain's
// worker is the cached one with off applied; every host has announced
// itself, and what that sent is taken.
func twinLab(t *testing.T, spec *Spec, off func(*Worker)) *sgTwins {
	tw := &sgTwins{t: t, clk: clock.NewFake(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))}
	var ceps, peps map[string]*mem.Endpoint
	tw.cached, ceps = memNode(t, spec, Options{Clock: tw.clk})
	tw.plain, peps = memNode(t, spec, Options{Clock: tw.clk})
	tw.cob, tw.pob = newOutbox(ceps), newOutbox(peps)
	tw.cw, tw.pw = tw.cached.NewWorker(64), tw.plain.NewWorker(64)
	off(tw.pw)
	for _, h := range []sgHost{sgA, sgB, sgWeb, sgVIP, sgLoose, sgOpen, sgOut} {
		arp := arpWhoHas(t, h.mac, h.ip, h.ip)
		send(t, tw.cached, h.port, arp)
		send(t, tw.plain, h.port, arp)
	}
	tw.cob.take()
	tw.pob.take()
	return tw
}

func (tw *sgTwins) send(from sgHost, frames ...[]byte) {
	tw.t.Helper()
	in, _ := tw.cached.PortIndex(from.port)
	cb, pb := make([]*packet.Buffer, len(frames)), make([]*packet.Buffer, len(frames))
	for i, f := range frames {
		cb[i], pb[i] = packet.NewBuffer(packet.MaxFrame), packet.NewBuffer(packet.MaxFrame)
		cb[i].SetData(f)
		pb[i].SetData(f)
	}
	tw.cached.Process(tw.cw, in, cb)
	tw.plain.Process(tw.pw, in, pb)
	if c, p := tw.cob.take(), tw.pob.take(); !sameOutput(c, p) {
		tw.t.Fatalf("batch %d from %s: with the flow cache %v, without %v", tw.batches, from.port, ports(c), ports(p))
	}
	tw.batches++
}

// same checks the counters and tables, and returns the cached node's
// security groups.
func (tw *sgTwins) same() []SecurityGroupInfo {
	t := tw.t
	t.Helper()
	cc, pc := tw.cached.Counters(), tw.plain.Counters()
	cc.VMFlowCacheHits, pc.VMFlowCacheHits = 0, 0 // the plain node's may have none
	if !reflect.DeepEqual(cc, pc) {
		t.Errorf("counters differ:\nwith the flow cache %+v\nwithout %+v", cc, pc)
	}
	c, err := tw.cached.SecurityGroups("")
	if err != nil {
		t.Fatal(err)
	}
	p, _ := tw.plain.SecurityGroups("")
	if !reflect.DeepEqual(c, p) {
		t.Errorf("security group counters differ:\nwith the flow cache %+v\nwithout %+v", c, p)
	}
	now := tw.clk.Now()
	if c, p := ctDump(tw.cached.ct, now), ctDump(tw.plain.ct, now); c != p {
		t.Errorf("connections differ:\nwith the flow cache:\n%s\nwithout:\n%s", c, p)
	}
	return c
}

// TestSecurityGroupFlowCacheScenarios runs what the random stream makes
// rare through the twins: a FIN amid cached segments of its flow in one
// batch, a long flow answered by the cache alone whose connections must
// be refreshed as the filters refresh them (and not time out), and a
// first fragment whose later fragment must follow it.
func TestSecurityGroupFlowCacheScenarios(t *testing.T) {
	tw := newSGTwins(t)
	seg := func(from, to sgHost, sp, dp uint16, syn, ack, fin bool) []byte {
		return frame(t, eth(from.mac, to.mac, layers.EthernetTypeIPv4), ipv4(from.ip, to.ip, layers.IPProtocolTCP, 64),
			&layers.TCP{SrcPort: layers.TCPPort(sp), DstPort: layers.TCPPort(dp), SYN: syn, ACK: ack, FIN: fin, Seq: 1, Window: 64240})
	}
	// TCP a -> b, then ACK, FIN, ACK, ACK in one batch, twice.
	tw.send(sgA, seg(sgA, sgB, 41000, 5000, true, false, false))
	tw.send(sgB, seg(sgB, sgA, 5000, 41000, true, true, false))
	tw.send(sgA, seg(sgA, sgB, 41000, 5000, false, true, false), seg(sgA, sgB, 41000, 5000, false, true, false))
	ack, fin := seg(sgA, sgB, 41000, 5000, false, true, false), seg(sgA, sgB, 41000, 5000, false, true, true)
	tw.send(sgA, ack, ack, fin, ack, ack)
	tw.same()
	tw.send(sgA, ack, fin, ack)
	tw.same()

	// UDP a <-> b, answered once; then a -> b only, 400 ms apart, for
	// five minutes (past the UDP timeout of a connection not refreshed).
	udp := udpDgram(t, sgA.mac, sgB.mac, sgA.ip, sgB.ip, 41001, 5001, 64, 20)
	tw.send(sgA, udp)
	tw.send(sgB, udpDgram(t, sgB.mac, sgA.mac, sgB.ip, sgA.ip, 5001, 41001, 64, 20))
	tw.send(sgA, udp, udp)
	answered := sgAnswered(tw.cw)
	for range 750 {
		tw.clk.Advance(400 * time.Millisecond)
		tw.send(sgA, udp, udp, udp)
	}
	if got := sgAnswered(tw.cw) - answered; got < 2*750*2 {
		t.Errorf("the flow cache answered %d frames of the long flow, want most of %d", got, 750*3*2)
	}
	tw.same()

	// A first fragment of an established flow, then its later fragment.
	ip := ipv4(sgA.ip, sgB.ip, layers.IPProtocolUDP, 64)
	ip.Flags, ip.Id = layers.IPv4MoreFragments, 77
	first := frame(t, eth(sgA.mac, sgB.mac, layers.EthernetTypeIPv4), ip,
		&layers.UDP{SrcPort: 41001, DstPort: 5001}, gPayload(24))
	ip = ipv4(sgA.ip, sgB.ip, layers.IPProtocolUDP, 64)
	ip.Id, ip.FragOffset = 77, 4
	later := frame(t, eth(sgA.mac, sgB.mac, layers.EthernetTypeIPv4), ip, gPayload(16))
	tw.send(sgA, udp, first, udp)
	tw.send(sgA, later)
	tw.same()
}

// sgAnswered counts the filters' answers the worker's caches gave: the
// filters' flow cache and the VM flow cache.
func sgAnswered(w *Worker) uint64 { return w.sgf.answered + w.vfc.answered }

// gPayload is n bytes of payload.
func gPayload(n int) gopacket.Payload { return gopacket.Payload(make([]byte, n)) }

// sameOutput reports whether two takes of an outbox hold the same frames
// for each port, in order.
func sameOutput(a, b map[string][][]byte) bool {
	return sameFrames(a, b, func(f []byte) []byte { return f })
}

// sameFrames reports whether two takes of outboxes hold the same frames
// for each port, in order, once norm has put aside what may differ.
func sameFrames(a, b map[string][][]byte, norm func([]byte) []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, fa := range a {
		fb := b[k]
		if len(fa) != len(fb) {
			return false
		}
		for i := range fa {
			if !bytes.Equal(norm(fa[i]), norm(fb[i])) {
				return false
			}
		}
	}
	return true
}

// ctDump is the table's connections as text, sorted.
func ctDump(t *conntrack.Table, now int64) string {
	var lines []string
	t.Each(now, func(i conntrack.Info) bool {
		lines = append(lines, conntrack.Format(i))
		return true
	})
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// established counts the frames the filters let through as ESTABLISHED.
func established(infos []SecurityGroupInfo) uint64 {
	var n uint64
	for _, i := range infos {
		for _, r := range append(i.Egress, i.Ingress...) {
			if r.Fixed == SGAcceptEstablished.String() {
				n += r.Packets
			}
		}
	}
	return n
}

// rebuildFilters replaces the node's graph with a new one, as a reload
// does: every filter is built anew, with a new generation.
func rebuildFilters(t *testing.T, n *Node) {
	t.Helper()
	old := n.g.Load()
	g, _, err := n.buildGraph(old.spec, old.ports, n.slots, nil)
	if err != nil {
		t.Fatal(err)
	}
	n.g.Store(g)
}

// TestSecurityGroupFlowCacheOtherFilter: a frame whose entry knows the
// ingress filter of one port, sent by br-int to another port's filter
// (the destination MAC moved, say), goes through that filter, which
// decides and counts it, and not to the first port.
func TestSecurityGroupFlowCacheOtherFilter(t *testing.T) {
	n := sgBenchNode(t, true)
	bufs := sgFlows(t, n)
	a, _ := n.PortIndex("a")
	b, _ := n.PortIndex("b")
	web, _ := n.PortIndex("web")
	w := n.NewWorker(64)
	n.Process(w, a, bufs)
	n.Process(w, a, bufs)
	if sgAnswered(w) == 0 {
		t.Fatal("the flow cache answered nothing")
	}
	g := n.g.Load()
	buf := packet.NewBuffer(packet.MaxFrame)
	buf.SetData(bufs[0].Data())
	if header.Parse(buf.Data(), &buf.Meta.Layout) != header.OK {
		t.Fatal("test frame malformed")
	}
	k0, k1, ok := conntrack.FlowKey(buf.Data(), &buf.Meta.Layout)
	if !ok {
		t.Fatal("no FlowKey")
	}
	e := &w.sgf.ents[sgFlowSlot(k0, k1)]
	if e.eg != g.filters[a] || e.in != g.filters[b] {
		t.Fatalf("entry: egress %v, ingress %v; want a's and b's filters", e.eg, e.in)
	}
	before, _ := n.SecurityGroups("web")
	if to := (target{elem: g.filters[web]}); e.passes(&w.sgf, to, buf.Len()) {
		t.Error("the cache answered for web's filter")
	} else {
		w.sgf.ingressSlow(w, e, to, buf)
	}
	if len(w.queues[web]) != 1 || len(w.queues[b]) != 0 {
		t.Fatalf("queued for web %d, for b %d; want 1, 0", len(w.queues[web]), len(w.queues[b]))
	}
	w.flush()
	after, _ := n.SecurityGroups("web")
	if reflect.DeepEqual(before, after) {
		t.Error("web's filter counted nothing")
	}
}
